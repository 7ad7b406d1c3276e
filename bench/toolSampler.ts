// How long the copy tool itself ran inside a run, from /proc: every 20 ms the process list is scanned for new
// pg_basebackup / pg_rewind / rsync processes working under `pathPart`; a process's start is the kernel's own start
// time (/proc/<pid>/stat, clock ticks since boot, 10 ms resolution), its end the midpoint between the last scan that
// saw it and the first that did not (+-10 ms). The demo's GPHOME wrappers (node running demo/gphome/*.ts under the
// tool's name) are recorded apart from the PostgreSQL programs they run, so the report can say what the wrapper costs.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { clockTicks } from './procStats';

const TOOLS = new Set(['pg_basebackup', 'pg_rewind', 'rsync']);
const SHELLS = new Set(['sh', 'bash', 'dash']);
const base = (p: string | undefined) => (p ?? '').split('/').pop() ?? '';

export interface ToolProcess {
  pid: number;
  /** 'tool': the PostgreSQL (or rsync) program; 'wrapper': the demo GPHOME wrapper around it. */
  kind: 'tool' | 'wrapper';
  name: string;
  /** Epoch milliseconds. */
  startMs: number;
  endMs: number;
  /** --target-gp-dbid when the command line names it. */
  dbid?: number;
  /** Parent pid, which tells a wrapper inside another (node under its shell script) from one beside it. */
  ppid?: number;
  args: string;
}

export interface ToolSpan {
  /**
   * First start to last end of the programs the copy jobs started: `$GPHOME/bin/<tool>` (on the demo a shell script
   * running the node wrapper around the PostgreSQL tool), or the tool itself where nothing wraps it (rsync). A real
   * Greenplum's pg_basebackup does in its one process what the demo's wrapper does around PostgreSQL's.
   */
  ms: number;
  /** How many such programs ran. */
  processes: number;
  /** The PostgreSQL (or rsync) processes alone, inside the programs. Absent in results older than 2026-12-02. */
  tool?: { ms: number; firstStartMs: number; lastEndMs: number };
  firstStartMs?: number;
  lastEndMs?: number;
  /** How the span was measured: 'proc' (start times from /proc/<pid>/stat) or the older 'ps' sampling every 0.1 s. */
  method?: 'proc' | 'ps';
  spans?: ToolProcess[];
}

/** Epoch milliseconds of the machine's boot, from /proc/uptime (10 ms resolution). */
function bootEpochMs(): number {
  const up = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Date.now() - up * 1000;
}

/** starttime (clock ticks since boot) and parent pid of a live process, from /proc/<pid>/stat. */
function statOf(pid: number): { start: number; ppid: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') return undefined;
    return { start: Number(rest[19]), ppid: Number(rest[1]) }; // fields 22 and 4 overall
  } catch {
    return undefined;
  }
}

/** A shell (or a command still starting) may exec a tool later; its command line is read again this often. */
const RECHECK_MS = 100;

/** The processes not inside another one of the same segment: each wrapper's outermost, and tools nothing wraps. */
export function outermost(procs: ToolProcess[]): ToolProcess[] {
  // A shell script and the node it starts have nearly the same times: the parent is the outer one.
  const outer = (w: ToolProcess, p: ToolProcess) => p.kind === 'tool' || (p.ppid !== undefined ? p.ppid === w.pid : w.pid < p.pid);
  const contains = (w: ToolProcess, p: ToolProcess) => w !== p && w.kind === 'wrapper' && outer(w, p)
    && w.startMs <= p.startMs + 10 && w.endMs >= p.endMs - 10 && sameTarget(p, w);
  return procs.filter((p) => !procs.some((w) => contains(w, p)));
}

/** Whether two processes work on the same directory: the `-D` / `--target-pgdata` one (or one inside it) of either. */
function sameTarget(a: ToolProcess, b: ToolProcess): boolean {
  const dir = (p: ToolProcess) => /(?:-D |--pgdata[= ]|--target-pgdata[= ])(\S+)/.exec(p.args)?.[1];
  const names = (p: ToolProcess, d: string | undefined) => d !== undefined && new RegExp(`(^| |=)${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/| |$)`).test(p.args);
  return names(a, dir(b)) || names(b, dir(a));
}

/** The sampler itself, in the process that calls it (bench/toolSamplerProcess.ts runs it in one of its own). */
export function sampleToolHere(pathPart: string, everyMs = 20) {
  const boot = bootEpochMs();
  const hz = clockTicks();
  const ignored = new Set<number>(); // pids looked at once and not a tool
  const recheckAt = new Map<number, number>(); // shells and commands still starting: when to read them again
  const tracked = new Map<number, ToolProcess & { lastSeen: number; start: number }>();
  const done: ToolProcess[] = [];
  const tick = () => {
    const now = Date.now();
    for (const [pid, p] of tracked) {
      if (statOf(pid)?.start === p.start) {
        p.lastSeen = now;
        continue;
      }
      tracked.delete(pid);
      const { lastSeen, start: _start, ...rest } = p;
      done.push({ ...rest, endMs: (lastSeen + now) / 2 });
    }
    let names: string[];
    try {
      names = fs.readdirSync('/proc');
    } catch {
      return;
    }
    for (const n of names) {
      if (n.charCodeAt(0) > 57) continue;
      const pid = Number(n);
      if (!Number.isInteger(pid) || ignored.has(pid) || tracked.has(pid)) continue;
      if ((recheckAt.get(pid) ?? 0) > now) continue;
      let argv: string[];
      try {
        argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      } catch {
        continue;
      }
      // `env VAR=... tool` execs the tool in the same process: look again on the next scan.
      if (base(argv[0]) === 'env') continue;
      recheckAt.delete(pid);
      const direct = TOOLS.has(base(argv[0]));
      // The demo's $GPHOME/bin/<tool> is a shell script (`sh <path>/bin/<tool> args`) running node on
      // `<gphome>/lib/<tool>.cjs`: both are the program the job started, around the PostgreSQL tool.
      const wrapped = !direct && (/^node/.test(base(argv[0])) || SHELLS.has(base(argv[0]))) && TOOLS.has(base(argv[1]).replace(/\.cjs$/, ''));
      const args = argv.join(' ');
      if (!(direct || wrapped) || !args.includes(pathPart)) {
        // A pid that is still a shell or node at start-up may exec the tool later; only settled commands are ignored.
        // Kernel threads (children of kthreadd, pid 2) have no command line and never become a tool.
        const settled = argv.length ? !['sh', 'bash', 'sudo', 'runuser', 'su', 'ssh'].includes(base(argv[0])) : pid === 2 || statOf(pid)?.ppid === 2;
        if (settled) ignored.add(pid);
        else recheckAt.set(pid, now + RECHECK_MS);
        continue;
      }
      const st = statOf(pid);
      if (st === undefined) continue;
      const { start, ppid } = st;
      const dbidAt = argv.indexOf('--target-gp-dbid');
      tracked.set(pid, {
        pid, kind: direct ? 'tool' : 'wrapper', name: base(direct ? argv[0] : argv[1]).replace(/\.cjs$/, ''), startMs: boot + (start / hz) * 1000, endMs: now,
        ...(dbidAt >= 0 ? { dbid: Number(argv[dbidAt + 1]) } : {}), args: args.slice(0, 400), ppid, lastSeen: now, start,
      });
    }
  };
  const timer = setInterval(tick, everyMs);
  tick();
  return {
    stop(): ToolSpan | undefined {
      clearInterval(timer);
      tick();
      const now = Date.now();
      for (const { lastSeen, start: _start, ...rest } of tracked.values()) done.push({ ...rest, endMs: (lastSeen + now) / 2 });
      tracked.clear();
      const tools = done.filter((p) => p.kind === 'tool');
      if (!tools.length) return undefined;
      const programs = outermost(done);
      const firstStartMs = Math.min(...programs.map((p) => p.startMs));
      const lastEndMs = Math.max(...programs.map((p) => p.endMs));
      const pgFirst = Math.min(...tools.map((p) => p.startMs));
      const pgLast = Math.max(...tools.map((p) => p.endMs));
      return {
        ms: lastEndMs - firstStartMs, processes: programs.length, firstStartMs, lastEndMs, method: 'proc',
        tool: { ms: pgLast - pgFirst, firstStartMs: pgFirst, lastEndMs: pgLast }, spans: [...done].sort((a, b) => a.startMs - b.startMs),
      };
    },
  };
}

export interface ToolSampler {
  /** Stops sampling; the span of the tools seen, if any ran. */
  stop(): Promise<ToolSpan | undefined>;
}

/**
 * The sampler in a process of its own, started and sampling before this resolves: in the bench's process its scans
 * (a read of /proc every 20 ms) held up the event loop of the worker running there, which a bare copy never needs.
 */
export async function sampleTool(pathPart: string, everyMs = 20): Promise<ToolSampler> {
  const child = fork(path.join(__dirname, 'toolSamplerProcess.ts'), [pathPart, String(everyMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the /proc sampler exited (${code}) before it answered`))));
  exited.catch(() => undefined);
  const next = <T>(): Promise<T> => Promise.race([new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T))), exited]);
  await next<'ready'>();
  return {
    async stop() {
      const answer = next<{ span: ToolSpan | null }>();
      child.send('stop');
      const { span } = await answer;
      return span ?? undefined;
    },
  };
}

/**
 * Milliseconds `run` takes with the sampler running beside it and the time taken before the sampler stops: the bare
 * copies bear the sampler's CPU as the workflow's runs do.
 */
export async function timedBesideSampler(pathPart: string, run: () => Promise<unknown>): Promise<number> {
  const sampler = await sampleTool(pathPart);
  const t0 = performance.now();
  try {
    await run();
    return performance.now() - t0;
  } finally {
    // Its span is not wanted here; a sampler that failed must not hide what the run did.
    await sampler.stop().catch(() => undefined);
  }
}
