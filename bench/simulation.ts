import { setTimeout as sleep } from 'node:timers/promises';
// Section 4, SIMULATION: the real recoveryWorkflow and segmentRecoveryWorkflow at 100 / 1,000 segments, every
// activity a few-ms sleep (simActivities.ts). Measures Temporal plus workflow orchestration cost only.
import path from 'node:path';
import { spawn } from 'node:child_process';
import { atExit } from './cleanup';
import { progress, type BenchConfig } from './config';
import { cpuSeconds, memory } from './procStats';
import { simClusterName } from './simActivities';
import { startRaisedLimitServer, type SimServer } from './raisedLimitServer';
import type { BenchTemporal } from './temporal';
import { timedRecovery, type TimedRecovery } from './timedRecovery';

export interface SimRun {
  segments: number;
  hosts: number;
  /** Which dev server ran it: the one every other section uses, or the one with the raised search-attribute limit. */
  server: 'default' | 'raised-limit';
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

export interface SimSection {
  sleepMs: number;
  perHost: number;
  raisedLimitNote?: string;
  runs: SimRun[];
}

async function startSimWorker(server: SimServer, bundlePath: string, taskQueue: string, cfg: BenchConfig) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'simWorker.ts')], {
    cwd: path.resolve(__dirname, '..'),
    env: {
      ...process.env,
      SIM_ADDRESS: server.address, SIM_NAMESPACE: server.namespace, SIM_TASK_QUEUE: taskQueue, SIM_BUNDLE: bundlePath,
      SIM_SLEEP_MS: String(cfg.simSleepMs), SIM_PER_HOST: String(cfg.simPerHost),
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
  return {
    pid: child.pid!,
    log: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function simOnce(cfg: BenchConfig, server: SimServer, which: SimRun['server'], bundlePath: string, n: number): Promise<SimRun> {
  const taskQueue = `bench-sim-${process.pid}-${n}-${which}`;
  const hosts = Math.max(2, Math.ceil(n / cfg.simPerHost));
  progress(`SIMULATION ${n} segments on the ${which} dev server: sim worker process on task queue ${taskQueue}`);
  const w = await startSimWorker(server, bundlePath, taskQueue, cfg);
  const unWorker = atExit('sim worker', () => w.stop());
  const cluster = simClusterName(n, `${process.pid}-${which}`);
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
      return { segments: n, hosts, server: which, error: message, status: desc?.status.name };
    }
    const [wCpu1, sCpu1] = [cpuSeconds(w.pid), cpuSeconds(server.pid)];
    const mem = memory(w.pid);
    if (run.result.succeeded !== n) throw new Error(`SIMULATION ${n}: ${run.result.succeeded} of ${n} children succeeded`);
    progress(`  ${n} simulated segments in ${(run.wallMs / 1000).toFixed(1)} s; parent history ${run.parentEvents} events`);
    return {
      segments: n, hosts, server: which, run,
      workerRssBeforeBytes: rssBefore, workerPeakRssBytes: mem.peakRss, workerCpuSec: wCpu1 - wCpu0, serverCpuSec: sCpu1 - sCpu0,
    };
  } finally {
    unWorker();
    await w.stop();
  }
}

export async function benchSimulation(cfg: BenchConfig, t: BenchTemporal, workDir: string): Promise<SimSection> {
  const plain: SimServer = {
    address: t.server.address, namespace: t.server.namespace, pid: t.server.process.pid!, client: t.client, close: async () => undefined,
  };
  let raised: SimServer | undefined;
  let unRaised: (() => void) | undefined;
  const runs: SimRun[] = [];
  try {
    for (const n of cfg.simSegments) {
      const first = await simOnce(cfg, plain, 'default', t.bundlePath, n);
      runs.push(first);
      if (!first.error) {
        for (let i = 2; i <= cfg.repeat; i++) runs.push(await simOnce(cfg, plain, 'default', t.bundlePath, n));
      } else if (/BadSearchAttributes/.test(first.error)) {
        if (!raised) {
          progress('starting a second dev server with a raised search-attribute value limit');
          const srv = await startRaisedLimitServer(workDir);
          raised = srv;
          unRaised = atExit('raised-limit dev server', () => srv.close());
        }
        for (let i = 1; i <= cfg.repeat; i++) runs.push(await simOnce(cfg, raised, 'raised-limit', t.bundlePath, n));
      }
    }
    // Where exactly the default limit bites, confirmed by running on both sides of it rather than only computed.
    const saLimit = runs.map((r) => /exceeds size limit (\d+)/.exec(r.error ?? '')?.[1]).find(Boolean);
    if (saLimit) {
      const fits = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => String(i))).length <= Number(saLimit);
      let edge = 1;
      while (fits(edge + 1)) edge++;
      progress(`ContentIds for 0..N-1 fits ${saLimit} bytes up to N = ${edge}; running ${edge} and ${edge + 1} on the default server`);
      for (const n of [edge, edge + 1]) runs.push({ ...(await simOnce(cfg, plain, 'default', t.bundlePath, n)), boundary: true });
    }
  } finally {
    unRaised?.();
    await raised?.close();
  }
  return { sleepMs: cfg.simSleepMs, perHost: cfg.simPerHost, raisedLimitNote: raised?.note, runs };
}
