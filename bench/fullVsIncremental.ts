// Sections 1 and 2, on one 2-host x 2-primary demo cluster:
// 1. content 0 holds ~BENCH_GIB GiB: the flavour's pg_basebackup run by hand vs a -F recovery through the workflow;
// 2. content 1 holds ~BENCH_BIG_GIB GiB (large, so fixed costs do not hide the copy): -F recoveries, then incremental
//    recoveries after ~BENCH_CHANGE_PCT % of it changed.
// Each measurement is taken BENCH_REPEAT times, raw and workflow runs interleaved, because other work on a shared
// machine skews single samples.
import type { SegmentRow } from '../domain/segment';
import type { DemoCluster } from '../demo';
import { loginOf } from '../demo/sql';
import { progress, type BenchConfig } from './config';
import { withClusterAndWorker, expectSynced, killAndWaitDown, rowOf } from './demoCluster';
import { rawBasebackup, scratchDir, type RawCopy } from './rawBasebackup';
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
}

export interface IncrementalRun extends MeasuredRecovery {
  scenario: 'behind' | 'failover';
  changedRows: number;
  walBytes: number;
}

export interface LoadedContent extends Loaded {
  content: number;
  gib: number;
  loadMs: number;
}

export interface FullSection {
  /** Section 1: content 0. */
  small: LoadedContent & { raw: RawCopy[]; full: MeasuredRecovery[] };
  /** Section 2: content 1. */
  big?: LoadedContent & { full: MeasuredRecovery[]; incremental: IncrementalRun[] };
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
      const sampler = sampleTool(cluster.rootDir);
      let tool: ToolSpan | undefined;
      const run = await timedRecovery(t.client, taskQueue, `${name}-${id}`, { cluster: name, full }).finally(() => {
        tool = sampler.stop();
      });
      if (run.result.succeeded !== 1) throw new Error(`${id}: recovery did not succeed: ${JSON.stringify(run.result.segments)}`);
      await expectSynced(cluster);
      return { run, tool, ftsDetectMs };
    };

    const smallLoad = await load(cluster, 0, cfg.gib);
    const bigLoad = await load(cluster, 1, cfg.bigGib);
    progress('waiting for the mirrors to replay the loads');
    await cluster.waitForMirrorsCaughtUp(1_800_000);

    // 1. Raw and workflow both copy while the mirror is down, from the same primary onto the same host.
    const small: FullSection['small'] = { ...smallLoad, raw: [], full: [] };
    for (let i = 1; i <= cfg.repeat; i++) {
      const { p, m } = await pair(cluster, 0);
      progress(`[${i}/${cfg.repeat}] content 0: kill mirror dbid ${m.dbid}; the flavour's pg_basebackup by hand into a scratch directory on ${m.hostname}`);
      const det = await killAndWaitDown(cluster, [m.dbid]);
      small.raw.push(await rawBasebackup(cluster, [{ source: p, target: m }], scratch));
      progress(`  raw ${sec(small.raw[small.raw.length - 1].ms)}, ${(small.raw[small.raw.length - 1].bytes / 2 ** 20).toFixed(0)} MiB; -F recovery through the workflow`);
      small.full.push(await recover(`small-full-${i}`, true, det));
      progress(`  workflow ${sec(small.full[small.full.length - 1].run.wallMs)}`);
    }

    // 2. The large content: -F, then incremental after a small change, twice over.
    const big: NonNullable<FullSection['big']> = { ...bigLoad, full: [], incremental: [] };
    for (let i = 1; i <= cfg.repeat; i++) {
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
      const ch = await changeRows(rowOf(rows, m.dbid) as SegmentRow, login, big.rows, cfg.changePct);
      const r = await recover(`inc-rewind-${i}`, false, det);
      big.incremental.push({ scenario: 'failover', changedRows: ch.rows, walBytes: ch.walBytes, ...r });
      progress(`  ${sec(r.run.wallMs)}`);
    }
    return { small, big };
  });
}
