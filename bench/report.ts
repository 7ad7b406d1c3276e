// Turns one run's measurements into docs/benchmarks.md. Every number printed is computed here from that run.
import type { BenchConfig } from './config';
import { CATEGORIES, threadOf, type Category, type ThreadSummary } from './cpuProfile';
import type { FullSection, IncrementalRun, MeasuredRecovery } from './fullVsIncremental';
import type { LoadSample, MachineInfo } from './machine';
import type { ParallelSection } from './parallelRecovery';
import type { SimRun, SimSection } from './simulation';
import type { SyncSection } from './syncWatch';
import type { RawCopy } from './rawBasebackup';
import { phaseSplit, type SegmentTiming, type TimedRecovery } from './timedRecovery';
import { outermost, type ToolProcess, type ToolSpan } from './toolSampler';
import { holdsCommit, sameWorkflowCode } from './workflowCode';

export interface BenchResults {
  config: BenchConfig;
  machine: MachineInfo;
  loadBefore: LoadSample;
  loadAfter?: LoadSample;
  totalMs?: number;
  full?: FullSection;
  parallel?: ParallelSection;
  sim?: SimSection;
  sync?: SyncSection;
  errors: Array<{ section: string; message: string }>;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** Step durations: short ones need the second decimal to say anything. */
const st2 = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : s(ms));
const ms1 = (ms: number) => `${ms.toFixed(1)} ms`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const rate = (bytes: number, ms: number) => `${(bytes / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s`;
const toolMethod = (t: ToolSpan) => (t.method === 'proc' ? 'start and exit from /proc, +-10 ms' : 'process table, sampled every 0.1 s');
const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function median(v: number[]): number {
  const a = [...v].sort((x1, x2) => x1 - x2);
  const m = Math.floor(a.length / 2);
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** "median (min-max)" when there are several samples. */
function mr(v: number[], fmt: (n: number) => string = s): string {
  if (v.length === 1) return fmt(v[0]);
  return `${fmt(median(v))} (${fmt(Math.min(...v))} - ${fmt(Math.max(...v))})`;
}

/** The sample whose wall time is the median (the lower middle one for an even count), for a breakdown that adds up. */
function medianRun(runs: MeasuredRecovery[]): { r: MeasuredRecovery; index: number } {
  const order = runs.map((r, index) => ({ r, index })).sort((a, b) => a.r.run.wallMs - b.r.run.wallMs);
  return order[Math.floor((order.length - 1) / 2)];
}


/** The segment (dbid) a tool or wrapper process worked for: the plan's target directory on its command line. */
function dbidOfProcess(run: TimedRecovery, proc: ToolProcess): number | undefined {
  if (proc.dbid !== undefined) return proc.dbid;
  const items = [...(run.result.plan?.items ?? [])].sort((a, b) => b.target.datadir.length - a.target.datadir.length);
  return items.find((it) => new RegExp(`[ =]${it.target.datadir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/| |$)`).test(proc.args))?.dbid;
}

interface Part {
  label: string;
  ms: number;
  note: string;
}

/**
 * Wall time minus the copy programs' span, cut where it was spent: before the first copy program started (the
 * parent's planning, the children's dispatch, the steps before the copy, the copy step's own preparation) and after
 * the last one exited (the copy step's end, the start, the sync wait, the parent's end). Every part is a difference
 * of two timestamps, so the parts add up to the overhead exactly. A copy program is what the job started,
 * `$GPHOME/bin/<tool>`; inside it, the demo's wrapper runs the PostgreSQL tool, and `inside` cuts that apart.
 */
function overheadParts(run: TimedRecovery, tool: ToolSpan): { pre: Part[]; inside: Part[]; post: Part[] } | undefined {
  if (!tool.spans || tool.firstStartMs === undefined || tool.lastEndMs === undefined || run.startedAtMs === undefined || run.endedAtMs === undefined) return undefined;
  const programs = outermost(tool.spans);
  const tools = tool.spans.filter((p) => p.kind === 'tool');
  const first = programs.reduce((a, b) => (b.startMs < a.startMs ? b : a));
  const last = programs.reduce((a, b) => (b.endMs > a.endMs ? b : a));
  const segOf = (p: ToolProcess) => {
    const dbid = dbidOfProcess(run, p);
    return run.segments.find((x2) => x2.dbid === dbid);
  };
  /** The PostgreSQL tool processes a wrapper ran, first start and last exit. */
  const innerOf = (w: ToolProcess) => {
    if (w.kind !== 'wrapper') return undefined;
    const own = tools.filter((p) => p.startMs >= w.startMs - 10 && p.endMs <= w.endMs + 10 && dbidOfProcess(run, p) === dbidOfProcess(run, w));
    return own.length ? { startMs: Math.min(...own.map((p) => p.startMs)), endMs: Math.max(...own.map((p) => p.endMs)) } : undefined;
  };
  const s1 = segOf(first);
  const s2 = segOf(last);
  const c1 = s1?.at?.copySegment;
  const c2 = s2?.at?.copySegment;
  if (!s1 || !s2 || !c1 || !c2 || s1.startMs === undefined || s2.endMs === undefined || c2.endedMs === undefined || run.firstChildStartMs === undefined) return undefined;
  const pre: Part[] = [
    { label: 'client start call to the first child\'s start', ms: run.firstChildStartMs - run.startedAtMs, note: 'parent: readCluster, acquireRecoveryLock beside probeTargets, trustRecoveryHosts, progress file, workflow tasks' },
    { label: `first child's start to the start of dbid ${s1.dbid}'s child (the first copy)`, ms: s1.startMs - run.firstChildStartMs, note: 'child dispatch' },
    { label: `dbid ${s1.dbid}: child start to copySegment scheduled`, ms: c1.scheduledMs - s1.startMs, note: 'stopFailedSegment, verifySegmentDown, updateCatalog, evidence, wipeTarget and the workflow tasks between them' },
    { label: `dbid ${s1.dbid}: copySegment scheduled to the copy program's start`, ms: first.startMs - c1.scheduledMs, note: `inside the copy step, before the program: activity dispatch${c1.startedMs !== undefined ? ` (${st2(c1.startedMs - c1.scheduledMs)} scheduled to started)` : ''}, target directory checks, slot, job start` },
  ];
  const inside: Part[] = [];
  const i1 = innerOf(first);
  const i2 = innerOf(last);
  // What the demo's wrapper does around the PostgreSQL tool differs by tool (demo/gphome/pgBasebackup.ts, pgRewind.ts).
  const rewind = tools.some((p) => /pg_rewind/.test(p.name));
  if (i1) inside.push({ label: `dbid ${s1.dbid}: the program's start to the PostgreSQL tool's start`, ms: i1.startMs - first.startMs, note: rewind
    ? 'the demo\'s $GPHOME wrapper (demo/gphome/pgRewind.ts): node start-up, its options and the source\'s utility-mode connection check; a bare pg_rewind pays it too'
    : 'the demo\'s $GPHOME wrapper (demo/gphome/): node start-up, the pg_hba.conf check and the source\'s tablespaces, which Greenplum\'s pg_basebackup does in its own process; a bare copy pays it too' });
  if (i2) inside.push({ label: `dbid ${s2.dbid}: the PostgreSQL tool's exit to the program's exit`, ms: last.endMs - i2.endMs, note: rewind
    ? 'the wrapper after pg_rewind: the target\'s internal.auto.conf (its gp_dbid) put back, the slot and application_name in its recovery settings; a bare pg_rewind pays it too'
    : 'the wrapper puts the copy in place over the old directory (removes what it replaces, renames, syncs), as Greenplum\'s --force-overwrite does inside its one process while it unpacks; a bare copy pays it too' });
  const post: Part[] = [
    { label: `dbid ${s2.dbid} (the last copy to end): the program's exit to copySegment closed`, ms: c2.endedMs - last.endMs, note: 'inside the copy step, after the program: job end noticed, identity verified, activity completed' },
  ];
  const st = s2.steps;
  post.push(
    { label: `dbid ${s2.dbid}: copySegment closed to its child closed`, ms: s2.endMs - c2.endedMs, note: `startRecoveredSegment ${st2(st.startRecoveredSegment ?? 0)}, waitForSync ${st2(st.waitForSync ?? 0)}, the rest workflow tasks between them` },
    { label: `dbid ${s2.dbid}'s child closed to the result`, ms: run.endedAtMs - s2.endMs, note: 'other children still ending, releaseRecoveryLock, parent completion, result to the client' },
  );
  return { pre, inside, post };
}

function partRows(run: TimedRecovery, tool: ToolSpan): string[][] | undefined {
  const parts = overheadParts(run, tool);
  if (!parts) return undefined;
  const sum = (ps: Part[]) => ps.reduce((a, p) => a + p.ms, 0);
  const row = (p: Part, sub = false) => [sub ? `&nbsp;&nbsp;${p.label}` : p.label, st2(p.ms), p.note];
  return [
    ['**before the first copy program started**', `**${st2(sum(parts.pre))}**`, ''],
    ...parts.pre.map((p) => row(p)),
    ['**the copy programs ran (first start to last exit)**', `(${st2(tool.ms)})`, `not overhead${tool.tool ? `; the PostgreSQL tool processes inside them: ${st2(tool.tool.ms)}` : ''}`],
    ...parts.inside.map((p) => row(p, true)),
    ['**after the last copy program exited**', `**${st2(sum(parts.post))}**`, ''],
    ...parts.post.map((p) => row(p)),
    ['**overhead: wall time minus the copy programs\' span**', `**${st2(run.wallMs - tool.ms)}**`, `the parts above add up to it (${st2(sum(parts.pre) + sum(parts.post))})`],
  ];
}

function stepRows(run: TimedRecovery, seg: SegmentTiming, tool?: ToolSpan): string[][] {
  const st = seg.steps;
  const ps = run.parentSteps;
  const p = phaseSplit(seg);
  const rows: Array<[string, number | undefined, string]> = [
    ['parent: start to its child\'s start', run.beforeChildrenMs, 'readCluster, then acquireRecoveryLock beside probeTargets, then trustRecoveryHosts, and the workflow tasks between them'],
    ['  readCluster', ps.readCluster, 'catalog and flavour'],
    ['  acquireRecoveryLock', ps.acquireRecoveryLock, 'gprecoverseg.lock on the coordinator host; runs beside probeTargets'],
    ['  probeTargets', ps.probeTargets, 'target directory, source, heap checksum settings'],
    ['  trustRecoveryHosts', ps.trustRecoveryHosts, 'pg_hba.conf of the source (already trusted: no change, no reload)'],
    ['stopFailedSegment', st.stopFailedSegment, ''],
    ['verifySegmentDown', st.verifySegmentDown, 'catalog says d (FTS had already marked it)'],
    ['updateCatalog', st.updateCatalog, ''],
    ['wipeTarget', st.wipeTarget, seg.type === 'full' ? 'safety checks only: pg_basebackup --force-overwrite copies over the old directory, nothing is removed first' : 'not run (incremental)'],
    ['**copySegment**', st.copySegment, `${seg.copyMethod ?? '?'}${tool ? `; the copy program itself ran ${st2(tool.ms)}${tool.tool ? ` (its PostgreSQL process ${st2(tool.tool.ms)})` : ''} (${toolMethod(tool)}), so ${st2((st.copySegment ?? 0) - tool.ms)} of the step is around it` : ''}; the job's end is waited for on the host, not polled`],
    ['startRecoveredSegment', st.startRecoveredSegment, 'port, pg_ctl -w start; the step ends once postmaster.pid says ready (looked at every 10 ms, since 2026-12-08; before, when pg_ctl -w did, every 100 ms); on the demo the start goes straight to PostgreSQL\'s pg_ctl (since 2026-12-08; before, through node, about 60 ms)'],
    ['**waitForSync**', st.waitForSync, 'the worker\'s sync watcher: the mirror\'s primary looked at as soon as it waits, then every 20 ms in its first 2 s, and FTS asked to probe in the round that sees its walsender streaming (since 2026-12-08, run I; before, FTS was asked as soon as the mirror waited, before it streamed, and the look that saw it streaming came 100 ms later); the demo\'s FTS answers a request in about 50 ms, as Greenplum\'s, and marks a streaming mirror in sync, as Greenplum\'s GetMirrorStatus (since 2026-12-08, run I; before, only once no WAL was in flight)'],
    ['between steps inside the child', p.childGaps, 'workflow tasks, activity dispatch'],
    ['parent: its child\'s end to the result', run.afterChildrenMs, 'releaseRecoveryLock, workflow completion, result to the client'],
  ];
  return rows.filter(([, v]) => v !== undefined).map(([k, v, note]) => [k, st2(v!), `${((100 * v!) / run.wallMs).toFixed(0)}%`, note]);
}

function machineSection(r: BenchResults): string {
  const m = r.machine;
  const loads = [r.loadBefore, r.loadAfter].filter((l): l is LoadSample => !!l);
  const shared = loads.some((l) => l.loadavg[0] > 0.5);
  return [
    '## Machine',
    '',
    table(['', ''], [
      ['date (run start)', m.date],
      ['nproc', String(m.nproc)],
      ['CPU', m.cpuModel],
      ['memory', `${m.memGiB.toFixed(1)} GiB`],
      ['kernel', m.kernel],
      ['PostgreSQL', m.pgVersion],
      ['Node', m.node],
      ['Temporal', `${m.temporalCli} (dev server, in-memory, on 127.0.0.1)`],
      ['load before the run', `\`${r.loadBefore.uptime}\``],
      ['load after the run', r.loadAfter ? `\`${r.loadAfter.uptime}\`` : 'not recorded (run aborted)'],
      ['bench wall time', r.totalMs ? s(r.totalMs) : '-'],
    ]),
    '',
    shared
      ? `**Load.** The 1-minute load average of the ${m.nproc} cores was ${loads.map((l) => l.loadavg[0].toFixed(2)).join(' just before the bench started and ')} just after all of its own processes had exited (the figure after still averages the bench's own last minute; whatever else ran on the machine meanwhile is not known to the bench). Processes using the CPU (top, one second) at the start: ${r.loadBefore.busiest.map((b) => `\`${b}\``).join(', ') || 'none above 5%'}${r.loadAfter ? `; at the end: ${r.loadAfter.busiest.map((b) => `\`${b}\``).join(', ') || 'none above 5%'}` : ''}. Absolute times are therefore noisy; ratios taken within one section are more trustworthy than absolute figures.`
      : 'The machine was otherwise idle (1-minute load average below 0.5 before and after).',
    '',
    'All "hosts" are loopback addresses on this one machine (127.0.91.x, 127.0.92.x, 127.0.93.x), so nothing crosses a network; the demo instances run with `fsync = off` and `shared_buffers = 16MB` (demo/conf.ts). pg_basebackup still syncs its output, in both the raw and the workflow runs.',
    '',
    (r.config.hostsOver ?? 'local') === 'ssh'
      ? '**How the worker reached the hosts: over SSH**, as on a real cluster (BENCH_HOSTS_OVER=ssh, the default since 2026-12-07): each segment host of every demo cluster had a real OpenSSH sshd on its first loopback address (test/helpers/sshd.ts), and the worker ran every command there over its one ssh2 connection per host; the coordinator\'s host stayed local, as where the worker runs beside the coordinator. The bare copies ran on the host itself, as a DBA logged in there runs them. Reports before this date ran every command as a child process of the worker (the demo\'s own `local` configuration, BENCH_HOSTS_OVER=local).'
      : '**How the worker reached the hosts: locally** (BENCH_HOSTS_OVER=local, the demo\'s own configuration): every command ran as a child process of the worker, not over SSH as on a real cluster.',
    '',
    'The demo clusters emulate Greenplum 7 (the default flavour): `$GPHOME/bin/pg_basebackup`, `pg_rewind` and `pg_ctl start` are the demo\'s wrappers (bundled JavaScript run by node, demo/gphome/) that apply Greenplum\'s rules (`--target-gp-dbid`, `--force-overwrite`, pg_hba.conf, utility mode) around PostgreSQL 15\'s tools. The raw baseline runs the same `$GPHOME/bin/pg_basebackup`, so the wrapper\'s cost is on both sides of every ratio.',
  ].join('\n');
}

/** Section 1's figures, shared by the section and the summary: medians over the rounds. */
function fullFigures(f: FullSection['small']) {
  const raw = median(f.raw.map((r) => r.ms));
  const wall = median(f.full.map((r) => r.run.wallMs));
  const withTool = f.full.filter((r) => r.tool);
  const fixed = withTool.map((r) => r.run.wallMs - r.tool!.ms);
  const around = withTool.map((r) => phaseSplit(r.run.segments[0]).copy - r.tool!.ms);
  // The same two figures against the PostgreSQL process alone (the demo wrapper's work counted as overhead).
  const withPg = withTool.filter((r) => r.tool!.tool);
  const fixedPg = withPg.map((r) => r.run.wallMs - r.tool!.tool!.ms);
  const aroundPg = withPg.map((r) => phaseSplit(r.run.segments[0]).copy - r.tool!.tool!.ms);
  // The bare copy runs the same program as the workflow's copy: a bare run much slower than that program inside the
  // workflow was slowed by something else (kernel time on this machine), and its ratio would flatter the workflow.
  const toolMed = withTool.length ? median(withTool.map((r) => r.tool!.ms)) : undefined;
  const bareDisturbed = toolMed !== undefined && raw > 1.2 * toolMed;
  return {
    raw, wall, ratio: wall / raw, fixed, around, fixedPg, aroundPg, fixedMed: fixed.length ? median(fixed) : undefined, aroundMed: around.length ? median(around) : undefined,
    toolMed, bareDisturbed,
  };
}

/** What a disturbed bare copy means for the ratio, said where the ratio is. */
/** The bare copies timed twice since 2026-12-07: the first of the two, which does not count. */
function firstNote(raw: RawCopy[]): string {
  const first = raw.flatMap((r) => (r.firstMs !== undefined ? [r.firstMs] : []));
  if (!first.length) return '';
  return `, and it is then timed twice in a row, each copy over the one before it, the second counting: by hand on 2026-12-07 (2 GiB, not this run) the first of four such copies in a row took 10.3 s with 8.5 s of system time and the next three 3.5, 3.3 and 3.3 s with 1.4-1.7 s (the slow one was started as the bench starts it, the others alternately as a copy job is and as the bench does, so how it was started is not ruled out); the first of the two took ${mr(first)} in this run, and the workflow's runs get no such warm-up`;
}

/** Section 1's bare copies by their place in the round (every other round times the workflow first, since 2026-12-07). */
function orderNote(raw: RawCopy[], full: MeasuredRecovery[]): string {
  if (!raw.some((r) => r.afterWorkflow) || full.length !== raw.length) return '';
  const pick = <T>(v: T[], after: boolean) => v.filter((_, i) => !!raw[i].afterWorkflow === after);
  const wall = full.map((r) => r.run.wallMs);
  const tool = full.map((r) => r.tool?.ms);
  const toolOf = (after: boolean) => pick(tool, after).filter((t): t is number => t !== undefined);
  const rounds = raw.map((r, i) => (r.afterWorkflow ? i + 1 : undefined)).filter((i) => i !== undefined);
  return ` Rounds ${rounds.join(', ')} timed the workflow first and the bare copy after it, the others the bare copy (and the ${raw.some((r) => r.firstMs !== undefined) ? 'two copies' : 'untimed copy'} before it) first: the bare copies took ${mr(pick(raw.map((r) => r.ms), false))} timed first and ${mr(pick(raw.map((r) => r.ms), true))} timed after the workflow's run (each: ${raw.map((r) => `${s(r.ms)} ${r.afterWorkflow ? 'after' : 'first'}`).join(', ')}); the workflow's runs took ${mr(pick(wall, true))} timed first and ${mr(pick(wall, false))} timed after the bare copies${toolOf(true).length && toolOf(false).length ? `, their copy program ${mr(toolOf(true))} and ${mr(toolOf(false))}` : ''}.`;
}

function bareDisturbedNote(f: ReturnType<typeof fullFigures>): string {
  return `the bare copies (median ${s(f.raw)}) took more than 1.2 times the same program inside the workflow's runs (median ${s(f.toolMed!)}), for a reason outside the workflow, so the ratio flatters it and is not counted as met`;
}

function fullSection(f: FullSection['small'], cfg: BenchConfig): string {
  const raw = f.raw.map((r) => r.ms);
  const wall = f.full.map((r) => r.run.wallMs);
  const copy = f.full.map((r) => phaseSplit(r.run.segments[0]).copy);
  const tool = f.full.flatMap((r) => (r.tool ? [r.tool.ms] : []));
  const pgTool = f.full.flatMap((r) => (r.tool?.tool ? [r.tool.tool.ms] : []));
  const bytes = median(f.raw.map((r) => r.bytes));
  const rawMed = median(raw);
  const pairs = f.full.map((r, i) => r.run.wallMs / f.raw[i].ms);
  const { r: mid, index } = medianRun(f.full);
  const n = f.full.length;
  const fig = fullFigures(f);
  const method = mid.tool ? toolMethod(mid.tool) : 'not seen';
  const parts = mid.tool ? partRows(mid.run, mid.tool) : undefined;
  return [
    `## 1. Full recovery (-F) through the workflow vs raw pg_basebackup, one ${cfg.gib} GiB segment`,
    '',
    `Content ${f.content} of a 2-host x 2-primary demo cluster holds ${f.rows.toLocaleString('en-US')} rows of 1000 bytes: table ${mib(f.tableBytes)}, loaded in ${s(f.loadMs)}. pg_basebackup writes ${mib(bytes)} (the whole data directory plus the WAL streamed during the copy). ${n} rounds, each: kill the mirror and wait for FTS to mark it down; then the raw copy, the flavour's own command line (\`$GPHOME/bin/pg_basebackup -c fast -D <scratch> -h <primary> -p <port> --wal-method stream --no-verify-checksums --force-overwrite -E ./db_dumps -E ./promote -E ./db_analyze --target-gp-dbid <dbid>\`, without the replication slot, recovery settings and progress output) run by hand on the mirror's host over an earlier copy of the same segment made just before (untimed), because a recovery copies over the old mirror's directory and Greenplum's pg_basebackup --force-overwrite removes each directory it replaces as it unpacks${firstNote(f.raw)}; then the -F recovery of the mirror through the workflow, timed from the start call to the result (mirror up and in sync).${f.raw.some((r) => r.afterWorkflow) ? ' Every other round (the even ones) times the workflow first and the bare copy right after it, from the same primary, while the mirror it just recovered runs.' : ''} The copy tool's own time inside the workflow run is the program the copy job started, \`$GPHOME/bin/pg_basebackup\`, from its start (the kernel's start time in /proc/<pid>/stat) to its exit (the /proc scan every 20 ms that no longer finds it), bench/toolSampler.ts. On the demo that program is a shell script running the demo's node wrapper, which runs PostgreSQL's pg_basebackup and then does what Greenplum's pg_basebackup does in its own process (moves the copy in place over the old directory, writes the dbid); the PostgreSQL process alone is given beside it, and the fixed overhead is also given against it. Median and, in brackets, the range of the ${n} samples.`,
    '',
    table(['measurement', `median (min - max) of ${n}`, 'throughput at the median', 'vs raw median'], [
      ['raw `$GPHOME/bin/pg_basebackup` by hand, as the cluster\'s OS user', mr(raw), rate(bytes, rawMed), '1.00x'],
      ['**-F recovery through the workflow**: start call to result (mirror up and in sync)', `**${mr(wall)}**`, rate(bytes, median(wall)), `**${x(median(wall), rawMed)}**`],
      ['  the copySegment activity within it', mr(copy), rate(bytes, median(copy)), x(median(copy), rawMed)],
      ...(tool.length ? [[`  the copy program \`$GPHOME/bin/pg_basebackup\` within that (${method})`, mr(tool), rate(bytes, median(tool)), x(median(tool), rawMed)]] : []),
      ...(pgTool.length ? [['    the PostgreSQL pg_basebackup process within the program', mr(pgTool), rate(bytes, median(pgTool)), x(median(pgTool), rawMed)]] : []),
    ]),
    '',
    `Overhead of the workflow over a bare copy: ${s(median(wall) - rawMed)} at the medians (${x(median(wall), rawMed)}); round by round the ratio was ${pairs.map((p) => x(p, 1)).join(', ')}.${orderNote(f.raw, f.full)} The workflow figure includes starting the mirror and the FTS wait: the run is only done when FTS has marked the mirror up and in sync, which the raw copy never waits for. Not included: FTS noticing the killed mirror (kill to status d took ${mr(f.full.map((r) => r.ftsDetectMs))} with a 1 s FTS interval), because a recovery starts after that.${fig.bareDisturbed ? ` **Caveat:** ${bareDisturbedNote(fig)}, and the overhead at the medians above means nothing.${f.raw.some((r) => r.firstMs !== undefined) ? ' The first copy over a fresh one no longer counts (see above) and the order in the round is given above; why the counted ones were slow was not found.' : ' Why was not found: on the machine of the report of 2026-12-07 (a check by hand, not a run of the bench), the same command took 20.0 s with 17.6 s of system time and then 9.2 s with 6.8 s, and syncing the untimed copy before the timed one did not change the bench\'s figure.'}` : ''}`,
    '',
    ...(fig.fixed.length ? [
      `**Fixed overhead** (wall time minus the copy program's own time): **${mr(fig.fixed, st2)}** (target <= 0.6 s). **Time around the tool inside the copy step** (copySegment activity, scheduled to closed, minus the copy program): **${mr(fig.around, (ms) => `${(ms / 1000).toFixed(3)} s`)}** (target <= 0.1 s).${fig.fixedPg.length ? ` Against the PostgreSQL process alone, so that the demo wrapper's work counts as overhead: fixed ${mr(fig.fixedPg, st2)}, around the tool ${mr(fig.aroundPg, st2)}.` : ''}`,
      '',
    ] : ['The copy tool process was not seen in /proc during the workflow runs, so the fixed overhead is not measured.', '']),
    ...(parts ? [
      `The fixed overhead of the median run (round ${index + 1}), cut at the copy program's start and exit (history timestamps of the server, /proc times of the program and of the PostgreSQL tool inside it, all on this machine's clock):`,
      '',
      table(['part', 'time', 'what runs there'], parts),
      '',
    ] : []),
    `Where the time went in the median run (round ${index + 1}, ${s(mid.run.wallMs)}), step by step from the parent and child event histories (each activity from scheduled to completed; acquireRecoveryLock and probeTargets overlap, so the shares do not add up to 100%):`,
    '',
    table(['step', 'time', 'share', 'note'], stepRows(mid.run, mid.run.segments[0], mid.tool)),
    '',
    `Parent history: ${mid.run.parentEvents} events${mid.run.parentHistoryBytes ? ` (${(mid.run.parentHistoryBytes / 1024).toFixed(1)} KiB)` : ''}; child history: ${mid.run.segments[0].childEvents} events.${mid.benchCpuSec !== undefined ? ` CPU during the run: ${mid.benchCpuSec.toFixed(2)} s by the bench process (the worker runs in it), ${mid.serverCpuSec?.toFixed(2) ?? '?'} s by the dev server.` : ''}`,
  ].join('\n');
}

/** Section 2's failover runs against the bare pg_rewind of the same divergence. */
function rewindFigures(runs: IncrementalRun[]) {
  const withBare = runs.filter((r) => r.bare);
  if (!withBare.length) return undefined;
  const bare = median(withBare.map((r) => r.bare!.ms));
  const wall = median(withBare.map((r) => r.run.wallMs));
  const tools = withBare.flatMap((r) => (r.tool ? [r.tool.ms] : []));
  const toolMed = tools.length ? median(tools) : undefined;
  // As for the full copy (fullFigures): a bare run slower than the same program inside the workflow flatters the ratio.
  const bareDisturbed = toolMed !== undefined && bare > 1.2 * toolMed;
  return { runs: withBare, bare, wall, ratio: wall / bare, toolMed, bareDisturbed };
}

function rewindDisturbedNote(f: NonNullable<ReturnType<typeof rewindFigures>>): string {
  return `the bare pg_rewind runs (median ${st2(f.bare)}) took more than 1.2 times the same program inside the workflow's runs (median ${st2(f.toolMed!)}), ${f.runs.some((r) => r.bare!.afterWorkflow) && f.runs.some((r) => !r.bare!.afterWorkflow) ? 'in part for its place in the round: whichever pg_rewind runs first after the change takes longer, the bare one and the program inside the workflow alike (see above; why was not looked into)' : 'for a reason not found (it runs on a copy of the directory made and synced just before, untimed, and first in each round; not checked whether either matters)'}, so the ratio flatters the workflow and is not counted as met; against the workflow's own pg_rewind program instead, the workflow took ${x(f.wall, f.toolMed!)}. This rule, the one target 1 already had, applies to target 5 since commit d7c0ff0; the report of aa6556b, before it, counted 1.14x as met with a bare median of 2.21 s against 1.27 s for the program inside the workflow`;
}

/** The bare pg_rewind runs by their place in the round (every other round times the workflow first, since 2026-12-07). */
function rewindOrderNote(runs: IncrementalRun[]): string {
  const after = runs.filter((r) => r.bare!.afterWorkflow);
  const first = runs.filter((r) => !r.bare!.afterWorkflow);
  if (!after.length || !first.length) return '';
  const programs = (rs: IncrementalRun[]) => rs.flatMap((r) => (r.tool ? [r.tool.ms] : []));
  const inside = (rs: IncrementalRun[]) => (programs(rs).length ? `, the pg_rewind program inside the workflow's runs ${mr(programs(rs), st2)}` : '');
  const bareOf = (rs: IncrementalRun[]) => median(rs.map((r) => r.bare!.ms));
  const wallOf = (rs: IncrementalRun[]) => median(rs.map((r) => r.run.wallMs));
  return ` By place in the round: timed first, the bare pg_rewind took ${mr(first.map((r) => r.bare!.ms), st2)} and the workflow's runs after it ${mr(first.map((r) => r.run.wallMs), st2)}${inside(first)}; timed after the workflow's run, the bare pg_rewind took ${mr(after.map((r) => r.bare!.ms), st2)} and the workflow's runs before it ${mr(after.map((r) => r.run.wallMs), st2)}${inside(after)}. At the same place in the round, the workflow took ${x(wallOf(after), bareOf(first))} the bare pg_rewind when each ran first after the change, and ${x(wallOf(first), bareOf(after))} when each ran second.`;
}

function rewindVsBare(failover: IncrementalRun[]): string[] {
  const fig = rewindFigures(failover);
  if (!fig) return [];
  const { r: mid, index } = medianRun(fig.runs);
  const midRun = mid as IncrementalRun;
  const parts = mid.tool ? partRows(mid.run, mid.tool) : undefined;
  const argv = midRun.bare!.argv.map((a) => a.replace(/\/tmp\/[^ ]*scratch\/[^ ]*/, '<copy>')).join(' ');
  return [
    '',
    `**Incremental after a failover vs a bare pg_rewind of the same divergence.** In each failover round, after the change on the promoted primary, the ex-primary's data directory (${mib(midRun.bare!.dirBytes)}) was copied untimed (${mr(fig.runs.map((r) => r.bare!.copyMs))}) to a scratch directory on its host${midRun.bare!.synced ? ' and synced to disk (`sync`, untimed: pg_rewind syncs the whole target directory at its end, and would otherwise also write back the fresh copy)' : ''}; the source was CHECKPOINTed (as the workflow's copy step does first), and the flavour's pg_rewind was run on the copy by hand, as the cluster's OS user, with the command line the workflow runs minus --progress (\`${argv}\`). Then the incremental recovery of the real directory through the workflow, start call to up and in sync.${fig.runs.some((r) => r.bare!.afterWorkflow) ? ' Every other round (the even ones) made the copy, then ran the workflow\'s recovery of the real directory, and only then timed the bare pg_rewind on the copy.' : ''}`,
    '',
    table(['round', 'bare pg_rewind', 'workflow: start call to result', 'the pg_rewind program inside it', 'copySegment step', 'workflow / bare'], fig.runs.map((r, i) => [
      String(i + 1), `${st2(r.bare!.ms)}${r.bare!.afterWorkflow !== undefined ? (r.bare!.afterWorkflow ? ' (after the workflow)' : ' (first)') : ''}`, st2(r.run.wallMs), r.tool ? st2(r.tool.ms) : '-', st2(phaseSplit(r.run.segments[0]).copy), x(r.run.wallMs, r.bare!.ms),
    ])),
    '',
    `Medians: bare ${st2(fig.bare)}, workflow ${st2(fig.wall)}: **${x(fig.wall, fig.bare)}** (target <= 1.15x).${rewindOrderNote(fig.runs)}${fig.bareDisturbed ? ` **Caveat:** ${rewindDisturbedNote(fig)}.` : ''}`,
    ...(parts ? ['', `Where the workflow's time beyond its own pg_rewind process went in the median round (${index + 1}):`, '', table(['part', 'time', 'what runs there'], parts)] : []),
  ];
}

function incrementalSection(f: NonNullable<FullSection['big']>, cfg: BenchConfig): string {
  const fullWall = median(f.full.map((r) => r.run.wallMs));
  const line = (label: string, runs: MeasuredRecovery[], changed: string, wal: string, ratio: string) => {
    const segs = runs.map((r) => r.run.segments[0]);
    const tools = runs.flatMap((r) => (r.tool ? [r.tool.ms] : []));
    const methods = [...new Set(segs.map((x2) => x2.copyMethod ?? '?'))].join('/');
    return [label, changed, wal, `**${mr(runs.map((r) => r.run.wallMs))}**`, `${mr(segs.map((x2) => phaseSplit(x2).copy), st2)} (${methods})`,
      tools.length ? mr(tools, st2) : 'no tool ran', mr(segs.map((x2) => phaseSplit(x2).sync), st2), ratio];
  };
  const behind = f.incremental.filter((i) => i.scenario === 'behind');
  const failover = f.incremental.filter((i) => i.scenario === 'failover');
  const rows = [line(`full (-F) of the ${f.gib} GiB content`, f.full, '-', '-', '1.00x')];
  for (const [label, runs] of [['incremental: the mirror was stopped and fell behind', behind], ['incremental: the old primary after a failover (pg_rewind)', failover]] as const) {
    if (!runs.length) continue;
    rows.push(line(label, runs, `${runs[0].changedRows.toLocaleString('en-US')} rows`, mr(runs.map((r) => r.walBytes), mib),
      `**${x(median(runs.map((r) => r.run.wallMs)), fullWall)}**`));
  }
  return [
    `## 2. Incremental recovery after ~${cfg.changePct}% of the data changed vs full recovery, one ${f.gib} GiB segment`,
    '',
    `Content 1 of the same cluster holds ${f.rows.toLocaleString('en-US')} rows (table ${mib(f.tableBytes)}, loaded in ${s(f.loadMs)}), large enough that the fixed costs of a run do not hide the copy. It was first recovered with -F ${f.full.length} times${f.fullShared ? ' (the -F runs of section 1: the same content)' : ''}; then, while it was down, the first ${f.incremental[0]?.changedRows.toLocaleString('en-US')} rows (${cfg.changePct}% of them, a contiguous id range, so about ${cfg.changePct}% of the heap pages) were rewritten on the acting primary before an incremental recovery. ${behind.length} runs of each kind; median (min - max).`,
    '',
    table(['recovery', 'changed while down', 'WAL written meanwhile', 'wall time', 'copy step (method)', 'copy tool process', 'waitForSync', 'vs full (medians)'], rows),
    '',
    'A mirror that was only stopped still has standby.signal, so incremental recovery does not run pg_rewind on it (gprecoverseg does not either): it restarts the mirror, which streams the missed WAL from its replication slot, and that catch-up happens during startRecoveredSegment and waitForSync. After a failover the old primary has diverged from the promoted mirror, and pg_rewind copies only the blocks changed since the divergence point (plus the WAL and non-relation files), which is why it sits between the two.',
    ...rewindVsBare(failover),
  ].join('\n');
}

/** overhead(N) of a parallelism case: wall time minus the copy processes' span, median over its runs. */
function parallelOverhead(c: ParallelSection['cases'][number]): number | undefined {
  const v = c.runs.filter((r) => r.tool).map((r) => r.run.wallMs - r.tool!.ms);
  return v.length ? median(v) : undefined;
}

function parallelSection(p: ParallelSection, cfg: BenchConfig): string {
  const rows = p.cases.map((c) => {
    const { r: mid } = medianRun(c.runs);
    const segs = mid.run.segments;
    const copies = segs.map((x2) => phaseSplit(x2).copy);
    const syncs = segs.map((x2) => phaseSplit(x2).sync);
    const wall = c.runs.map((r) => r.run.wallMs);
    const tools = c.runs.flatMap((r) => (r.tool ? [r.tool.ms] : []));
    const over = c.runs.filter((r) => r.tool).map((r) => r.run.wallMs - r.tool!.ms);
    return [
      String(c.segments),
      c.hostParallelism ? `-B ${c.hostParallelism} -b ${c.segmentParallelism}` : 'default (-B 16 -b 64)',
      mr(c.raw.map((r) => r.ms)),
      `**${mr(wall)}**`,
      x(median(wall), median(c.raw.map((r) => r.ms))),
      tools.length ? mr(tools) : '-',
      over.length ? `**${mr(over, st2)}**` : '-',
      `${st2(Math.min(...copies))} / ${st2(Math.max(...copies))}`,
      `${st2(Math.min(...syncs))} / ${st2(Math.max(...syncs))}`,
      s(median(wall) / c.segments),
    ];
  });
  // Where overhead(N) went, part by part, in each case's median run: the rows line up across N.
  const defaults = p.cases.filter((c) => !c.hostParallelism);
  const cuts = defaults.map((c) => {
    const { r: mid } = medianRun(c.runs);
    return { c, mid, parts: mid.tool ? overheadParts(mid.run, mid.tool) : undefined };
  }).filter((v) => v.parts);
  const breakdown: string[] = [];
  if (cuts.length) {
    const labels = ['planning: client start call to the first child\'s start', 'child dispatch: first child\'s start to the first copy\'s child start', 'the first copy\'s child: start to copySegment scheduled', 'its copySegment: scheduled to the copy program\'s start',
      'the last copy: program exit to copySegment closed', 'the last copy: copySegment closed to child closed (start, sync)', 'that child closed to the result'];
    const main = (v: (typeof cuts)[number]) => [...v.parts!.pre, ...v.parts!.post];
    const rowsB = labels.map((l, i) => [l, ...cuts.map((v) => st2(main(v)[i]?.ms ?? NaN))]);
    rowsB.push(['**overhead(N)**', ...cuts.map((v) => `**${st2(v.mid.run.wallMs - v.mid.tool!.ms)}**`)]);
    rowsB.push(['the copy programs\' span', ...cuts.map((v) => st2(v.mid.tool!.ms))]);
    rowsB.push(['children\'s starts spread (first to last child start)', ...cuts.map((v) => st2((v.mid.run.lastChildStartMs ?? NaN) - (v.mid.run.firstChildStartMs ?? NaN)))]);
    rowsB.push(['PostgreSQL tool starts spread (first to last segment\'s first PostgreSQL pg_basebackup start; its WAL-streaming child not counted)', ...cuts.map((v) => {
      const first = new Map<number | undefined, number>();
      for (const q of (v.mid.tool!.spans ?? []).filter((p2) => p2.kind === 'tool')) {
        const d = dbidOfProcess(v.mid.run, q);
        first.set(d, Math.min(first.get(d) ?? Infinity, q.startMs));
      }
      const starts = [...first.values()];
      return st2(Math.max(...starts) - Math.min(...starts));
    })]);
    rowsB.push(['startRecoveredSegment, longest', ...cuts.map((v) => st2(Math.max(...v.mid.run.segments.map((g) => g.steps.startRecoveredSegment ?? 0))))]);
    rowsB.push(['waitForSync (the sync watcher), longest', ...cuts.map((v) => st2(Math.max(...v.mid.run.segments.map((g) => g.steps.waitForSync ?? 0))))]);
    rowsB.push(['CPU of the bench process (driver and in-process worker) during the run', ...cuts.map((v) => (v.mid.benchCpuSec !== undefined ? `${v.mid.benchCpuSec.toFixed(2)} s` : '-'))]);
    rowsB.push(['CPU of the dev server during the run', ...cuts.map((v) => (v.mid.serverCpuSec !== undefined ? `${v.mid.serverCpuSec.toFixed(2)} s` : '-'))]);
    breakdown.push('', 'Where overhead(N) went in the median run of each N (default -B/-b), cut at the first copy program\'s start and the last one\'s exit (history timestamps and /proc times, one clock; the seven parts add up to overhead(N)), then the figures that explain the parts:', '',
      table(['part', ...cuts.map((v) => `N = ${v.c.segments}`)], rowsB));
  }
  return [
    '## 4. Several segments at once under -B / -b',
    '',
    `A 2-host x 4-primary demo cluster (${p.contents} contents, ${mib(p.tableBytesPerContent)} table per content, ${cfg.segMb} MB requested). For each row, N mirrors spread evenly over both hosts were killed and recovered with -F, ${p.cases[0]?.runs.length ?? 0} times; "raw" is N of the flavour's pg_basebackup command lines (as in section 1) of the same primaries started at once on the mirrors' hosts, taken just before each workflow run${p.cases.some((c) => c.raw.some((r) => r.firstMs !== undefined)) ? `, timed twice in a row over an earlier copy and the second counted, as in section 1 (the first, not counted: ${p.cases.flatMap((c) => {
      const first = c.raw.flatMap((r) => (r.firstMs !== undefined ? [r.firstMs] : []));
      return first.length ? [`N = ${c.segments}${c.segmentParallelism === 1 && c.hostParallelism === 1 ? ' -B 1 -b 1' : ''}: ${mr(first)}`] : [];
    }).join('; ')}); the workflow's runs come right after them and their removal` : ''}. overhead(N) is the workflow's wall time minus the span of its copy programs (the first \`$GPHOME/bin/pg_basebackup\`'s start to the last one's exit, from /proc; on the demo each is a shell script running the node wrapper around PostgreSQL's pg_basebackup). Times are median (min - max); the per-segment columns are from the median run.`,
    '',
    table(['N', '-B / -b', 'raw pg_basebackup x N at once', 'workflow wall time', 'vs raw (medians)', 'first copy process start to last copy process end', 'overhead(N)', 'copy step min / max', 'waitForSync min / max', 'wall time / N'], rows),
    ...breakdown,
    '',
    'Every instance (16 PostgreSQL servers, their copies, the FTS prober, the dev server and the worker) shares the same 2 cores, so parallel copies compete for CPU; what the rows show is how much of the per-segment fixed cost (step dispatch, mirror start, FTS sync wait) the workflow overlaps when -B/-b allow it, and what -B 1 -b 1 (one segment at a time) costs.',
  ].join('\n');
}

/** The largest default-server size: today's and the baseline's per-segment medians, and the CPU behind them. */
function simFigures(sim: SimSection) {
  const ok = sim.runs.filter((r) => r.run && r.server === 'default' && !r.boundary && !r.serverRunsBefore);
  if (!ok.length) return undefined;
  const n = Math.max(...ok.map((r) => r.segments));
  const of = (b: 'current' | 'baseline') => ok.filter((r) => r.segments === n && (r.bundle ?? 'current') === b);
  const per = (rs: SimRun[]) => (rs.length ? median(rs.map((r) => r.run!.wallMs / n)) : undefined);
  const cur = of('current');
  const base = of('baseline');
  const cpuMs = (rs: SimRun[], of2: (r: SimRun) => number | undefined) => {
    const v = rs.flatMap((r) => { const c = of2(r); return c === undefined ? [] : [(c * 1000) / n]; });
    return v.length ? median(v) : undefined;
  };
  return {
    n, cur, base, perCur: per(cur), perBase: per(base),
    workerCpuMs: cpuMs(cur, (r) => r.workerCpuSec), serverCpuMs: cpuMs(cur, (r) => r.serverCpuSec),
    baseWorkerCpuMs: cpuMs(base, (r) => r.workerCpuSec), baseServerCpuMs: cpuMs(base, (r) => r.serverCpuSec),
  };
}

/**
 * What 0.5.0 (commit 41564c6, 7fbd6b1) changed in a segment's cost, said where the baseline is older: checked by hand
 * on 2026-12-07, not by a run of the bench.
 */
const COPY_STEP_TELLS_RUN = '41564c6';
function copyStepTellsRunNote(b: NonNullable<SimSection['baseline']>, runDate: string): string {
  // A run from before 0.5.0 has neither bundle with it; its JSON does not say its commit, its date does.
  if (!b.commit || runDate < '2026-12-07T11' || holdsCommit(b.commit, COPY_STEP_TELLS_RUN) !== false) return '';
  return ' Since 0.5.0 each segment\'s copy step tells the run its copy is over with a signal sent through the dev server\'s frontend (commit 41564c6), one more client call per segment, where the child\'s command had the server do it inside; the child records a patch marker and its search-attribute upsert in place of its signal\'s two events (commit 7fbd6b1). By hand on 2026-12-07 (not this run; 1,000 segments, each run on a server of its own, 5 runs each, medians and ranges): the bundle of 8138302 (before 0.5.0) took 41.6 s (38.1-48.1 s), that of 7fbd6b1 (0.5.0) 45.6 s (39.7-51.0 s), and 7fbd6b1 changed to send the child\'s own signal too (no patch, a second signal per segment) 44.8 s (43.5-47.9 s): the ranges overlap, so those runs show neither that 0.5.0 costs more nor, if it does, which part.';
}

/**
 * What 0.6.0 (commits deb9dca, 608fe9b) changed in a segment's cost, said where the baseline is older: the by-hand
 * figures are of 2026-12-07, not of a run of the bench.
 */
const WIPE_CHECKS_LOCAL = 'deb9dca';
function wipeChecksLocalNote(b: NonNullable<SimSection['baseline']>, runDate: string): string {
  if (!b.commit || runDate < '2026-12-07T14:3' || holdsCommit(b.commit, WIPE_CHECKS_LOCAL) !== false) return '';
  return ' Since 0.6.0 a full segment\'s child runs its wipe\'s safety checks as a local activity, inside the workflow task that ran its other short steps, where the baseline scheduled an activity task and took one more workflow task for it (6 events; commit deb9dca), and it asks one patch where the baseline\'s asked two or three, each a marker and a search-attribute upsert (commit 608fe9b). By hand on 2026-12-07 (not this run; 1,000 segments, each run on a server of its own, interleaved, the first of the two commits only): the bundle before it took 45.8, 46.8, 39.3 and 38.6 s (the dev server\'s CPU 48.1, 49.3, 41.3 and 41.1 s), with the local wipe 42.6, 38.9, 42.6 and 39.1 s (43.5, 39.1, 35.6 and 39.5 s).';
}

/** Whether the baseline's workflow code is today's, as the run recorded it or, for a run that did not, as checked now. */
function sameCode(b: NonNullable<SimSection['baseline']>): { same: boolean; when: 'run' | 'render' } | undefined {
  if (b.sameWorkflowCode !== undefined) return { same: b.sameWorkflowCode, when: 'run' };
  const now = b.commit ? sameWorkflowCode(b.commit) : undefined;
  return now === undefined ? undefined : { same: now, when: 'render' };
}

function sameCodeNote(b: NonNullable<SimSection['baseline']>): string {
  const c = sameCode(b);
  if (!c?.same) return '';
  return ` The baseline's workflows/ and domain/ are the same as today's (git diff${c.when === 'render' ? ' when this report was rendered, against the work tree then: the run itself did not record it' : ', in the run'}), so that difference is the machine's noise, not a change of the workflows.`;
}

function simProfile(sim: SimSection, cores: number, runDate: string): string[] {
  const f = simFigures(sim);
  if (!f || f.perCur === undefined) return [];
  const b = sim.baseline;
  const mid = [...f.cur].sort((p1, p2) => p1.run!.wallMs - p2.run!.wallMs)[Math.floor((f.cur.length - 1) / 2)].run!;
  const cpu = (f.workerCpuMs ?? 0) + (f.serverCpuMs ?? 0);
  return [
    `**${f.n.toLocaleString('en-US')} segments, today's bundle vs the baseline.** ${b?.commit ? `The baseline is BENCH_BASELINE_REF=${b.ref}, ${b.subject ? (b.subject.length > 160 ? `${b.subject.slice(0, 160)}…` : b.subject) : b.commit} (its workflows/ and domain/ out of git, bundled by testkit/workflowBuild.ts), run interleaved with today's, each run on a dev server of its own.` : `No baseline bundle: ${b?.error ?? 'not built'}.`} Per segment: today **${ms1(f.perCur)}**${f.perBase !== undefined ? `, baseline ${ms1(f.perBase)}: **${x(f.perCur, f.perBase)}** the baseline's` : ''}.${b?.commit ? sameCodeNote(b) : ''}${f.baseWorkerCpuMs !== undefined && f.baseServerCpuMs !== undefined ? ` CPU per segment (medians): the sim worker ${ms1(f.workerCpuMs ?? NaN)} today, ${ms1(f.baseWorkerCpuMs)} the baseline; the dev server ${ms1(f.serverCpuMs ?? NaN)} today, ${ms1(f.baseServerCpuMs)} the baseline.` : ''}${b ? copyStepTellsRunNote(b, runDate) + wipeChecksLocalNote(b, runDate) : ''}`,
    '',
    `Where the time goes (today's runs, medians per segment): the sim worker used ${ms1(f.workerCpuMs ?? NaN)} of CPU and the dev server ${ms1(f.serverCpuMs ?? NaN)}, together ${ms1(cpu)} of CPU per segment on ${cores} cores, i.e. at least ${ms1(cpu / cores)} of wall time per segment if both were CPU-bound with nothing else running: ${cpu / cores >= 0.8 * f.perCur ? `the run is CPU-bound, and the ${(f.serverCpuMs ?? 0) >= (f.workerCpuMs ?? 0) ? 'dev server (persisting and dispatching the events)' : 'worker (workflow tasks: replaying and running the workflow code)'} is the larger share` : 'the run is not CPU-bound; the rest is waiting (activity sleeps, task round trips)'}. Each child's history is ${mid.segments[0]?.childEvents ?? '?'} events and the parent's ${mid.parentEvents} (${mid.parentHistoryBytes ? `${(mid.parentHistoryBytes / 2 ** 20).toFixed(2)} MiB` : '?'}), so a segment costs about ${mid.segments[0] ? (mid.segments[0].childEvents + mid.parentEvents / f.n).toFixed(0) : '?'} events in all; the server's CPU per segment scales with that count, not with anything the activities do.`,
    '',
  ];
}

/** The profiled run's threads: busy time per segment by category, the main thread and the busiest other (workflows). */
function workerThreads(sim: SimSection): string[] {
  const pr = sim.profile;
  if (!pr) return [];
  if (pr.error) return [`**Where the sim worker's time goes.** The profiled run did not give a profile: ${pr.error}`, ''];
  const main = pr.threads.find((t) => threadOf(t.file) === 0);
  const wf = pr.threads.filter((t) => t !== main).sort((a, b) => b.busyMs - a.busyMs)[0];
  const shown = [main, wf].filter((t): t is ThreadSummary => !!t);
  const per = (ms: number) => ms1(ms / pr.segments);
  const rows = (Object.keys(CATEGORIES) as Category[]).map((c) => [CATEGORIES[c], ...shown.map((t) => per(t.byCategory[c]))]);
  rows.push(['**busy (sampled, not idle)**', ...shown.map((t) => `**${per(t.busyMs)}**`)]);
  rows.push(['idle', ...shown.map((t) => per(t.idleMs))]);
  const others = pr.threads.filter((t) => !shown.includes(t));
  const watchdog = wf ? wf.byCategory.watchdog / Math.max(wf.busyMs, 1) : 0;
  return [
    `**Where the sim worker's time goes.** One more run of today's bundle at ${pr.segments.toLocaleString('en-US')} segments${pr.wallMs !== undefined ? ` (${s(pr.wallMs)}, not counted above: the profiler slows it)` : ''}, its worker process under \`node --cpu-prof\`, which samples each JavaScript thread (wall time: a thread blocked in a native call counts as busy there). Milliseconds per segment, by what the sampled frame was running (bench/cpuProfile.ts):`,
    '',
    table(['', 'main thread (activities, the SDK\'s worker, the core bridge)', 'workflow thread (the sandbox that runs every workflow task)'], rows),
    '',
    `${wf ? `${(watchdog * 100).toFixed(0)}% of the workflow thread's busy time is inside vm.runInContext itself. With a timeout, Node creates and joins a watchdog thread for every such call (nodejs/node#47739), and that is most of a call's cost (test/pure/cpuProfile.test.ts: more than ten times a call without one); the SDK makes several calls per activation (activate, each round of unblocking conditions, concluding) and has no way to make them without the timeout. Time there is partly waiting, not CPU: whether it bounds the run shows in the worker and dev server CPU above, which are measured, not sampled. ` : ''}${others.length ? `The other JavaScript threads (${others.map((t) => `${per(t.busyMs)} busy`).join(', ')}) are Node's and tsx's helpers. ` : ''}The Rust core's own threads (gRPC, history decoding) are not JavaScript and are not sampled: they are in the worker CPU figure above, not here.`,
    '',
  ];
}

function lfFigures(lf: NonNullable<SimSection['largestFirst']>) {
  const of = (b: 'current' | 'baseline') => lf.runs.filter((r) => r.bundle === b && r.run);
  const med = (rs: typeof lf.runs) => (rs.length ? median(rs.map((r) => r.run!.wallMs)) : undefined);
  const cur = med(of('current'));
  const base = med(of('baseline'));
  return { cur, base, curRatio: cur !== undefined ? cur / lf.lowerBoundMs : undefined, baseRatio: base !== undefined ? base / lf.lowerBoundMs : undefined, of };
}

/** The baseline's row label: its commit and the order it was seen to take (its big segments started first, or not). */
function lfBaselineLabel(lf: NonNullable<SimSection['largestFirst']>): string {
  const commit = lf.baseline?.commit?.slice(0, 9) ?? '';
  const starts = lf.runs.find((r) => r.bundle === 'baseline' && r.bigStartsMs)?.bigStartsMs;
  const order = !starts?.length ? '' : starts.every((v) => v < 1000) ? ' (largest first too)' : ' (catalog order)';
  return `baseline ${commit}${order}`;
}

function largestFirstSection(sim: SimSection): string[] {
  const lf = sim.largestFirst;
  if (!lf) return [];
  const f = lfFigures(lf);
  const sh = lf.shape;
  const row = (b: 'current' | 'baseline', label: string) => {
    const rs = f.of(b);
    if (!rs.length) return [label, 'did not run', '-', '-', '-', '-'];
    return [label, String(rs.length), `**${mr(rs.map((r) => r.run!.wallMs))}**`, mr(rs.map((r) => r.childrenSpanMs ?? NaN)),
      `**${(median(rs.map((r) => r.run!.wallMs)) / lf.lowerBoundMs).toFixed(3)}x**`, rs[0].bigStartsMs?.map((v) => s(v)).join(', ') ?? '-'];
  };
  const failed = lf.runs.filter((r) => r.error).map((r) => `- ${r.bundle}: ${r.error}`);
  const medianRun = (b: 'current' | 'baseline') => {
    const rs = f.of(b).filter((r) => r.parts);
    return rs.length ? [...rs].sort((a, b2) => a.run!.wallMs - b2.run!.wallMs)[Math.floor((rs.length - 1) / 2)] : undefined;
  };
  const partsRows = (['current', 'baseline'] as const).map((b) => {
    const r = medianRun(b);
    if (!r?.parts) return undefined;
    const p = r.parts;
    return [b === 'current' ? 'today\'s' : lfBaselineLabel(lf), s(r.run!.wallMs), s(p.headMs), `${s(p.copiesSpanMs)} (${x(p.copiesSpanMs, lf.lowerBoundMs)})`, `${s(p.idleSlotMs)} (${(p.idleSlotMs / Math.max(p.copiesMs + p.idleSlotMs, 1) * 100).toFixed(1)}%)`, s(p.tailMs)];
  }).filter((r): r is string[] => !!r);
  return [
    `**Largest first (SIMULATION).** ${sh.small} segments of ${sh.smallGb} GB and then, last in catalog order, ${sh.big} of ${sh.bigGb} GB (gpdb #12139's shape), one segment per host under -B ${lf.slots} -b 1, so exactly ${lf.slots} copies run at once. The sim activities' probeTargets reports each source's size in SourceProbe.sizeBytes, as the real probe does, and the real workflow orders by it (since 0.4.0 it also starts the next big segments ahead of a free slot: their steps before the copy run while the slots are taken); copySegment sleeps ${lf.secPerTb} s per TB of its source (heartbeating), the other steps ${sim.sleepMs} ms. Lower bound on the makespan: max(largest, total / slots) = max(${s((sh.bigGb / 1000) * lf.secPerTb * 1000)}, ${s(((sh.small * sh.smallGb + sh.big * sh.bigGb) / 1000) * lf.secPerTb * 1000 / lf.slots)}) = **${s(lf.lowerBoundMs)}**. The makespan is the parent's wall time, start call to result.`,
    '',
    table(['workflow bundle', 'runs', 'makespan (start call to result)', 'first child start to last child end', 'vs lower bound', `the ${sh.bigGb} GB segments started at (first run)`], [
      row('current', 'today\'s (largest first)'),
      row('baseline', lfBaselineLabel(lf)),
    ]),
    '',
    ...(lf.baseline ? [`The baseline is BENCH_LF_BASELINE_REF=${lf.baseline.ref}${lf.baseline.commit ? `, ${lf.baseline.subject ? (lf.baseline.subject.length > 120 ? `${lf.baseline.subject.slice(0, 120)}…` : lf.baseline.subject) : lf.baseline.commit}` : `: no bundle, ${lf.baseline.error ?? 'not built'}`}${lf.baseline.ref === '9743a07~1' ? ': the last commit before largest first, so that it takes the slots in the catalog\'s order, as gprecoverseg does' : ''} (its row says which order it took, from when the ${sh.bigGb} GB segments started). The reports up to the one of 2026-12-07 01:12 compared with BENCH_BASELINE_REF instead, a newer commit that already ordered by size, and called it catalog order: it was not.`, ''] : []),
    ...(partsRows.length ? [
      `Where the makespan went (the median run of each bundle, from every child's copySegment, scheduled to closed): the head is the start call to the first copy (planning, the first children's start and their steps before the copy); the copies' span runs from the first copy to the last copy's end, and in it the slots' idle time is ${lf.slots} slots x the span minus the copies' own time (a slot between a copy's end and the next copy: the copy step's signal to the run (since 0.5.0; before, the child's, which left only after the segment's start), the run's workflow task, the next segment's steps before its copy or its grant, or no segment left); the tail is the last copy's end to the result (that segment's start and sync, the run's end).`,
      '',
      table(['bundle', 'makespan', 'head', 'copies\' span (vs lower bound)', 'slots idle in the span', 'tail'], partsRows),
      '',
    ] : []),
    ...(failed.length ? ['Runs that did not complete:', '', ...failed, ''] : []),
  ];
}

/** Why every simulated run has a server of its own, with this run's own second run on a used server as the evidence. */
function freshServerNote(sim: SimSection): string[] {
  const own = sim.runs.filter((r) => r.serverRunsBefore === 0 && r.run && !r.boundary);
  if (!own.length) return [];
  const again = sim.runs.find((r) => r.serverRunsBefore === 1);
  const fresh = again ? own.filter((r) => r.segments === again.segments && (r.bundle ?? 'current') === (again.bundle ?? 'current')).map((r) => r.run!.wallMs) : [];
  const measured = again?.run && fresh.length
    ? `In this run, today's bundle at ${again.segments.toLocaleString('en-US')} segments once more on the server of its first run took **${s(again.run.wallMs)}**, against ${mr(fresh)} on servers of their own (${x(again.run.wallMs, median(fresh))} their median): one sample, shown above and not counted, to be read against that range.`
    : again?.error ? `In this run, the second run on the server of the first did not complete: ${again.error}.` : '';
  return [
    `Since commit 38793a6 (bench/simulation.ts, onFreshServer) every counted simulated run, these and the largest-first ones below, has an in-memory dev server of its own, started for it as the bench's is (worker/devServer.ts) and stopped after it (the raised-limit runs, when there are any, share their one server, and the run marked not counted is the second on its server); before, all of them shared the server of sections 1-4, after its real recoveries and the runs before them. An in-memory server that keeps the histories of earlier runs may get slower as they pile up (the checks below, by hand and in this run, are few and noisy), and a shared one would bill the runs that came first to the ones that came later (today's and the baseline's alike, interleaved). ${measured} By hand on 2026-12-07 (not this run; today's bundle, 1,000 segments): 4 runs one after another on one server took 39.5, 43.2, 40.6 and 59.3 s (the server's CPU 41.5, 49.8, 45.0 and 60.5 s); 6 runs on a server of their own each took 44.1, 40.1, 38.9, 40.9, 40.9 and 46.4 s. Reports before that commit ran every simulation on the shared server.`,
    '',
  ];
}

function simSection(sim: SimSection, cores: number, runDate: string): string {
  // One row per size and server: repeated runs give the median and range, failed ones say how they ended.
  const groups = new Map<string, SimRun[]>();
  for (const r of [...sim.runs].sort((a, b) => a.segments - b.segments || a.server.localeCompare(b.server) || (a.serverRunsBefore ?? 0) - (b.serverRunsBefore ?? 0))) {
    const key = `${r.segments}|${r.server}|${r.bundle ?? 'current'}|${r.serverRunsBefore ?? '-'}|${r.error ? 'failed' : 'ok'}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows = [...groups.values()].map((g) => {
    const r0 = g[0];
    const label = `${r0.segments}${r0.boundary ? ' (limit probe)' : ''}${r0.bundle === 'baseline' ? ` **baseline ${sim.baseline?.commit?.slice(0, 9) ?? ''}**` : ''}${r0.serverRunsBefore ? ' (not counted)' : ''}`;
    const server = r0.server !== 'default' ? 'raised SA limit'
      : r0.serverRunsBefore === undefined ? 'default' : r0.serverRunsBefore === 0 ? 'its own, started for the run' : `its own, after ${r0.serverRunsBefore} run(s) on it`;
    const ok = g.filter((r): r is SimRun & { run: TimedRecovery } => !!r.run);
    if (!ok.length) return [label, String(r0.hosts), server, '1', `**did not complete**: ${r0.status ?? '?'}`, '-', '-', '-', '-', '-', '-', '-'];
    const walls = ok.map((r) => r.run.wallMs);
    const mid = [...ok].sort((a, b) => a.run.wallMs - b.run.wallMs)[Math.floor((ok.length - 1) / 2)];
    return [
      label,
      String(r0.hosts),
      server,
      String(ok.length),
      `**${mr(walls)}**`,
      `**${mr(walls.map((w) => w / r0.segments), ms1)}**`,
      `${mid.run.parentEvents}${mid.run.parentHistoryBytes ? ` (${(mid.run.parentHistoryBytes / 2 ** 20).toFixed(2)} MiB)` : ''}`,
      String(mid.run.children),
      String(mid.run.segments[0]?.childEvents ?? '-'),
      `${mib(median(ok.map((r) => r.workerRssBeforeBytes ?? NaN)))} / ${mib(Math.max(...ok.map((r) => r.workerPeakRssBytes ?? NaN)))}`,
      mr(ok.map((r) => (r.workerCpuSec ?? NaN) * 1000)),
      mr(ok.map((r) => (r.serverCpuSec ?? NaN) * 1000)),
    ];
  });
  const failed = sim.runs.filter((r) => r.error).sort((a, b) => a.segments - b.segments);
  const probes = sim.runs.filter((r) => r.boundary);
  const failures = failed.map((r) => `- ${r.segments} segments on the ${r.server} dev server: the workflow ended ${r.status ?? '(status unknown)'} with \`${r.error}\`.`);
  const saFailure = failed.some((r) => r.server === 'default' && /BadSearchAttributes/.test(r.error ?? ''));
  return [
    `## 5. SIMULATION: orchestration overhead at ${[...new Set(sim.runs.filter((r) => !r.boundary).map((r) => r.segments.toLocaleString('en-US')))].join(' and ')} segments`,
    '',
    `**This is a simulation. No PostgreSQL, no copy, no FTS.** The real recoveryWorkflow and segmentRecoveryWorkflow (the same bundle from workflows/index.ts) run on a bench-only worker (bench/simWorker.ts, its own process) whose activities (bench/simActivities.ts) have the names of createActivities() but only sleep ${sim.sleepMs} ms each: readCluster returns a synthetic catalog of N failed mirrors (${sim.perHost} per host, group mirroring), probeTargets healthy probes, and stop / verify / updateCatalog / wipe / copy / start / waitForSync just sleep. Run with -F (so every child runs all 7 steps) and the default -B 16 -b 64: at most 16 hosts x ${sim.perHost} = ${16 * sim.perHost} children run at once (all of them when N needs 16 hosts or fewer). The dev server and the worker share the 2 cores with everything else on the machine. Since 2026-12-07 (commit 132774e) the simulated activities build their catalog once per cluster; before, every call that read one row rebuilt all of it, in O(N^2), which cost the sim worker about 10 ms of CPU per segment at 1,000 segments (a profile of 2026-12-07, not of this run): reports before that date include that cost, on both bundles' runs.`,
    '',
    table(['segments', 'hosts', 'dev server', 'runs', 'parent wall time', 'per segment', 'parent history events (size)', 'child workflows', 'events per child', 'worker RSS idle / highest peak', 'worker CPU', 'dev server CPU'], rows),
    '',
    ...freshServerNote(sim),
    ...(failures.length ? ['Runs that did not complete:', '', ...failures, ''] : []),
    ...(saFailure ? [
      `**Found by this benchmark: large recoveries are terminated by the server.** recoveryWorkflow upserts every planned content id into the \`ContentIds\` keyword-list search attribute (workflows/recovery.ts). Temporal limits one search-attribute value to 2 KiB by default (dynamic config \`frontend.searchAttributesSizeOfValueLimit\`, 2*1024 by default on any Temporal server, not only the dev server), and when the upsert exceeds it the server terminates the workflow (status above). That happens right after planning, before any child starts, so nothing is changed on the cluster, but a recovery of a few hundred failed segments cannot run at all (${probes.length === 2 ? `content ids 0..N-1 as ${'`'}["0","1",...]${'`'} fit 2048 bytes up to N = ${probes[0].segments}; this run confirmed it: ${probes.map((p) => `${p.segments} ${p.run ? 'completed' : `ended ${p.status}`}`).join(', ')}` : 'content ids 0..N-1 take about 6 bytes each once they have 3 digits'}; the cut-off is lower when content ids have 4 digits). rebalanceWorkflow (workflows/rebalance.ts) upserts the same attribute with its candidate contents, so a large rebalance should hit the same limit (not measured here). The row marked "raised SA limit" is the same run on a second dev server started with ${sim.raisedLimitNote ? `\`${sim.raisedLimitNote.replace('dev server with ', '')}\`` : 'a raised limit'} (bench/raisedLimitServer.ts) to measure orchestration at that size anyway; a real deployment would need the workflow to cap or drop that attribute.`,
      '',
    ] : []),
    ...simProfile(sim, cores, runDate),
    ...workerThreads(sim),
    ...largestFirstSection(sim),
    `Per segment, the sleeps add ${7 * sim.sleepMs} ms of activity time to each child, but children run up to ${16 * sim.perHost} at a time, so the per-segment figure is almost entirely Temporal round trips (workflow tasks, activity tasks, child start/complete events) on this machine. Worker RSS peak is the process's high-water mark (VmHWM), which includes its start-up; CPU figures are user+system seconds used during the parent run. Where a size ran more than once, times are median (min - max).`,
  ].join('\n');
}

function syncSection(sy: SyncSection, cfg: BenchConfig): string {
  const per = (n: number, ms: number) => (n / (ms / 1000)).toFixed(2);
  const rows = sy.windows.map((w) => [
    String(w.waiting), s(w.windowMs), `**${w.coordinatorSessionsOpened}** (**${per(w.coordinatorSessionsOpened, w.windowMs)}/s**)`,
    `**${w.peakCoordinatorBackends}**`, String(w.peakWatcherSessions), `${w.primarySessionsOpened} (${per(w.primarySessionsOpened, w.windowMs)}/s)`,
    `${per(w.coordinatorTransactions, w.windowMs)}/s`,
  ]);
  return [
    `## 3. Waiting for sync: coordinator connections with ${sy.windows.map((w) => w.waiting).join(' and ')} mirrors waiting at once`,
    '',
    `A 4-host x 4-primary demo cluster (${sy.contents} contents). For each row, N mirrors spread over the hosts were killed and recovered incrementally while the demo's FTS was frozen (it answers probe requests but marks nothing up), so every recovered mirror sat in waitForSync; once all N were there, connections were counted for ${cfg.syncWindowSec} s: sessions the coordinator accepted (\`pg_stat_database.sessions\`, the counting session's own excluded) and, every 0.1 s, the client sessions on it (the counting session and the FTS prober excluded). Then FTS was thawed and the run finished.`,
    '',
    table(['mirrors waiting', 'window', 'coordinator sessions opened (per second)', 'peak coordinator sessions', 'of them the sync watcher\'s', 'primary sessions opened', 'coordinator transactions'], rows),
    '',
    'Every waitForSync activity of a worker hands its segment to the worker\'s one sync watcher for the cluster (cluster/sync.ts): once a second it reads the catalog over one coordinator session it keeps open, and each waiting mirror\'s primary over one session per primary, also kept open (every 100 ms, asking only their primaries, while 1 to 32 mirrors are in their first 10 s and not caught up, since 2026-12-08; before, every 250 ms; and between those rounds, every 20 ms, the primaries of up to 8 mirrors in their first 2 s, without a catalog read, since run I); FTS is asked to probe when a mirror has caught up (its walsender streaming, since 2026-12-08; before, all WAL replayed), in the round that saw it, then at most once a second while it is not marked in sync, and every ten seconds for a mirror waiting that long (until run I, also as soon as a mirror started waiting). The coordinator sees the same single session whatever the number of mirrors waiting. test/syncWatch.test.ts checks the count on every test run. Counting starts 6 s after the last mirror began to wait: the sessions a worker keeps for its steps\' short statements (cluster/keptSessions.ts, since commit f9f44a0; at most 4 on the coordinator and 2 per segment) end after 5 s unused, and the steps before the wait leave them idle; reports before that commit started counting after 2 s.',
  ].join('\n');
}

interface Target {
  what: string;
  target: string;
  measured: string;
  met?: boolean;
}

function targets(r: BenchResults): Target[] {
  const out: Target[] = [];
  const small = r.full?.small;
  if (small?.raw.length && small.full.length) {
    const f = fullFigures(small);
    out.push({
      what: `1. -F of a ${small.gib} GiB segment through the workflow vs the bare pg_basebackup (start call to up and in sync), section 1`, target: '<= 1.10x',
      measured: `${x(f.ratio, 1)}${f.bareDisturbed ? `; ${bareDisturbedNote(f)}; against the workflow's own copy program instead: ${x(f.wall / f.toolMed!, 1)}` : ''}`,
      met: f.ratio <= 1.1 && !f.bareDisturbed,
    });
    const pgOnly = (v: number[]) => (v.length ? ` (against the PostgreSQL process alone: ${st2(median(v))})` : '');
    out.push({ what: '1. fixed overhead of one segment: wall time minus the copy program\'s own time (`$GPHOME/bin/pg_basebackup`), section 1', target: '<= 0.6 s', measured: f.fixedMed !== undefined ? `${st2(f.fixedMed)}${pgOnly(f.fixedPg)}` : 'not measured', met: f.fixedMed !== undefined ? f.fixedMed <= 600 : undefined });
    out.push({ what: '1. time around the tool inside the copy step (copySegment minus the copy program), section 1', target: '<= 0.1 s', measured: f.aroundMed !== undefined ? `${(f.aroundMed / 1000).toFixed(3)} s${pgOnly(f.aroundPg)}` : 'not measured', met: f.aroundMed !== undefined ? f.aroundMed <= 100 : undefined });
  }
  const par = r.parallel?.cases.filter((c) => !c.hostParallelism) ?? [];
  const o1 = par.find((c) => c.segments === 1);
  const o8 = par.find((c) => c.segments === 8);
  if (par.length) {
    const ov = par.map((c) => ({ n: c.segments, o: parallelOverhead(c) }));
    const r81 = o1 && o8 ? (parallelOverhead(o8) ?? NaN) / (parallelOverhead(o1) ?? NaN) : undefined;
    out.push({
      what: `2. overhead(N) = wall time minus the copy programs' span, N = ${ov.map((v) => v.n).join(', ')}: overhead(8) / overhead(1), section 4`,
      target: '<= 1.3',
      measured: `${ov.map((v) => `${v.n}: ${v.o !== undefined ? st2(v.o) : '?'}`).join(', ')}; ratio ${r81 !== undefined && Number.isFinite(r81) ? r81.toFixed(2) : 'not measured'}`,
      met: r81 !== undefined && Number.isFinite(r81) ? r81 <= 1.3 : undefined,
    });
  }
  if (o8) {
    const ratio = median(o8.runs.map((f) => f.run.wallMs)) / median(o8.raw.map((f) => f.ms));
    out.push({ what: `2. 8 segments of ${mib(r.parallel!.tableBytesPerContent)} each at once (-F) vs 8 bare pg_basebackups at once, section 4`, target: '<= 1.3x', measured: x(ratio, 1), met: ratio <= 1.3 });
  }
  const lf = r.sim?.largestFirst;
  if (lf) {
    const f = lfFigures(lf);
    out.push({
      what: `3. largest first (SIMULATION, ${lf.shape.big} x ${lf.shape.bigGb} GB + ${lf.shape.small} x ${lf.shape.smallGb} GB, ${lf.slots} slots): makespan vs the lower bound ${s(lf.lowerBoundMs)}, section 5`,
      target: '<= 1.10x',
      // Three decimals: a ratio of 1.1006 reads 1.10x with two, beside a verdict of not met.
      measured: `${f.curRatio !== undefined ? `${f.curRatio.toFixed(3)}x (median makespan ${(f.cur! / 1000).toFixed(2)} s, ${(lf.lowerBoundMs * 1.1 / 1000).toFixed(2)} s allowed)` : 'not measured'}${f.baseRatio !== undefined ? ` (${lfBaselineLabel(lf)}: ${x(f.baseRatio, 1)})` : ''}`,
      met: f.curRatio !== undefined ? f.curRatio <= 1.1 : undefined,
    });
  }
  const simF = r.sim ? simFigures(r.sim) : undefined;
  if (simF && simF.n >= 1000 && simF.perCur !== undefined) {
    // Runs of the same workflow code under two names are one sample: the verdict is on all of them, not the luckier half.
    const pooled = r.sim?.baseline && sameCode(r.sim.baseline)?.same && simF.base.length
      ? median([...simF.cur, ...simF.base].map((run) => run.run!.wallMs / simF.n)) : undefined;
    out.push({
      what: `4. ${simF.n.toLocaleString('en-US')}-segment simulation, parent wall time per segment, section 5`,
      target: '<= 40 ms',
      measured: `${ms1(simF.perCur)}${simF.perBase !== undefined ? ` (baseline bundle ${ms1(simF.perBase)}, ${x(simF.perCur, simF.perBase)})` : ''}${simF.cur.some((r) => r.serverRunsBefore === 0) ? '; each run on a dev server of its own, which reports before commit 38793a6 did not do (section 5)' : ''}${pooled !== undefined ? `; the baseline has today's workflow code, so its runs are samples of the same thing: the median of all ${simF.cur.length + simF.base.length}, ${ms1(pooled)}, decides` : ''}`,
      met: (pooled ?? simF.perCur) <= 40,
    });
  }
  const big = r.full?.big;
  if (big) {
    const rf = rewindFigures(big.incremental.filter((i) => i.scenario === 'failover'));
    if (rf) out.push({ what: `5. incremental after a failover (pg_rewind, ${r.config.changePct}% changed, ${big.gib} GiB) vs a bare pg_rewind of the same divergence, section 2`, target: '<= 1.15x', measured: `${x(rf.ratio, 1)}${rf.bareDisturbed ? `; ${rewindDisturbedNote(rf)}` : ''}`, met: rf.ratio <= 1.15 && !rf.bareDisturbed });
  }
  if (r.sync?.windows.length) {
    const rates = r.sync.windows.map((w) => w.coordinatorSessionsOpened / (w.windowMs / 1000));
    const peaks = r.sync.windows.map((w) => w.peakCoordinatorBackends);
    out.push({
      what: `(earlier issue) coordinator sessions opened per second while ${r.sync.windows.map((w) => w.waiting).join(' / ')} mirrors wait for sync; peak coordinator sessions, section 3`,
      target: '<= 2/s, the same for both sizes',
      measured: `${rates.map((v) => `${v.toFixed(2)}/s`).join(' / ')}; peak ${peaks.join(' / ')}`,
      met: rates.every((v) => v <= 2) && new Set(peaks).size === 1,
    });
  }
  if (big?.full.length) {
    const full = median(big.full.map((f) => f.run.wallMs));
    for (const [scenario, label] of [['behind', 'stopped mirror'], ['failover', 'after a failover, pg_rewind']] as const) {
      const runs = big.incremental.filter((i) => i.scenario === scenario);
      if (!runs.length) continue;
      const ratio = median(runs.map((v) => v.run.wallMs)) / full;
      out.push({ what: `(earlier issue) incremental after ${r.config.changePct}% changed vs full, ${big.gib} GiB segment (${label}), section 2`, target: '<= 0.15x', measured: x(ratio, 1), met: ratio <= 0.15 });
    }
  }
  return out;
}

/** Whether every bare copy of the run was timed with the /proc sampler running, as the workflow's runs are. */
function bareSampled(r: BenchResults): boolean {
  const raws = [...(r.full?.small.raw ?? []), ...(r.parallel?.cases.flatMap((c) => c.raw) ?? [])];
  return raws.length > 0 && raws.every((x) => x.sampled === true);
}

function summarySection(r: BenchResults): string {
  const t = targets(r);
  if (!t.length) return '';
  return [
    '## Summary: the targets and this run',
    '',
    table(['measurement', 'target', 'this run', 'met'], t.map((v) => [v.what, v.target, `**${v.measured}**`, v.met === undefined ? 'not measured' : v.met ? 'yes' : '**no**'])),
    '',
    'Targets 1-5 are issue 23\'s; a target not met is explained in its section (the overhead cut into parts, the CPU behind the simulation).',
    '',
    '**What "the copy tool" is.** Since 2026-12-02 (commit 31c84f3) the copy tool\'s own time is the program the copy job starts, `$GPHOME/bin/pg_basebackup` (or `pg_rewind`), from its start to its exit. On the demo that program is a shell script running the demo\'s node wrapper, which runs PostgreSQL\'s tool and then does what Greenplum\'s tool does inside its one process (with --force-overwrite, putting the copy in place over the old directory). Reports before that date subtracted only the PostgreSQL process, so the wrapper\'s work counted as the workflow\'s overhead: the figures of this run against the PostgreSQL process alone are given beside, and they are the ones to compare with older reports. The bare copies of every ratio run the same program.',
    '',
    bareSampled(r)
      ? 'The /proc sampler that times the program (a look at the process list every 20 ms; since 2026-12-07 in a process of its own, bench/toolSamplerProcess.ts, where before its scans ran in the bench process and held up the event loop of the worker running there) ran beside the bare copies of this run too (bench/rawBasebackup.ts, bench/rawRewind.ts), so its CPU weighs on both sides of every ratio; in reports before 2026-12-02 it ran beside the workflow\'s runs only.'
      : 'The /proc sampler that times the program (in the bench process, a look at the process list every 20 ms) ran beside the workflow\'s runs only, not beside the bare copies: its CPU weighs on the workflow\'s side of the ratios.',
  ].join('\n');
}

export function renderReport(r: BenchResults): string {
  const parts = [
    '# Benchmarks',
    '',
    `Measured by one run of \`npm run bench\` (bench/run.ts) on ${r.machine.date.slice(0, 10)}; every figure and ratio below comes from that run and is regenerated by running it again, but for the checks made by hand that say so and give their date. Settings: BENCH_REPEAT=${r.config.repeat}, BENCH_GIB=${r.config.gib}, BENCH_BIG_GIB=${r.config.bigGib}, BENCH_CHANGE_PCT=${r.config.changePct}, BENCH_SEG_MB=${r.config.segMb}, BENCH_PARALLEL=${r.config.parallelCounts.join(',')}, BENCH_SYNC=${r.config.syncCounts.join(',')}, BENCH_SYNC_WINDOW_SEC=${r.config.syncWindowSec}, BENCH_SIM_SEGMENTS=${r.config.simSegments.join(',')}, BENCH_SIM_SLEEP_MS=${r.config.simSleepMs}, BENCH_BASELINE_REF=${r.config.baselineRef}, BENCH_LF_BASELINE_REF=${r.config.lfBaselineRef ?? '-'}, BENCH_LF_BIG=${r.config.lfBig}, BENCH_LF_BIG_GB=${r.config.lfBigGb}, BENCH_LF_SMALL=${r.config.lfSmall}, BENCH_LF_SMALL_GB=${r.config.lfSmallGb}, BENCH_LF_SLOTS=${r.config.lfSlots}, BENCH_LF_SEC_PER_TB=${r.config.lfSecPerTb}, BENCH_HOSTS_OVER=${r.config.hostsOver ?? 'local'}.`,
    '',
    summarySection(r),
    '',
    machineSection(r),
  ];
  const missing = (section: string) => {
    const e = r.errors.find((x2) => x2.section === section);
    return e ? `Not measured: the section failed with \`${e.message.replace(/\s+/g, ' ').slice(0, 400)}\`.` : 'Not measured in this run (not selected with BENCH_ONLY).';
  };
  parts.push('', r.full ? fullSection(r.full.small, r.config) : `## 1. Full recovery vs raw pg_basebackup\n\n${missing('full')}`);
  parts.push('', r.full?.big?.incremental.length ? incrementalSection(r.full.big, r.config) : `## 2. Incremental vs full recovery\n\n${missing('full')}`);
  parts.push('', r.sync ? syncSection(r.sync, r.config) : `## 3. Waiting for sync: coordinator connections\n\n${missing('sync')}`);
  parts.push('', r.parallel ? parallelSection(r.parallel, r.config) : `## 4. Several segments at once under -B / -b\n\n${missing('parallel')}`);
  parts.push('', r.sim ? simSection(r.sim, r.machine.nproc, r.machine.date) : `## 5. SIMULATION: orchestration overhead\n\n${missing('sim')}`);
  parts.push('', '## How to run', '', [
    '```sh',
    `npm run bench                      # everything${r.totalMs ? ` (${Math.round(r.totalMs / 60_000)} minutes for this run)` : ''}`,
    'BENCH_ONLY=sim npm run bench       # sections: full, parallel, sync, sim (comma-separated)',
    'BENCH_HOSTS_OVER=local npm run bench  # the workers run commands as their own child processes, not over SSH',
    'BENCH_GIB=0.25 BENCH_BIG_GIB=0.25 BENCH_SEG_MB=20 BENCH_SIM_SEGMENTS=100 BENCH_REPEAT=1 npm run bench   # a quick run',
    '```',
    '',
    'Other knobs: BENCH_REPEAT (3), BENCH_GIB (4; equal to BENCH_BIG_GIB, sections 1 and 2 share one content and one load), BENCH_BIG_GIB (4), BENCH_CHANGE_PCT (1), BENCH_SEG_MB (256), BENCH_PARALLEL (1,4,8; at most 8), BENCH_SYNC (4,16; at most 16), BENCH_SYNC_WINDOW_SEC (10), BENCH_SIM_SLEEP_MS (5), BENCH_SIM_PER_HOST (8), BENCH_BASELINE_REF (HEAD~1), BENCH_LF_BASELINE_REF (9743a07~1, before largest first), BENCH_LF_BIG (2), BENCH_LF_BIG_GB (2000), BENCH_LF_SMALL (30), BENCH_LF_SMALL_GB (400), BENCH_LF_SLOTS (8), BENCH_LF_SEC_PER_TB (10), BENCH_OUT (docs/benchmarks.md). The bench starts its own in-memory Temporal dev server on free ports and its own demo clusters under a temporary directory, and removes all of them at the end. Progress goes to stderr; the raw measurements of a run are also written as JSON to the temporary directory (its path is printed last).',
  ].join('\n'));
  return `${parts.join('\n')}\n`;
}
