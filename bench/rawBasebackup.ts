// The baseline: the cluster's own pg_basebackup run by hand on the mirror's host, as the cluster's OS user, with
// nothing around it.
import fs from 'node:fs';
import path from 'node:path';
import type { SegmentRow } from '../domain/segment';
import type { DemoCluster } from '../demo';
import { runChecked } from '../cluster/exec/executor';
import { osIdentity } from '../cluster/exec/local';
import { ExecutorPool } from '../cluster/exec/pool';
import { commandArgv, flavorNamed } from '../cluster/flavor';
import { toolsDir } from '../cluster/config';
import { timedBesideSampler } from './toolSampler';

export interface RawCopy {
  ms: number;
  /** Size of what pg_basebackup wrote (data directory plus the WAL it streamed). */
  bytes: number;
  /** The /proc sampler ran beside it, as beside the workflow's runs (absent in results before 2026-12-02). */
  sampled?: boolean;
  /** Section 1 since 2026-12-07: timed right after its round's workflow run instead of before it. */
  afterWorkflow?: boolean;
  /**
   * Since 2026-12-07 the copy is timed twice over the earlier copy and `ms` is the second: this is the first. On this
   * machine the first copy over a copy made just before took three times the second, nearly all of it system time
   * (by hand, 2 GiB: 10.3 s with 8.5 s of system time, then 3.5, 3.3 and 3.3 s with 1.4-1.7 s), however it was started.
   */
  firstMs?: number;
}

/** A directory the cluster's OS user may write into (the bench itself runs as root). */
export function scratchDir(parent: string, osUser: string): string {
  const dir = path.join(parent, 'scratch');
  fs.mkdirSync(dir, { recursive: true });
  const id = osIdentity(osUser);
  if (id) fs.chownSync(dir, id.uid, id.gid);
  return dir;
}

/** The copy's own flags only: no slot (the running mirror holds it), no recovery settings, no progress output. */
function withoutRecoveryFlags(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--slot') i++;
    else if (!['--progress', '--verbose', '--create-slot', '--write-recovery-conf', '-R'].includes(argv[i])) out.push(argv[i]);
  }
  return out;
}

/**
 * The command line a full recovery copies with (the flavour's: -c fast, WAL streamed, --target-gp-dbid and
 * --force-overwrite on Greenplum), on the mirror's host, without its replication slot: what a DBA would time by hand.
 * A recovery copies over the old mirror's directory, and Greenplum's pg_basebackup removes each directory it replaces
 * as it unpacks, so the timed copy goes over an earlier copy of the same segment (made first, untimed): both sides
 * pay for replacing a full directory, not one side for filling an empty one. It is timed twice and the second counts
 * (RawCopy.firstMs).
 */
export async function rawBasebackup(cluster: DemoCluster, pairs: Array<{ source: SegmentRow; target: SegmentRow }>, scratch: string): Promise<RawCopy> {
  const cfg = cluster.config();
  const flavor = flavorNamed(cluster.layout.flavor);
  const pool = new ExecutorPool(cfg);
  try {
    const runs = pairs.map(({ source, target }) => {
      const dir = path.join(scratch, `raw-dbid${target.dbid}-${Date.now()}`);
      const cmd = flavor.fullCopy({ bin: toolsDir(cfg), targetDir: dir, targetDbid: target.dbid, source, createSlot: false, user: cfg.replicationUser });
      return { dir, exec: pool.forHost(target.hostname, target.address), argv: withoutRecoveryFlags(commandArgv(cmd)) };
    });
    const copyAll = () => Promise.all(runs.map((r) => runChecked(r.exec, r.argv, { timeoutMs: 3_600_000 })));
    if (flavor.copiesOverExistingDirectory) await copyAll();
    // The workflow's runs are timed with the /proc sampler running beside them: so are these.
    const firstMs = flavor.copiesOverExistingDirectory ? await timedBesideSampler(scratch, copyAll) : undefined;
    const ms = await timedBesideSampler(scratch, copyAll);
    let bytes = 0;
    for (const r of runs) bytes += Number((await runChecked(r.exec, ['du', '-sb', r.dir])).stdout.split(/\s/)[0]);
    await Promise.all(runs.map((r) => runChecked(r.exec, ['rm', '-rf', r.dir])));
    return { ms, bytes, sampled: true, ...(firstMs !== undefined ? { firstMs } : {}) };
  } finally {
    await pool.closeAll();
  }
}
