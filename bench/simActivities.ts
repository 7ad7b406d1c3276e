// SIMULATION ONLY. The test kit's fake activities (testkit/fakeActivities.ts), answering from a synthetic catalog and
// only sleeping, so the real workflows can be timed at hundreds or thousands of segments with no cluster at all.
// Nothing measured with these says anything about copying data; it measures Temporal and the workflow code.
import type { RecoveryActivities } from '../domain/activities';
import { fakeActivities } from '../testkit/fakeActivities';
import { fakeSnapshot } from '../testkit/fakeCluster';

/** The cluster name carries its size: `sim-<segments>`. */
export function simClusterName(segments: number, tag: string): string {
  return `sim-${segments}-${tag}`;
}

function sizeOf(cluster: string): number {
  const m = /^sim-(\d+)-/.exec(cluster);
  if (!m) throw new Error(`not a simulated cluster: ${cluster}`);
  return Number(m[1]);
}

/** n contents, `perHost` primaries per host, group mirroring; every mirror is down. */
export function simActivities(opts: { sleepMs: number; perHost: number }): RecoveryActivities {
  const snapshot = (cluster: string) => {
    const n = sizeOf(cluster);
    return fakeSnapshot(cluster, { contents: n, perHost: opts.perHost, down: Array.from({ length: n }, (_, c) => 2 + n + c) });
  };
  return fakeActivities({ snapshot, sleepMs: opts.sleepMs, progress: 'runs' });
}
