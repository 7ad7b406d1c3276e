// Every size and switch of the benchmark, from the environment, so a quick run and the documented run share code.

function num(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name}='${raw}' must be a positive number`);
  return v;
}

function list(name: string, dflt: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return dflt;
  return raw.split(',').map((s) => {
    const v = Number(s.trim());
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${name}='${raw}' must be a comma-separated list of positive integers`);
    return v;
  });
}

export const SECTIONS = ['full', 'parallel', 'sync', 'sim'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchConfig {
  /** Size loaded into the content of the full recovery vs raw pg_basebackup comparison. */
  gib: number;
  /** Size loaded into the content of the incremental vs full comparison (large, so fixed costs do not hide the copy). */
  bigGib: number;
  /** Share of that content rewritten while its mirror is down, for the incremental runs. */
  changePct: number;
  /** Data per content in the parallelism runs. */
  segMb: number;
  /** Mirrors killed per parallelism run. */
  parallelCounts: number[];
  /** Mirrors left waiting for sync at once, per sync-watcher measurement (at most 16). */
  syncCounts: number[];
  /** How long connections are counted while they wait. */
  syncWindowSec: number;
  simSegments: number[];
  /** Each simulated activity only sleeps this long. */
  simSleepMs: number;
  simPerHost: number;
  /** The commit whose workflows/ and domain/ the simulations also run, for a side-by-side ratio (default: HEAD~1). */
  baselineRef: string;
  /**
   * The largest-first simulation's baseline: the commit before largest first (9743a07), so that the comparison is with
   * the catalog's order, as gprecoverseg takes it. BENCH_BASELINE_REF is newer and orders by size too.
   */
  lfBaselineRef: string;
  /** Largest-first simulation: `lfBig` segments of `lfBigGb` GB and `lfSmall` of `lfSmallGb` GB, the big ones last in catalog order. */
  lfBig: number;
  lfBigGb: number;
  lfSmall: number;
  lfSmallGb: number;
  /** Slots: -B lfSlots -b 1 over one segment per host. */
  lfSlots: number;
  /** Simulated copy time: seconds per TB (1e12 bytes) of the source. */
  lfSecPerTb: number;
  /** Each real measurement is taken this many times; the report gives the median and the range. */
  repeat: number;
  /**
   * How the worker reaches the segment hosts: 'ssh' (a real sshd on each host's loopback address, as a real cluster's
   * hosts are reached) or 'local' (the demo's own configuration: commands run as child processes of the worker).
   */
  hostsOver: 'ssh' | 'local';
  sections: Section[];
  out: string;
}

function hostsOver(v: string | undefined): BenchConfig['hostsOver'] {
  if (v === undefined || v === '' || v === 'ssh') return 'ssh';
  if (v === 'local') return 'local';
  throw new Error(`BENCH_HOSTS_OVER: '${v}' is neither ssh nor local`);
}

export function loadConfig(): BenchConfig {
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of only ?? []) if (!SECTIONS.includes(s as Section)) throw new Error(`BENCH_ONLY: unknown section '${s}' (one of ${SECTIONS.join(', ')})`);
  return {
    gib: num('BENCH_GIB', 4),
    bigGib: num('BENCH_BIG_GIB', 4),
    changePct: num('BENCH_CHANGE_PCT', 1),
    segMb: num('BENCH_SEG_MB', 256),
    parallelCounts: list('BENCH_PARALLEL', [1, 4, 8]).filter((n) => n <= 8),
    syncCounts: list('BENCH_SYNC', [4, 16]).filter((n) => n <= 16),
    syncWindowSec: num('BENCH_SYNC_WINDOW_SEC', 10),
    simSegments: list('BENCH_SIM_SEGMENTS', [100, 1000]),
    simSleepMs: num('BENCH_SIM_SLEEP_MS', 5),
    simPerHost: num('BENCH_SIM_PER_HOST', 8),
    baselineRef: process.env.BENCH_BASELINE_REF || 'HEAD~1',
    lfBaselineRef: process.env.BENCH_LF_BASELINE_REF || '9743a07~1',
    lfBig: Math.round(num('BENCH_LF_BIG', 2)),
    lfBigGb: num('BENCH_LF_BIG_GB', 2000),
    lfSmall: Math.round(num('BENCH_LF_SMALL', 30)),
    lfSmallGb: num('BENCH_LF_SMALL_GB', 400),
    lfSlots: Math.round(num('BENCH_LF_SLOTS', 8)),
    lfSecPerTb: num('BENCH_LF_SEC_PER_TB', 10),
    repeat: Math.round(num('BENCH_REPEAT', 3)),
    hostsOver: hostsOver(process.env.BENCH_HOSTS_OVER),
    sections: (only as Section[] | undefined) ?? [...SECTIONS],
    out: process.env.BENCH_OUT ?? 'docs/benchmarks.md',
  };
}

const t0 = Date.now();
/** Progress on stderr with the time since the bench started, so a slow step shows where it stalls. */
export function progress(msg: string): void {
  process.stderr.write(`[bench +${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
}
