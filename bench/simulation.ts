import { setTimeout as sleep } from 'node:timers/promises';
// Section 4, SIMULATION: the real recoveryWorkflow and segmentRecoveryWorkflow at 100 / 1,000 segments, every
// activity a few-ms sleep (simActivities.ts). Measures Temporal plus workflow orchestration cost only.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { bundleAtCommit, resolveCommit } from '../testkit/workflowBuild';
import { startDevServerOnFreePorts } from '../testkit/devServerOnFreePorts';
import { summarizeProfileDir, threadOf, type ThreadSummary } from './cpuProfile';
import { atExit } from './cleanup';
import { progress, type BenchConfig } from './config';
import { cpuSeconds, memory } from './procStats';
import { contentBytes, simClusterName, sizedClusterName, type SizedShape } from './simActivities';
import { startRaisedLimitServer, type SimServer } from './raisedLimitServer';
import { timedRecovery, type TimedRecovery } from './timedRecovery';
import { sameWorkflowCode } from './workflowCode';

export interface SimRun {
  segments: number;
  /** Which workflow bundle ran: today's, or the baseline commit's (BENCH_BASELINE_REF). Older results: current. */
  bundle?: 'current' | 'baseline';
  hosts: number;
  /** Which dev server ran it: one as every other section uses, or the one with the raised search-attribute limit. */
  server: 'default' | 'raised-limit';
  /** Runs the same dev server had completed before this one: 0 on a server started for it (older results: the bench's one). */
  serverRunsBefore?: number;
  run?: TimedRecovery;
  /** Run only to locate the search-attribute limit. */
  boundary?: boolean;
  /** The run did not complete: the error and how the server left the workflow. */
  error?: string;
  status?: string;
  workerRssBeforeBytes?: number;
  workerPeakRssBytes?: number;
  workerCpuSec?: number;
  serverCpuSec?: number;
}

export interface LargestFirstRun {
  bundle: 'current' | 'baseline';
  run?: TimedRecovery;
  error?: string;
  /** First child start to last child end, from the run's own segment statuses (workflow time). */
  childrenSpanMs?: number;
  /** When each big segment's child started, ms after the first child start. */
  bigStartsMs?: number[];
  workerCpuSec?: number;
  serverCpuSec?: number;
  /** Where the makespan went, from every child's copySegment (scheduled to closed) and the parent's start and end. */
  parts?: LargestFirstParts;
}

export interface LargestFirstParts {
  /** Start call to the first copy scheduled: planning, the first children's start and their steps before the copy. */
  headMs: number;
  /** First copy scheduled to the last copy closed. */
  copiesSpanMs: number;
  /** Slot time in that span with no copy in it: slots x span minus the copies' own time. */
  idleSlotMs: number;
  /** Copies' own time, summed. */
  copiesMs: number;
  /** The last copy closed to the result: its segment's start and sync, the run's end. */
  tailMs: number;
}

/** Head, copies and tail of one run, from its children's copy steps; undefined when a child's copy is not known. */
export function largestFirstParts(run: TimedRecovery, slots: number): LargestFirstParts | undefined {
  // A child whose history was not read would count as idle slot time: no parts rather than wrong ones.
  if (run.segments.length !== run.children) return undefined;
  const copies = run.segments.map((s) => s.at?.copySegment);
  if (!copies.length || run.startedAtMs === undefined || run.endedAtMs === undefined) return undefined;
  if (copies.some((c) => c?.endedMs === undefined)) return undefined;
  const first = Math.min(...copies.map((c) => c!.scheduledMs));
  const last = Math.max(...copies.map((c) => c!.endedMs!));
  const copiesMs = copies.reduce((a, c) => a + (c!.endedMs! - c!.scheduledMs), 0);
  return {
    headMs: first - run.startedAtMs,
    copiesSpanMs: last - first,
    idleSlotMs: slots * (last - first) - copiesMs,
    copiesMs,
    tailMs: run.endedAtMs - last,
  };
}

export interface LargestFirstSection {
  shape: SizedShape;
  slots: number;
  secPerTb: number;
  /** max(largest, total / slots), in seconds of simulated copy. */
  lowerBoundMs: number;
  runs: LargestFirstRun[];
  /** The baseline's commit (BENCH_LF_BASELINE_REF); error when its bundle could not be built. */
  baseline?: { ref: string; commit?: string; subject?: string; error?: string };
}

/** One more run of today's bundle at the largest size, its worker under node --cpu-prof: untimed, it only splits the worker's time. */
export interface SimProfile {
  segments: number;
  wallMs?: number;
  threads: ThreadSummary[];
  error?: string;
}

export interface SimSection {
  sleepMs: number;
  perHost: number;
  raisedLimitNote?: string;
  /** The baseline commit and what it is; error when its bundle could not be built. */
  baseline?: { ref: string; commit?: string; subject?: string; error?: string; sameWorkflowCode?: boolean };
  runs: SimRun[];
  largestFirst?: LargestFirstSection;
  profile?: SimProfile;
}

async function startSimWorker(server: SimServer, bundlePath: string, taskQueue: string, cfg: BenchConfig, profileDir = process.env.SIM_CPU_PROF) {
  const child = spawn(process.execPath, [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), '--import', 'tsx', path.join(__dirname, 'simWorker.ts')], {
    cwd: path.resolve(__dirname, '..'),
    env: {
      ...process.env,
      SIM_ADDRESS: server.address, SIM_NAMESPACE: server.namespace, SIM_TASK_QUEUE: taskQueue, SIM_BUNDLE: bundlePath,
      SIM_SLEEP_MS: String(cfg.simSleepMs), SIM_PER_HOST: String(cfg.simPerHost), SIM_SEC_PER_TB: String(cfg.lfSecPerTb),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('sim worker polling')) {
    if (child.exitCode !== null) throw new Error(`sim worker exited at start: ${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sim worker did not start: ${out}`);
    }
    await sleep(100);
  }
  const stop = async () => {
    unregister();
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  // An interrupted bench stops it too; stop() is the one way out either way.
  const unregister = atExit('sim worker', stop);
  return { pid: child.pid!, log: () => out, stop };
}

let simSeq = 0;
let serverSeq = 0;

/**
 * A dev server of its own for one simulated run, started as the bench's is (worker/devServer.ts, in memory). An
 * in-memory server keeps the histories of every run before, and it gets slower as they pile up; sharing one would
 * bill the runs that came first to the ones that come later.
 */
async function onFreshServer<T>(workDir: string, run: (server: SimServer) => Promise<T>): Promise<T> {
  const logFile = path.join(workDir, `temporal-dev-sim-${++serverSeq}.log`);
  const dev = await startDevServerOnFreePorts({ logFile });
  const stop = () => dev.stop();
  const unregister = atExit('sim dev server', stop);
  try {
    const connection = await Connection.connect({ address: dev.address });
    try {
      return await run({ address: dev.address, namespace: dev.namespace, pid: dev.process.pid!, client: new Client({ connection, namespace: dev.namespace }), close: async () => undefined });
    } finally {
      await connection.close().catch(() => undefined);
    }
  } finally {
    unregister();
    await stop();
  }
}

async function simOnce(cfg: BenchConfig, server: SimServer, which: SimRun['server'], bundlePath: string, n: number, bundle: 'current' | 'baseline' = 'current', profileDir?: string): Promise<SimRun> {
  const seq = ++simSeq;
  const taskQueue = `bench-sim-${process.pid}-${n}-${which}-${bundle}-${seq}`;
  const hosts = Math.max(2, Math.ceil(n / cfg.simPerHost));
  progress(`SIMULATION ${n} segments on the ${which} dev server, ${bundle} workflow bundle: sim worker process on task queue ${taskQueue}`);
  const w = await startSimWorker(server, bundlePath, taskQueue, cfg, profileDir);
  const cluster = simClusterName(n, `${process.pid}-${which}-${bundle}-${seq}`);
  const workflowId = `${cluster}-run`;
  try {
    // Let the worker settle (isolate creation, first polls) so its start-up is not billed to the run.
    await sleep(2000);
    const rssBefore = memory(w.pid).rss;
    const [wCpu0, sCpu0] = [cpuSeconds(w.pid), cpuSeconds(server.pid)];
    let run: TimedRecovery;
    try {
      run = await timedRecovery(server.client, taskQueue, workflowId, { cluster, full: true }, 'sample');
    } catch (err) {
      const desc = await server.client.workflow.getHandle(workflowId).describe().catch(() => undefined);
      const message = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
      progress(`  did not complete: ${message} (workflow ${desc?.status.name ?? 'unknown'})`);
      return { segments: n, bundle, hosts, server: which, error: message, status: desc?.status.name };
    }
    const [wCpu1, sCpu1] = [cpuSeconds(w.pid), cpuSeconds(server.pid)];
    const mem = memory(w.pid);
    if (run.result.succeeded !== n) throw new Error(`SIMULATION ${n}: ${run.result.succeeded} of ${n} children succeeded`);
    progress(`  ${n} simulated segments in ${(run.wallMs / 1000).toFixed(1)} s; parent history ${run.parentEvents} events`);
    return {
      segments: n, bundle, hosts, server: which, run,
      workerRssBeforeBytes: rssBefore, workerPeakRssBytes: mem.peakRss, workerCpuSec: wCpu1 - wCpu0, serverCpuSec: sCpu1 - sCpu0,
    };
  } finally {
    await w.stop();
  }
}

export async function benchSimulation(cfg: BenchConfig, bundlePath: string, workDir: string): Promise<SimSection> {
  let raised: SimServer | undefined;
  let unRaised: (() => void) | undefined;
  const runs: SimRun[] = [];
  const baseline = await baselineBundle(cfg.baselineRef, 'BENCH_BASELINE_REF', workDir);
  const largest = Math.max(...cfg.simSegments);
  let largestFirst: LargestFirstSection | undefined;
  let profile: SimProfile | undefined;
  // Every run on a dev server started for it, today's and the baseline's alike.
  // A server that fails to start costs its run, not the runs before it.
  const fresh = (n: number, bundle: 'current' | 'baseline' = 'current') =>
    onFreshServer(workDir, async (server) => ({ ...(await simOnce(cfg, server, 'default', bundle === 'current' ? bundlePath : baseline.path!, n, bundle)), serverRunsBefore: 0 }))
      .catch((err: Error): SimRun => ({ segments: n, bundle, hosts: Math.max(2, Math.ceil(n / cfg.simPerHost)), server: 'default', error: err.message, serverRunsBefore: 0 }));
  try {
    const lfBaseline = await baselineBundle(cfg.lfBaselineRef, 'BENCH_LF_BASELINE_REF', workDir);
    largestFirst = { ...await benchLargestFirst(cfg, workDir, bundlePath, lfBaseline.path), baseline: lfBaseline.info };
    for (const n of cfg.simSegments) {
      // The first run at the largest size, then the same bundle again on the same server: what a server that kept
      // one run's histories costs the next run, measured in this bench rather than assumed.
      let again: SimRun | undefined;
      const first = n === largest
        ? await onFreshServer(workDir, async (server) => {
          const once = { ...(await simOnce(cfg, server, 'default', bundlePath, n)), serverRunsBefore: 0 };
          if (!once.error) {
            again = await simOnce(cfg, server, 'default', bundlePath, n)
              .catch((err: Error): SimRun => ({ segments: n, bundle: 'current', hosts: once.hosts, server: 'default', error: err.message }));
          }
          return once;
        }).catch((err: Error): SimRun => ({ segments: n, bundle: 'current', hosts: Math.max(2, Math.ceil(n / cfg.simPerHost)), server: 'default', error: err.message, serverRunsBefore: 0 }))
        : await fresh(n);
      runs.push(first);
      if (again) runs.push({ ...again, serverRunsBefore: 1 });
      // The baseline commit's bundle beside today's at the largest size, interleaved.
      const withBaseline = n === largest && baseline.path && !first.error;
      if (withBaseline) runs.push(await fresh(n, 'baseline'));
      if (!first.error) {
        for (let i = 2; i <= cfg.repeat; i++) {
          runs.push(await fresh(n));
          if (withBaseline) runs.push(await fresh(n, 'baseline'));
        }
      } else if (/BadSearchAttributes/.test(first.error)) {
        if (!raised) {
          progress('starting a second dev server with a raised search-attribute value limit');
          const srv = await startRaisedLimitServer(workDir);
          raised = srv;
          unRaised = atExit('raised-limit dev server', () => srv.close());
        }
        for (let i = 1; i <= cfg.repeat; i++) runs.push(await simOnce(cfg, raised, 'raised-limit', bundlePath, n));
      }
    }
    // Where exactly the default limit bites, confirmed by running on both sides of it rather than only computed.
    const saLimit = runs.map((r) => /exceeds size limit (\d+)/.exec(r.error ?? '')?.[1]).find(Boolean);
    if (saLimit) {
      const fits = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => String(i))).length <= Number(saLimit);
      let edge = 1;
      while (fits(edge + 1)) edge++;
      progress(`ContentIds for 0..N-1 fits ${saLimit} bytes up to N = ${edge}; running ${edge} and ${edge + 1} on the default server`);
      for (const n of [edge, edge + 1]) runs.push({ ...(await fresh(n)), boundary: true });
    }
    if (runs.some((r) => r.segments === largest && r.run)) profile = await onFreshServer(workDir, (server) => simProfiled(cfg, server, bundlePath, largest, workDir));
  } finally {
    unRaised?.();
    await raised?.close();
  }
  return { sleepMs: cfg.simSleepMs, perHost: cfg.simPerHost, raisedLimitNote: raised?.note, baseline: baseline.info, runs, largestFirst, profile };
}

/** The profiled run: simOnce with its worker under --cpu-prof, which writes one profile per thread as it exits. */
async function simProfiled(cfg: BenchConfig, server: SimServer, bundlePath: string, n: number, workDir: string): Promise<SimProfile> {
  const dir = fs.mkdtempSync(path.join(workDir, 'cpu-prof-'));
  progress(`SIMULATION ${n} segments, profiled (node --cpu-prof, untimed): where the sim worker's threads spend their time`);
  const r = await simOnce(cfg, server, 'default', bundlePath, n, 'current', dir).catch((err: Error) => ({ error: err.message, run: undefined }));
  if (!r.run) return { segments: n, threads: [], error: r.error ?? 'the run did not complete' };
  const threads = summarizeProfileDir(dir);
  if (!threads.length) return { segments: n, wallMs: r.run.wallMs, threads, error: 'the worker wrote no profile' };
  progress(`  profiled: ${threads.map((t) => `thread ${threadOf(t.file)}: busy ${(t.busyMs / 1000).toFixed(1)} s`).join(', ')}`);
  return { segments: n, wallMs: r.run.wallMs, threads };
}

/** The baseline commit's workflow bundle (testkit/workflowBuild.ts), written next to today's for the sim workers. */
async function baselineBundle(ref: string, knob: string, workDir: string): Promise<{ path?: string; info: NonNullable<SimSection['baseline']> }> {
  try {
    const commit = resolveCommit(ref);
    const subject = execFileSync('git', ['log', '-1', '--format=%h %s', commit], { cwd: path.resolve(__dirname, '..'), encoding: 'utf8' }).trim();
    progress(`baseline workflow bundle (${knob}): ${ref} = ${subject.slice(0, 100)}`);
    const bundle = await bundleAtCommit(commit, `${knob} ${ref}`);
    const file = path.join(workDir, `workflows-${commit.slice(0, 12)}.js`);
    fs.writeFileSync(file, bundle.code);
    return { path: file, info: { ref, commit, subject, sameWorkflowCode: sameWorkflowCode(commit) } };
  } catch (err) {
    const error = (err as Error).message;
    progress(`no baseline bundle (${knob}): ${error}`);
    return { info: { ref, error } };
  }
}

/**
 * Largest first: a cluster of mixed sizes, the biggest last in catalog order, one segment per host and -B slots -b 1,
 * so exactly `slots` copies run at once; copySegment sleeps in proportion to its source's size (simActivities.ts).
 * Today's bundle against BENCH_LF_BASELINE_REF's, from before largest first, which takes the slots in catalog order.
 */
async function benchLargestFirst(cfg: BenchConfig, workDir: string, bundlePath: string, baselinePath: string | undefined): Promise<LargestFirstSection> {
  const shape: SizedShape = { small: cfg.lfSmall, smallGb: cfg.lfSmallGb, big: cfg.lfBig, bigGb: cfg.lfBigGb };
  const n = shape.small + shape.big;
  const sizes = Array.from({ length: n }, (_, c) => contentBytes(shape, c));
  const msOf = (bytes: number) => (bytes / 1e12) * cfg.lfSecPerTb * 1000;
  const lowerBoundMs = Math.max(msOf(Math.max(...sizes)), msOf(sizes.reduce((a, b) => a + b, 0)) / cfg.lfSlots);
  const out: LargestFirstSection = { shape, slots: cfg.lfSlots, secPerTb: cfg.lfSecPerTb, lowerBoundMs, runs: [] };
  const bundles: Array<['current' | 'baseline', string]> = [['current', bundlePath], ...(baselinePath ? [['baseline', baselinePath] as ['baseline', string]] : [])];
  for (let i = 1; i <= cfg.repeat; i++) {
    for (const [bundle, file] of bundles) {
      const seq = ++simSeq;
      const taskQueue = `bench-lf-${process.pid}-${bundle}-${seq}`;
      progress(`SIMULATION largest first [${i}/${cfg.repeat}], ${bundle} bundle: ${shape.small} x ${shape.smallGb} GB then ${shape.big} x ${shape.bigGb} GB, -B ${cfg.lfSlots} -b 1, ${cfg.lfSecPerTb} s per TB (lower bound ${(lowerBoundMs / 1000).toFixed(1)} s)`);
      await onFreshServer(workDir, async (server) => {
        const w = await startSimWorker(server, file, taskQueue, cfg);
        const cluster = sizedClusterName(shape, `${process.pid}-${bundle}-${seq}`);
        try {
          await sleep(2000);
          const [wCpu0, sCpu0] = [cpuSeconds(w.pid), cpuSeconds(server.pid)];
          const run = await timedRecovery(server.client, taskQueue, `${cluster}-run`, { cluster, full: true, hostParallelism: cfg.lfSlots, segmentParallelism: 1 });
          const [wCpu1, sCpu1] = [cpuSeconds(w.pid), cpuSeconds(server.pid)];
          const segs = run.result.segments;
          const starts = segs.map((x) => Date.parse(x.startedAt ?? '')).filter((v) => !Number.isNaN(v));
          const ends = segs.map((x) => Date.parse(x.endedAt ?? '')).filter((v) => !Number.isNaN(v));
          const first = Math.min(...starts);
          const bigStartsMs = segs.filter((x) => x.content >= shape.small).map((x) => Date.parse(x.startedAt ?? '') - first);
          const parts = largestFirstParts(run, cfg.lfSlots);
          out.runs.push({ bundle, run, childrenSpanMs: Math.max(...ends) - first, bigStartsMs, workerCpuSec: wCpu1 - wCpu0, serverCpuSec: sCpu1 - sCpu0, parts });
          progress(`  makespan ${(run.wallMs / 1000).toFixed(1)} s; big segments started at ${bigStartsMs.map((v) => (v / 1000).toFixed(1)).join(', ')} s`);
        } catch (err) {
          progress(`  failed: ${(err as Error).message}`);
          out.runs.push({ bundle, error: (err as Error).message });
        } finally {
          await w.stop();
        }
      }).catch((err: Error) => {
        progress(`  failed: ${err.message}`);
        out.runs.push({ bundle, error: err.message });
      });
    }
  }
  return out;
}
