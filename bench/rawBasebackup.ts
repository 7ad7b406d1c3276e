// The baseline: pg_basebackup by hand, as the cluster's OS user, with nothing around it.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SegmentRow } from '../domain/segment';
import type { DemoCluster } from '../cluster/demo';
import { runChecked } from '../cluster/exec/executor';
import { LocalExecutor, osIdentity } from '../cluster/exec/local';
import { replicationConninfo } from '../cluster/segment/sql';

export interface RawCopy {
  ms: number;
  /** Size of what pg_basebackup wrote (data directory plus the WAL it streamed). */
  bytes: number;
}

/** A directory the cluster's OS user may write into (the bench itself runs as root). */
export function scratchDir(parent: string, osUser: string): string {
  const dir = path.join(parent, 'scratch');
  fs.mkdirSync(dir, { recursive: true });
  const id = osIdentity(osUser);
  if (id) fs.chownSync(dir, id.uid, id.gid);
  return dir;
}

/**
 * The same flags the full recovery's pg_basebackup uses for the copy itself (-c fast, WAL streamed alongside), minus
 * its replication slot, recovery settings and progress output, which are recovery's business.
 */
export async function rawBasebackup(cluster: DemoCluster, sources: SegmentRow[], scratch: string): Promise<RawCopy> {
  const cfg = cluster.config();
  const exec = new LocalExecutor('bench', cluster.layout.osUser);
  const dirs = sources.map((s) => path.join(scratch, `raw-dbid${s.dbid}-${Date.now()}`));
  const t0 = performance.now();
  await Promise.all(sources.map((s, i) => runChecked(exec,
    [`${cfg.pgBin}/pg_basebackup`, '-c', 'fast', '-D', dirs[i], '-d', replicationConninfo(cfg, s), '--wal-method', 'stream'],
    { timeoutMs: 3_600_000 })));
  const ms = performance.now() - t0;
  let bytes = 0;
  for (const d of dirs) bytes += Number((await runChecked(exec, ['du', '-sb', d])).stdout.split(/\s/)[0]);
  await runChecked(exec, ['rm', '-rf', ...dirs]);
  return { ms, bytes };
}
