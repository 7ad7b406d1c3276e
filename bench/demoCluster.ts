import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SegmentRow } from '../domain/segment';
import { DemoCluster } from '../demo';
import { atExit } from './cleanup';
import { progress } from './config';
import type { BenchTemporal } from './temporal';

export async function createBenchCluster(workDir: string, name: string, ipPrefix: string, hosts: number, primariesPerHost: number) {
  return DemoCluster.create({
    name, ipPrefix, hosts, primariesPerHost, ftsIntervalSec: 1,
    clustersFile: path.join(workDir, 'clusters.json'), rootDir: path.join(workDir, name),
  });
}

export const rowOf = (rows: SegmentRow[], dbid: number) => {
  const r = rows.find((s) => s.dbid === dbid);
  if (!r) throw new Error(`no dbid ${dbid}`);
  return r;
};

/** n of the segments, taken from each host in turn (a real failure is rarely all on one host, and -B only shows across hosts). */
export function spreadOverHosts<T extends { hostname: string; content: number }>(segments: T[], n: number): T[] {
  const byHost = new Map<string, T[]>();
  for (const r of [...segments].sort((a, b) => a.content - b.content)) byHost.set(r.hostname, [...(byHost.get(r.hostname) ?? []), r]);
  const queues = [...byHost.values()];
  const out: T[] = [];
  for (let i = 0; out.length < n && queues.some((q) => q.length); i++) {
    const q = queues[i % queues.length];
    if (q.length) out.push(q.shift()!);
  }
  return out;
}

export const allSynced = (rows: SegmentRow[]) => rows.filter((r) => r.content >= 0).every((r) => r.status === 'u' && r.mode === 's');

/** Kills instances and returns how long FTS took to mark all of them down (not part of any recovery figure). */
export async function killAndWaitDown(cluster: DemoCluster, dbids: number[]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(dbids.map((d) => cluster.kill(d)));
  await cluster.waitFor((rows) => dbids.every((d) => rowOf(rows, d).status === 'd'), 60_000, `dbid ${dbids.join(',')} marked down`);
  return performance.now() - t0;
}

/** A recovery's result is only believed when the catalog agrees. */
export async function expectSynced(cluster: DemoCluster): Promise<void> {
  await cluster.waitFor(allSynced, 30_000, 'every segment up and synchronized after recovery');
  await cluster.waitForMirrorsCaughtUp(600_000);
}

/** A demo cluster and a worker for one bench section, torn down however the section ends (Ctrl-C included). */
export async function withClusterAndWorker<T>(
  t: BenchTemporal, workDir: string, name: string, ipPrefix: string, hosts: number, primariesPerHost: number,
  fn: (cluster: DemoCluster, taskQueue: string) => Promise<T>,
): Promise<T> {
  const cluster = await createBenchCluster(workDir, name, ipPrefix, hosts, primariesPerHost);
  const unCluster = atExit(`demo cluster ${name}`, () => cluster.destroy());
  const worker = await t.startWorker({ taskQueue: name, clustersFile: cluster.clustersFile }).catch(async (err) => {
    unCluster();
    await cluster.destroy();
    throw err;
  });
  const unWorker = atExit('worker', () => worker.stop());
  try {
    return await fn(cluster, name);
  } finally {
    unWorker();
    await worker.stop().catch((e) => progress(`worker stop: ${e}`));
    progress(`destroying '${name}'`);
    unCluster();
    await cluster.destroy().catch((e) => progress(`destroy ${name}: ${e}`));
  }
}
