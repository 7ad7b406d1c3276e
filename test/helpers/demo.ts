import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { SegmentRow } from '../../domain/segment';
import { DemoCluster } from '../../cluster/demo';

/** A demo cluster private to one test file: its own loopback range, root and clusters file. */
export async function createTestCluster(name: string, ipPrefix: string, extra: { ftsIntervalSec?: number } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gprecover-${name}-`));
  fs.chmodSync(dir, 0o755);
  const clustersFile = path.join(dir, 'clusters.json');
  const started = Date.now();
  const cluster = await DemoCluster.create({
    name, ipPrefix, clustersFile, rootDir: path.join(dir, 'root'), ftsIntervalSec: extra.ftsIntervalSec ?? 1,
  });
  return { cluster, clustersFile, dir, startupMs: Date.now() - started };
}

export const healthy = (rows: SegmentRow[]) => rows.filter((r) => r.content >= 0).every((r) => r.status === 'u' && r.mode === 's');

/** Each content's mirror holds exactly its primary's rows (after replay caught up). */
export async function expectMirrorsIdentical(cluster: DemoCluster): Promise<void> {
  await cluster.waitForMirrorsCaughtUp(60_000);
  const rows = (await cluster.segments()).filter((r) => r.content >= 0);
  for (const content of [...new Set(rows.map((r) => r.content))]) {
    const p = rows.find((r) => r.content === content && r.role === 'p')!;
    const m = rows.find((r) => r.content === content && r.role === 'm')!;
    const [ps, ms] = await Promise.all([cluster.checksumOn(p.dbid), cluster.checksumOn(m.dbid)]);
    expect({ content, mirror: ms }).toEqual({ content, mirror: ps });
  }
}

export function byDbid(rows: SegmentRow[], dbid: number): SegmentRow {
  const r = rows.find((s) => s.dbid === dbid);
  if (!r) throw new Error(`no dbid ${dbid}`);
  return r;
}

/** Stops a segment the way a crash would and waits until FTS has marked it down. */
export async function killAndWaitDown(cluster: DemoCluster, dbid: number): Promise<void> {
  await cluster.kill(dbid);
  await cluster.waitFor((rows) => byDbid(rows, dbid).status === 'd', 30_000, `dbid ${dbid} marked down`);
}
