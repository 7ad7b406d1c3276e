import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { SegmentRow } from '../../domain/segment';
import { DemoCluster, type DemoOptions } from '../../demo';

/** A demo cluster private to one test file: its own loopback range, root and clusters file. */
export async function createTestCluster(name: string, ipPrefix: string, extra: Pick<DemoOptions, 'ftsIntervalSec' | 'flavor' | 'dataChecksums'> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gprecover-${name}-`));
  fs.chmodSync(dir, 0o755);
  const clustersFile = path.join(dir, 'clusters.json');
  const started = Date.now();
  const cluster = await DemoCluster.create({
    name, ipPrefix, clustersFile, rootDir: path.join(dir, 'root'), ftsIntervalSec: extra.ftsIntervalSec ?? 1, flavor: extra.flavor, dataChecksums: extra.dataChecksums,
  });
  return { cluster, clustersFile, dir, startupMs: Date.now() - started };
}

export const healthy = (rows: SegmentRow[]) => rows.filter((r) => r.content >= 0).every((r) => r.status === 'u' && r.mode === 's');

/**
 * On a Greenplum flavour every segment is who the catalog says: gp_dbid (read by the server from its own
 * internal.auto.conf) is its dbid, and each tablespace links to <location>/<its dbid>.
 */
export async function expectOwnIdentity(cluster: DemoCluster): Promise<void> {
  if (cluster.layout.flavor === 'postgres') return;
  for (const r of (await cluster.segments()).filter((s) => s.content >= 0)) {
    const [{ gp_dbid: dbid }] = await cluster.query<{ gp_dbid: string }>(r.dbid, 'SHOW gp_dbid');
    const links = await cluster.query<{ loc: string }>(r.dbid, `SELECT pg_catalog.pg_tablespace_location(oid) AS loc FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')`);
    expect({ dbid: r.dbid, gpDbid: Number(dbid), links: links.map((l) => l.loc) })
      .toEqual({ dbid: r.dbid, gpDbid: r.dbid, links: [path.join(cluster.layout.tablespaceLocation!, String(r.dbid))] });
  }
}

/**
 * What a real cluster does after a recovery sooner or later, as gpstop -ar: every instance stopped and started again.
 * Then every segment is up and in sync, every instance's pg_hba.conf loads (pg_hba_file_rules shows no error: a bad
 * line stops a primary at its next start), and every segment is who the catalog says.
 */
export async function expectSurvivesRestart(cluster: DemoCluster): Promise<void> {
  await cluster.stop();
  const report = await cluster.start();
  expect({ failed: report.failed, leftDown: report.leftDown }).toEqual({ failed: [], leftDown: [] });
  await cluster.waitFor(healthy, 90_000, 'every segment up and in sync after the restart');
  for (const r of await cluster.segments()) {
    const errors = await cluster.query<{ line_number: number; error: string }>(r.dbid, 'SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL');
    expect({ dbid: r.dbid, errors }).toEqual({ dbid: r.dbid, errors: [] });
  }
  await expectOwnIdentity(cluster);
}

/**
 * Each content's mirror holds exactly its primary's rows (after replay caught up), every segment its own identity,
 * and the cluster survives a full restart (expectSurvivesRestart): the end of every real-cluster recovery test.
 */
export async function expectMirrorsIdentical(cluster: DemoCluster): Promise<void> {
  await cluster.waitForMirrorsCaughtUp(60_000);
  await expectOwnIdentity(cluster);
  const rows = (await cluster.segments()).filter((r) => r.content >= 0);
  for (const content of [...new Set(rows.map((r) => r.content))]) {
    const p = rows.find((r) => r.content === content && r.role === 'p')!;
    const m = rows.find((r) => r.content === content && r.role === 'm')!;
    const [ps, ms] = await Promise.all([cluster.checksumOn(p.dbid), cluster.checksumOn(m.dbid)]);
    expect({ content, mirror: ms }).toEqual({ content, mirror: ps });
    // Greenplum flavours keep a second copy of the rows in the tablespace: both tables were compared.
    if (cluster.layout.tablespaceLocation) expect(ps.split('+')).toHaveLength(2);
  }
  await expectSurvivesRestart(cluster);
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
