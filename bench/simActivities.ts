import { setTimeout as sleep } from 'node:timers/promises';
// SIMULATION ONLY. Activities with the names and shapes of createActivities(), answering from a synthetic catalog
// and only sleeping, so the real workflows can be timed at hundreds or thousands of segments with no cluster at all.
// Nothing measured with these says anything about copying data; it measures Temporal and the workflow code.
import type { SegmentRow } from '../domain/segment';
import type { ClusterSnapshot, DirProbeRequest, ProbeResult } from '../domain/probe';
import type { Activities } from '../activities';
import { fakeToolchainActivities } from '../test/helpers/fakeToolchain';


/** The cluster name carries its size: `sim-<segments>`. */
export function simClusterName(segments: number, tag: string): string {
  return `sim-${segments}-${tag}`;
}

function sizeOf(cluster: string): number {
  const m = /^sim-(\d+)-/.exec(cluster);
  if (!m) throw new Error(`not a simulated cluster: ${cluster}`);
  return Number(m[1]);
}

/**
 * n contents, `perHost` primaries per host, group mirroring (host h's primaries mirrored on host h+1, as the demo
 * cluster and most Greenplum installs do); every mirror is down.
 */
export function syntheticCatalog(cluster: string, perHost: number): ClusterSnapshot {
  const n = sizeOf(cluster);
  const hosts = Math.max(2, Math.ceil(n / perHost));
  const host = (h: number) => ({ hostname: `sdw${h + 1}`, address: `10.${Math.floor((h + 1) / 250)}.${(h + 1) % 250}.1` });
  const segments: SegmentRow[] = [{
    dbid: 1, content: -1, role: 'p', preferredRole: 'p', mode: 'n', status: 'u', port: 5432, hostname: 'cdw', address: '10.255.0.1', datadir: '/data/coordinator/gpseg-1',
  }];
  for (let c = 0; c < n; c++) {
    const h = Math.floor(c / perHost);
    const slot = c % perHost;
    segments.push({ dbid: 2 + c, content: c, role: 'p', preferredRole: 'p', mode: 'n', status: 'u', port: 6000 + slot, ...host(h), datadir: `/data/primary/gpseg${c}` });
  }
  for (let c = 0; c < n; c++) {
    const h = (Math.floor(c / perHost) + 1) % hosts;
    const slot = c % perHost;
    segments.push({ dbid: 2 + n + c, content: c, role: 'm', preferredRole: 'm', mode: 'n', status: 'd', port: 7000 + slot, ...host(h), datadir: `/data/mirror/gpseg${c}` });
  }
  const hostAddresses: Record<string, string> = {};
  for (const s of segments) hostAddresses[s.hostname] = s.address;
  return { cluster, flavor: { name: 'gp7', title: 'Greenplum 7 (simulated)', differential: true }, segments, hostAddresses };
}

export function simActivities(opts: { sleepMs: number; perHost: number }): Activities {
  const nap = () => sleep(opts.sleepMs);
  return {
    async workerInfo() {
      return { hostname: 'bench-sim', pid: process.pid, node: process.version, clusters: [] };
    },
    async readCluster(cluster: string) {
      await nap();
      return syntheticCatalog(cluster, opts.perHost);
    },
    async probeTargets(input: { cluster: string; dirs: DirProbeRequest[]; sources: SegmentRow[] }): Promise<ProbeResult> {
      await nap();
      return {
        dirs: input.dirs.map((d) => ({ ...d, reachable: true, exists: true, empty: false, pgVersion: '15', postmasterLive: false, standbySignal: true, systemIdentifier: '7351' })),
        sources: input.sources.map((s) => ({ dbid: s.dbid, reachable: true, inRecovery: false, systemIdentifier: '7351', timeline: 1, serverVersionNum: 150000 })),
      };
    },
    async stopFailedSegment() {
      await nap();
      return { wasRunning: false };
    },
    async verifySegmentDown() {
      await nap();
    },
    async updateCatalog(input) {
      await nap();
      const before = syntheticCatalog(input.cluster, opts.perHost).segments.find((s) => s.dbid === input.change.dbid)!;
      return { before, after: { ...before, ...input.change.target, mode: 'n' }, rewritten: input.change.type === 'full' || input.change.moved };
    },
    async backOutCatalog() {
      await nap();
      return true;
    },
    async wipeTarget() {
      await nap();
      return { cleared: false, note: 'SIMULATION: nothing was wiped' };
    },
    async copySegment(input) {
      await nap();
      return { method: input.item.type === 'full' ? 'pg_basebackup' : 'pg_rewind', attached: false, note: 'SIMULATION: nothing was copied' };
    },
    async startRecoveredSegment() {
      await nap();
      return { alreadyRunning: false };
    },
    async waitForSync() {
      await nap();
      return { status: 'u', mode: 's', walBytesBehind: 0, streaming: true };
    },
    ...fakeToolchainActivities('runs'),
  };
}
