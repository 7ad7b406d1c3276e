// The baseline of an incremental recovery after a failover: the flavour's pg_rewind, run by hand as the cluster's OS
// user on the ex-primary's host, over a copy of its diverged data directory (made first, untimed), so the workflow's
// own run afterwards finds the same divergence in the real directory.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SegmentRow } from '../domain/segment';
import type { DemoCluster } from '../demo';
import { loginOf, withInstance } from '../demo/sql';
import { runChecked } from '../cluster/exec/executor';
import { ExecutorPool } from '../cluster/exec/pool';
import { commandArgv, flavorNamed } from '../cluster/flavor';
import { toolsDir } from '../cluster/config';
import { timedBesideSampler } from './toolSampler';

export interface RawRewind {
  /** The bare pg_rewind, start to exit. */
  ms: number;
  /** The untimed copy of the diverged directory it ran on. */
  copyMs: number;
  /** The copy was synced to disk before the timed run (since 2026-12-02). */
  synced?: boolean;
  /** The /proc sampler ran beside it, as beside the workflow's runs (since 2026-12-02). */
  sampled?: boolean;
  /**
   * Timed after the workflow's run of the same round, on a copy made before that run (every other round since
   * 2026-12-07); before, the bare run always went first.
   */
  afterWorkflow?: boolean;
  /** Bytes of that directory. */
  dirBytes: number;
  argv: string[];
}

/**
 * `target` is the failed ex-primary (down, diverged), `source` the promoted mirror. The command line is the one the
 * workflow's copySegment runs (cluster/segment/incrementalCopy.ts: the flavour's rewind()) minus --progress; as the
 * workflow does first, postmaster.pid is removed and the source is CHECKPOINTed (here before the clock starts, so the
 * workflow's own CHECKPOINT afterwards finds little to write: the bare run is not charged for it either).
 */
export async function rawRewind(cluster: DemoCluster, target: SegmentRow, source: SegmentRow, scratch: string, before?: () => Promise<void>): Promise<RawRewind> {
  const cfg = cluster.config();
  const flavor = flavorNamed(cluster.layout.flavor);
  const pool = new ExecutorPool(cfg);
  const exec = pool.forHost(target.hostname, target.address);
  const dir = path.join(scratch, `rewind-dbid${target.dbid}-${Date.now()}`);
  try {
    const c0 = performance.now();
    await runChecked(exec, ['cp', '-a', target.datadir, dir], { timeoutMs: 3_600_000 });
    const copyMs = performance.now() - c0;
    // pg_rewind syncs the whole target directory at its end: without this, the bare run would also pay for writing
    // back the untimed copy (GBs cp left dirty), which the workflow's long-written directory does not.
    await runChecked(exec, ['sync'], { timeoutMs: 3_600_000 });
    await runChecked(exec, ['rm', '-f', `${dir}/postmaster.pid`]);
    const dirBytes = Number((await runChecked(exec, ['du', '-sb', dir])).stdout.split(/\s/)[0]);
    // The workflow's run, when it goes first: it rewinds the real directory, the copy keeps the divergence.
    if (before) await before();
    await withInstance(source, loginOf(cluster.layout), (c) => c.query('CHECKPOINT'));
    const argv = commandArgv(flavor.rewind({ bin: toolsDir(cfg), targetDir: dir, source, user: cfg.replicationUser })).filter((a) => a !== '--progress');
    // As in rawBasebackup: the /proc sampler runs beside the bare run, as it does beside the workflow's.
    const ms = await timedBesideSampler(scratch, () => runChecked(exec, argv, { timeoutMs: 3_600_000 }));
    return { ms, copyMs, synced: true, sampled: true, dirBytes, argv, afterWorkflow: before !== undefined };
  } finally {
    await runChecked(exec, ['rm', '-rf', dir]).catch(() => undefined);
    await pool.closeAll();
  }
}
