import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readClustersFile, saveClusterConfig } from '../cluster/config';
import { COORDINATOR_HOSTNAME } from '../demo/layout';
import { startSshd, type TestSshd } from '../test/helpers/sshd';
import type { SegmentRow } from '../domain/segment';
import { DemoCluster } from '../demo';
import { atExit } from './cleanup';
import { progress, type BenchConfig } from './config';
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

let hostsOver: BenchConfig['hostsOver'] = 'ssh';

/** How the sections' workers reach the segment hosts (BENCH_HOSTS_OVER). */
export function setHostsOver(how: BenchConfig['hostsOver']): void {
  hostsOver = how;
}

/**
 * The segment hosts reached over SSH, as on a real cluster: a real sshd on each host's first loopback address, which
 * the demo's tools tell their host by (SSH_CONNECTION). The coordinator's host stays local, as where the worker runs
 * beside the coordinator. The bare copies are run on the host itself, as a DBA logged in there would.
 */
async function overSsh(cluster: DemoCluster): Promise<TestSshd[]> {
  const started: TestSshd[] = [];
  const cfg = readClustersFile(cluster.clustersFile).clusters[cluster.name];
  const hosts = { ...cfg.hosts };
  try {
    for (const [host, ips] of Object.entries(cluster.layout.hostIps)) {
      if (host === COORDINATOR_HOSTNAME) continue;
      const sshd = await startSshd({ address: ips[0], username: cluster.layout.osUser });
      started.push(sshd);
      hosts[host] = { ...hosts[host], address: ips[0], executor: 'ssh', ssh: sshd.sshConfig() };
    }
  } catch (err) {
    await Promise.all(started.map((d) => d.stop()));
    throw err;
  }
  saveClusterConfig({ ...cfg, hosts }, cluster.clustersFile);
  return started;
}

/** A demo cluster and a worker for one bench section, torn down however the section ends (Ctrl-C included). */
export async function withClusterAndWorker<T>(
  t: BenchTemporal, workDir: string, name: string, ipPrefix: string, hosts: number, primariesPerHost: number,
  fn: (cluster: DemoCluster, taskQueue: string) => Promise<T>,
): Promise<T> {
  const cluster = await createBenchCluster(workDir, name, ipPrefix, hosts, primariesPerHost);
  const unCluster = atExit(`demo cluster ${name}`, () => cluster.destroy());
  let sshds: TestSshd[] = [];
  const unSshd = atExit(`sshd of ${name}`, () => Promise.all(sshds.map((d) => d.stop())));
  const worker = await (async () => {
    if (hostsOver === 'ssh') {
      sshds = await overSsh(cluster);
      progress(`'${name}': segment hosts reached over SSH (${sshds.map((d) => `${d.address}:${d.port}`).join(', ')})`);
    }
    return t.startWorker({ taskQueue: name, clustersFile: cluster.clustersFile });
  })().catch(async (err) => {
    unSshd();
    await Promise.all(sshds.map((d) => d.stop()));
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
    unSshd();
    await Promise.all(sshds.map((d) => d.stop().catch((e) => progress(`sshd stop: ${e}`))));
    progress(`destroying '${name}'`);
    unCluster();
    await cluster.destroy().catch((e) => progress(`destroy ${name}: ${e}`));
  }
}
