// Sections 1 and 2: one content of ~BENCH_GIB GiB; raw pg_basebackup vs a -F recovery through the workflow, then
// incremental recoveries of the same content after ~BENCH_CHANGE_PCT % of it changed. Each measurement is taken
// BENCH_REPEAT times, raw and workflow runs interleaved, because other work on a shared machine skews single samples.
import type { SegmentRow } from '../domain/segment';
import { loginOf } from '../cluster/demo/sql';
import { progress, type BenchConfig } from './config';
import { withClusterAndWorker, expectSynced, killAndWaitDown, rowOf } from './demoCluster';
import { rawBasebackup, scratchDir, type RawCopy } from './rawBasebackup';
import type { BenchTemporal } from './temporal';
import { timedRecovery, type TimedRecovery } from './timedRecovery';
import { sampleTool, type ToolSpan } from './toolSampler';
import { changeRows, loadWideRows } from './wideRows';

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

export interface FullSection {
  rows: number;
  tableBytes: number;
  loadMs: number;
  raw: RawCopy[];
  full: MeasuredRecovery[];
  incremental: IncrementalRun[];
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function benchFullVsIncremental(cfg: BenchConfig, t: BenchTemporal, workDir: string): Promise<FullSection> {
  const name = `bench-full-${process.pid}`;
  progress(`section full: creating demo cluster '${name}' (2 hosts x 1 primary, 127.0.91.x)`);
  return withClusterAndWorker(t, workDir, name, '127.0.91', 2, 1, async (cluster, taskQueue) => {
    const login = loginOf(cluster.layout);
    const scratch = scratchDir(workDir, cluster.layout.osUser);
    const content0 = async () => {
      const rows = await cluster.segments();
      const p = rows.find((r) => r.content === 0 && r.role === 'p')!;
      const m = rows.find((r) => r.content === 0 && r.role === 'm')!;
      return { p, m };
    };
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

    const { p: primary, m: mirror } = await content0();
    progress(`loading ${cfg.gib} GiB of 1000-byte rows into content 0 (dbid ${primary.dbid})`);
    const tl = Date.now();
    let lastTenth = -1;
    const loaded = await loadWideRows(primary, login, cfg.gib * 2 ** 30, (done, total) => {
      const tenth = Math.floor((10 * done) / total);
      if (tenth !== lastTenth) progress(`  loaded ${done}/${total} rows`);
      lastTenth = tenth;
    });
    const loadMs = Date.now() - tl;
    progress(`loaded ${(loaded.tableBytes / 2 ** 20).toFixed(0)} MiB in ${sec(loadMs)}; waiting for the mirror to replay it`);
    await cluster.waitForMirrorsCaughtUp(900_000);

    const raw: RawCopy[] = [];
    const full: MeasuredRecovery[] = [];
    for (let i = 1; i <= cfg.repeat; i++) {
      progress(`[${i}/${cfg.repeat}] raw pg_basebackup of dbid ${primary.dbid} into a scratch directory`);
      raw.push(await rawBasebackup(cluster, [{ source: primary, target: mirror }], scratch));
      progress(`  ${sec(raw[raw.length - 1].ms)}, ${(raw[raw.length - 1].bytes / 2 ** 20).toFixed(0)} MiB; kill mirror dbid ${mirror.dbid}, -F recovery through the workflow`);
      const det = await killAndWaitDown(cluster, [mirror.dbid]);
      full.push(await recover(`full-${i}`, true, det));
      progress(`  workflow ${sec(full[full.length - 1].run.wallMs)}`);
    }

    const incremental: IncrementalRun[] = [];
    for (let i = 1; i <= cfg.repeat; i++) {
      progress(`[${i}/${cfg.repeat}] incremental, mirror fell behind: kill dbid ${mirror.dbid}, change ${cfg.changePct}% on the primary, recover`);
      const det = await killAndWaitDown(cluster, [mirror.dbid]);
      const ch = await changeRows(primary, login, loaded.rows, cfg.changePct);
      const r = await recover(`inc-behind-${i}`, false, det);
      incremental.push({ scenario: 'behind', changedRows: ch.rows, walBytes: ch.walBytes, ...r });
      progress(`  ${sec(r.run.wallMs)}`);
    }
    for (let i = 1; i <= cfg.repeat; i++) {
      const { p, m } = await content0();
      progress(`[${i}/${cfg.repeat}] incremental after failover: kill primary dbid ${p.dbid}, FTS promotes dbid ${m.dbid}, change ${cfg.changePct}%, pg_rewind dbid ${p.dbid}`);
      const tf = Date.now();
      await cluster.kill(p.dbid);
      const rows = await cluster.waitFor((r) => rowOf(r, m.dbid).role === 'p' && rowOf(r, p.dbid).status === 'd', 60_000, 'FTS failover of content 0');
      const det = Date.now() - tf;
      const ch = await changeRows(rowOf(rows, m.dbid) as SegmentRow, login, loaded.rows, cfg.changePct);
      const r = await recover(`inc-rewind-${i}`, false, det);
      incremental.push({ scenario: 'failover', changedRows: ch.rows, walBytes: ch.walBytes, ...r });
      progress(`  ${sec(r.run.wallMs)}`);
    }
    return { rows: loaded.rows, tableBytes: loaded.tableBytes, loadMs, raw, full, incremental };
  });
}
