// Every activity of domain/activities.ts, faked: they answer from an in-memory catalog (testkit/fakeCluster.ts) and
// change nothing anywhere. One kit for the fast workflow tests (time-skipping server), the stub runs that feed the
// `history` and `show` tests, and the bench's orchestration simulation. Nothing measured or tested with these says
// anything about copying data: they exercise the workflows and Temporal.
import { sleep } from '@temporalio/activity';
import type { RecoveryActivities } from '../domain/activities';
import type { ClusterSnapshot } from '../domain/probe';

export interface FakeOptions {
  /** The catalog of a cluster, by name; throw for an unknown one. */
  snapshot: (cluster: string) => ClusterSnapshot;
  /** Each activity first sleeps this long (the simulation's stand-in for real work). */
  sleepMs?: number;
  /**
   * 'runs' keeps writeRecoveryProgress running beside the copies until the workflow cancels it, as the real one does;
   * 'returns' ends it at once, for the time-skipping server, whose clock a running activity would hold.
   */
  progress?: 'runs' | 'returns';
  /** Replaces single activities (a failing copy, a hanging sync …). */
  overrides?: Partial<RecoveryActivities>;
}

export function fakeActivities(opts: FakeOptions): RecoveryActivities {
  const nap = () => (opts.sleepMs ? sleep(opts.sleepMs) : Promise.resolve());
  const rowOf = (cluster: string, dbid: number) => opts.snapshot(cluster).segments.find((s) => s.dbid === dbid)!;
  const base: RecoveryActivities = {
    async workerInfo() {
      return { hostname: 'fake', pid: process.pid, node: process.version, clusters: [] };
    },
    async readCluster({ cluster }) {
      await nap();
      return opts.snapshot(cluster);
    },
    async probeTargets(input) {
      await nap();
      return {
        // A move's target (asked with its port) is a fresh directory; an in-place target holds the old data.
        dirs: input.dirs.map((d) => (d.checkPort
          ? { location: d.location, reachable: true, exists: false, empty: true, postmasterLive: false, standbySignal: false, portInUse: false }
          : { location: d.location, reachable: true, exists: true, empty: false, pgVersion: '15', postmasterLive: false, standbySignal: true, systemIdentifier: '7351' })),
        sources: input.sources.map((s) => ({ dbid: s.dbid, reachable: true, inRecovery: false, systemIdentifier: '7351', timeline: 1, serverVersionNum: 150000 })),
      };
    },
    async acquireRecoveryLock(input) {
      await nap();
      return { where: 'cdw:/data/coordinator/gpseg-1/gprecoverseg.lock', held: !input.checkOnly };
    },
    async releaseRecoveryLock() {
      return true;
    },
    async admitSegmentPlan() {
      await nap();
    },
    async trustRecoveryHosts() {
      await nap();
      return { changed: [], refused: [] };
    },
    async stopFailedSegment() {
      await nap();
      return { wasRunning: false };
    },
    async verifySegmentDown() {
      await nap();
    },
    async updateCatalog({ cluster, item }) {
      await nap();
      const before = rowOf(cluster, item.dbid);
      return { before, after: { ...before, ...item.target, mode: 'n' }, rewritten: item.type === 'full' || item.moved };
    },
    async backOutCatalog() {
      await nap();
      return true;
    },
    async keepEvidence({ item }) {
      await nap();
      return { kept: true, host: item.target.hostname, directory: `/home/gpadmin/gpAdminLogs/gprecover_evidence/fake_dbid${item.dbid}`, kilobytes: 1, files: ['README'] };
    },
    async wipeTarget() {
      await nap();
      return { cleared: false, note: 'fake: nothing was wiped' };
    },
    async copySegment({ item }) {
      await nap();
      return { method: item.type === 'full' ? 'pg_basebackup' : item.type === 'differential' ? 'rsync' : 'pg_rewind', attached: false, note: 'fake: nothing was copied' };
    },
    async startRecoveredSegment() {
      await nap();
      return { alreadyRunning: false };
    },
    async waitForSync() {
      await nap();
      return { status: 'u', mode: 's', walBytesBehind: 0, streaming: true };
    },
    async removeOldLocation() {
      return { removed: [], kept: [] };
    },
    async writeRecoveryProgress() {
      if (opts.progress === 'returns') return;
      // The activity's sleep throws once the workflow cancels it.
      for (;;) await sleep(1000);
    },
    async estimateRunEta({ running, pending }) {
      const left = running.length + pending;
      return { seconds: left * 60, at: new Date(Date.now() + left * 60_000).toISOString(), basis: 'fake: a minute a segment', searchAttribute: true };
    },
    async replayLagBytes() {
      return 0;
    },
    async stopPrimaryForRebalance() {
      await nap();
      return { wasRunning: true, mode: 'fast' };
    },
    async waitForPromotion() {
      await nap();
    },
    async restartDemotedPrimary() {
      return { alreadyRunning: false };
    },
    async downSince({ dbids }) {
      return Object.fromEntries(dbids.map((d) => [d, null]));
    },
    async automaticRuns() {
      return { started: [] };
    },
    async notify() {
      return { delivered: [], failed: [] };
    },
  };
  return { ...base, ...opts.overrides };
}
