// Sections 1 and 2, on one 2-host x 2-primary demo cluster:
// 1. a content of ~BENCH_GIB GiB: the flavour's pg_basebackup run by hand vs a -F recovery through the workflow;
// 2. content 1 holds ~BENCH_BIG_GIB GiB (large, so fixed costs do not hide the copy): -F recoveries, then incremental
//    recoveries after ~BENCH_CHANGE_PCT % of it changed, the failover ones beside a bare pg_rewind of the same
//    divergence. When BENCH_GIB equals BENCH_BIG_GIB (the default, 4), section 1 runs on content 1 too, so the data is
//    loaded once and its -F runs are section 2's full runs.
// Each measurement is taken BENCH_REPEAT times, raw and workflow runs interleaved, because other work on a shared
// machine skews single samples.
import type { SegmentRow } from '../domain/segment';
import type { DemoCluster } from '../demo';
import { loginOf } from '../demo/sql';
import { progress, type BenchConfig } from './config';
import { cpuSeconds } from './procStats';
import { withClusterAndWorker, expectSynced, killAndWaitDown, rowOf } from './demoCluster';
import { rawBasebackup, scratchDir, type RawCopy } from './rawBasebackup';
import { rawRewind, type RawRewind } from './rawRewind';
import type { BenchTemporal } from './temporal';
import { timedRecovery, type TimedRecovery } from './timedRecovery';
import { sampleTool, type ToolSpan } from './toolSampler';
import { changeRows, loadWideRows, type Loaded } from './wideRows';

export interface MeasuredRecovery {
  run: TimedRecovery;
  /** The copy tool's own running time inside the run, from the process table. */
  tool?: ToolSpan;
  /** Kill to FTS marking it down (or failing over): before the recovery starts, so not part of it. */
  ftsDetectMs: number;
  /** CPU seconds during the run: the bench process (the worker runs in it, beside the driver) and the dev server. */
  benchCpuSec?: number;
  serverCpuSec?: number;
}

export interface IncrementalRun extends MeasuredRecovery {
  scenario: 'behind' | 'failover';
  changedRows: number;
  walBytes: number;
  /** Failover runs: the bare pg_rewind of the same divergence, just before. */
  bare?: RawRewind;
}

export interface LoadedContent extends Loaded {
  content: number;
  gib: number;
  loadMs: number;
}

export interface FullSection {
  /** Section 1: content 0, or content 1 when it is the same size (then `big.full` are these runs). */
  small: LoadedContent & { raw: RawCopy[]; full: MeasuredRecovery[] };
  /** Section 2: content 1. */
  big?: LoadedContent & { full: MeasuredRecovery[]; incremental: IncrementalRun[]; fullShared?: boolean };
}

/** CPU used from now until the returned function is called: this process (driver + in-process worker) and the dev server. */
export function cpuMeter(t: BenchTemporal): () => { benchCpuSec: number; serverCpuSec?: number } {
  const c0 = process.cpuUsage();
  const pid = t.server.process.pid;
  const s0 = pid ? cpuSeconds(pid) : undefined;
  return () => {
    const c = process.cpuUsage(c0);
    const s1 = pid ? cpuSeconds(pid) : undefined;
    return { benchCpuSec: (c.user + c.system) / 1e6, ...(s0 !== undefined && s1 !== undefined ? { serverCpuSec: s1 - s0 } : {}) };
  };
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function pair(cluster: DemoCluster, content: number): Promise<{ p: SegmentRow; m: SegmentRow }> {
  const rows = await cluster.segments();
  return { p: rows.find((r) => r.content === content && r.role === 'p')!, m: rows.find((r) => r.content === content && r.role === 'm')! };
}

async function load(cluster: DemoCluster, content: number, gib: number): Promise<LoadedContent> {
  const { p } = await pair(cluster, content);
  progress(`loading ${gib} GiB of 1000-byte rows into content ${content} (dbid ${p.dbid})`);
  const t0 = Date.now();
  let lastTenth = -1;
  const loaded = await loadWideRows(p, loginOf(cluster.layout), gib * 2 ** 30, (done, total) => {
    const tenth = Math.floor((10 * done) / total);
    if (tenth !== lastTenth) progress(`  loaded ${done}/${total} rows`);
    lastTenth = tenth;
  });
  const loadMs = Date.now() - t0;
  progress(`loaded ${(loaded.tableBytes / 2 ** 20).toFixed(0)} MiB in ${sec(loadMs)}`);
  return { ...loaded, content, gib, loadMs };
}

export async function benchFullVsIncremental(cfg: BenchConfig, t: BenchTemporal, workDir: string): Promise<FullSection> {
  const name = `bench-full-${process.pid}`;
  progress(`section full: creating demo cluster '${name}' (2 hosts x 2 primaries, 127.0.91.x)`);
  return withClusterAndWorker(t, workDir, name, '127.0.91', 2, 2, async (cluster, taskQueue) => {
    const login = loginOf(cluster.layout);
    const scratch = scratchDir(workDir, cluster.layout.osUser);
    const recover = async (id: string, full: boolean, ftsDetectMs: number): Promise<MeasuredRecovery> => {
      const cpu = cpuMeter(t);
      const sampler = await sampleTool(cluster.rootDir);
      let tool: ToolSpan | undefined;
      const run = await timedRecovery(t.client, taskQueue, `${name}-${id}`, { cluster: name, full }).finally(async () => {
        tool = await sampler.stop();
      });
      const used = cpu();
      if (run.result.succeeded !== 1) throw new Error(`${id}: recovery did not succeed: ${JSON.stringify(run.result.segments)}`);
      await expectSynced(cluster);
      return { run, tool, ftsDetectMs, ...used };
    };

    const shared = cfg.gib === cfg.bigGib;
    const bigLoad = await load(cluster, 1, cfg.bigGib);
    const smallLoad = shared ? bigLoad : await load(cluster, 0, cfg.gib);
    const smallContent = smallLoad.content;
    progress('waiting for the mirrors to replay the loads');
    await cluster.waitForMirrorsCaughtUp(1_800_000);

    // 1. Raw and workflow both copy while the mirror is down, from the same primary onto the same host.
    const small: FullSection['small'] = { ...smallLoad, raw: [], full: [] };
    for (let i = 1; i <= cfg.repeat; i++) {
      const { p, m } = await pair(cluster, smallContent);
      progress(`[${i}/${cfg.repeat}] content ${smallContent} (${cfg.gib} GiB): kill mirror dbid ${m.dbid}; the flavour's pg_basebackup by hand into a scratch directory on ${m.hostname}`);
      const det = await killAndWaitDown(cluster, [m.dbid]);
      // Every other round times the workflow first: a bare copy that is slower only when it goes first shows it.
      const workflowFirst = i % 2 === 0;
      const bare = async () => {
        small.raw.push({ ...await rawBasebackup(cluster, [{ source: p, target: m }], scratch), ...(workflowFirst ? { afterWorkflow: true } : {}) });
        progress(`  raw ${sec(small.raw[small.raw.length - 1].ms)}, ${(small.raw[small.raw.length - 1].bytes / 2 ** 20).toFixed(0)} MiB`);
      };
      if (!workflowFirst) await bare();
      progress('  -F recovery through the workflow');
      small.full.push(await recover(`small-full-${i}`, true, det));
      const last = small.full[small.full.length - 1];
      progress(`  workflow ${sec(last.run.wallMs)}; copy tool ${last.tool ? sec(last.tool.ms) : '?'}`);
      if (workflowFirst) await bare();
    }

    // 2. The large content: -F, then incremental after a small change, twice over.
    const big: NonNullable<FullSection['big']> = { ...bigLoad, full: shared ? small.full : [], incremental: [], fullShared: shared };
    for (let i = 1; i <= (shared ? 0 : cfg.repeat); i++) {
      const { m } = await pair(cluster, 1);
      progress(`[${i}/${cfg.repeat}] content 1 (${cfg.bigGib} GiB): kill mirror dbid ${m.dbid}, -F recovery`);
      const det = await killAndWaitDown(cluster, [m.dbid]);
      big.full.push(await recover(`big-full-${i}`, true, det));
      progress(`  workflow ${sec(big.full[big.full.length - 1].run.wallMs)}`);
    }
    for (let i = 1; i <= cfg.repeat; i++) {
      const { p, m } = await pair(cluster, 1);
      progress(`[${i}/${cfg.repeat}] incremental, mirror fell behind: kill dbid ${m.dbid}, change ${cfg.changePct}% on the primary, recover`);
      const det = await killAndWaitDown(cluster, [m.dbid]);
      const ch = await changeRows(p, login, big.rows, cfg.changePct);
      const r = await recover(`inc-behind-${i}`, false, det);
      big.incremental.push({ scenario: 'behind', changedRows: ch.rows, walBytes: ch.walBytes, ...r });
      progress(`  ${sec(r.run.wallMs)}`);
    }
    for (let i = 1; i <= cfg.repeat; i++) {
      const { p, m } = await pair(cluster, 1);
      progress(`[${i}/${cfg.repeat}] incremental after failover: kill primary dbid ${p.dbid}, FTS promotes dbid ${m.dbid}, change ${cfg.changePct}%, pg_rewind dbid ${p.dbid}`);
      const tf = Date.now();
      await cluster.kill(p.dbid);
      const rows = await cluster.waitFor((r) => rowOf(r, m.dbid).role === 'p' && rowOf(r, p.dbid).status === 'd', 60_000, 'FTS failover of content 1');
      const det = Date.now() - tf;
      const promoted = rowOf(rows, m.dbid) as SegmentRow;
      const ch = await changeRows(promoted, login, big.rows, cfg.changePct);
      // Every other round times the workflow first, on the real directory, and the bare pg_rewind after it, on a copy
      // made before it: a bare run that is slower only when it goes first shows it.
      const workflowFirst = i % 2 === 0;
      progress(`  copy dbid ${p.dbid}'s diverged directory (untimed), then ${workflowFirst ? 'the incremental recovery through the workflow, then ' : ''}the flavour's bare pg_rewind on the copy`);
      let early: Awaited<ReturnType<typeof recover>> | undefined;
      const bare = await rawRewind(cluster, rowOf(rows, p.dbid) as SegmentRow, promoted, scratch, workflowFirst ? async () => {
        early = await recover(`inc-rewind-${i}`, false, det);
        progress(`  workflow ${sec(early.run.wallMs)}`);
      } : undefined);
      progress(`  bare pg_rewind ${sec(bare.ms)} (copy ${sec(bare.copyMs)})${workflowFirst ? '' : '; incremental recovery through the workflow'}`);
      const r = early ?? await recover(`inc-rewind-${i}`, false, det);
      big.incremental.push({ scenario: 'failover', changedRows: ch.rows, walBytes: ch.walBytes, bare, ...r });
      progress(`  workflow ${sec(r.run.wallMs)} (${(r.run.wallMs / bare.ms).toFixed(2)}x the bare pg_rewind)`);
    }
    return { small, big };
  });
}
