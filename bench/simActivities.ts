// SIMULATION ONLY. The test kit's fake activities (testkit/fakeActivities.ts), answering from a synthetic catalog and
// only sleeping, so the real workflows can be timed at hundreds or thousands of segments with no cluster at all.
// Nothing measured with these says anything about copying data; it measures Temporal and the workflow code.
import { heartbeat, sleep } from '@temporalio/activity';
import type { RecoveryActivities } from '../domain/activities';
import { fakeActivities } from '../testkit/fakeActivities';
import { fakeSnapshot } from '../testkit/fakeCluster';

/** The cluster name carries its size: `sim-<segments>`. */
export function simClusterName(segments: number, tag: string): string {
  return `sim-${segments}-${tag}`;
}

/**
 * A cluster of mixed sizes for the largest-first simulation: `small` contents of `smallGb` GB first in catalog order,
 * then `big` of `bigGb` GB (the worst case for catalog order), one primary per host. The name carries the shape.
 */
export function sizedClusterName(shape: SizedShape, tag: string): string {
  return `simlf-${shape.small}x${shape.smallGb}-${shape.big}x${shape.bigGb}-${tag}`;
}

export interface SizedShape {
  small: number;
  smallGb: number;
  big: number;
  bigGb: number;
}

function sizedShape(cluster: string): SizedShape | undefined {
  const m = /^simlf-(\d+)x([\d.]+)-(\d+)x([\d.]+)-/.exec(cluster);
  return m ? { small: Number(m[1]), smallGb: Number(m[2]), big: Number(m[3]), bigGb: Number(m[4]) } : undefined;
}

/** Source size of content c of a sized cluster, in bytes. */
export function contentBytes(shape: SizedShape, content: number): number {
  return (content < shape.small ? shape.smallGb : shape.bigGb) * 1e9;
}

function sizeOf(cluster: string): number {
  const sized = sizedShape(cluster);
  if (sized) return sized.small + sized.big;
  const m = /^sim-(\d+)-/.exec(cluster);
  if (!m) throw new Error(`not a simulated cluster: ${cluster}`);
  return Number(m[1]);
}

/**
 * n contents, `perHost` primaries per host (one per host on a sized cluster), group mirroring; every mirror is down.
 * On a sized cluster probeTargets reports each source's size (as the real probe does) and copySegment sleeps
 * `secPerTb` seconds per TB of its source, heartbeating as the real copy does.
 */
export function simActivities(opts: { sleepMs: number; perHost: number; secPerTb?: number }): RecoveryActivities {
  // Built once per cluster: a real activity reads one catalog row, it does not rebuild the catalog, and at 1,000
  // contents rebuilding it on every call cost the sim worker 10 s of CPU per run (a profile of the bench's worker).
  const built = new Map<string, ReturnType<typeof fakeSnapshot>>();
  const snapshot = (cluster: string) => {
    let snap = built.get(cluster);
    if (!snap) {
      const n = sizeOf(cluster);
      const perHost = sizedShape(cluster) ? 1 : opts.perHost;
      snap = fakeSnapshot(cluster, { contents: n, perHost, down: Array.from({ length: n }, (_, c) => 2 + n + c) });
      built.set(cluster, snap);
    }
    return snap;
  };
  const base = fakeActivities({ snapshot, sleepMs: opts.sleepMs, progress: 'runs' });
  return {
    ...base,
    async probeTargets(input) {
      const out = await base.probeTargets(input);
      const shape = sizedShape(input.cluster);
      if (!shape) return out;
      const n = shape.small + shape.big;
      // Primaries are dbid 2 .. n+1 (testkit/fakeCluster.ts), content = dbid - 2.
      return { ...out, sources: out.sources.map((s) => (s.dbid >= 2 && s.dbid <= n + 1 ? { ...s, sizeBytes: contentBytes(shape, s.dbid - 2) } : s)) };
    },
    // Answered without reading its input: a baseline bundle of an older commit calls it with that commit's input.
    async estimateRunEta() {
      return { basis: 'simulated', searchAttribute: false };
    },
    async copySegment(input) {
      const shape = sizedShape(input.cluster);
      if (!shape || !opts.secPerTb) return base.copySegment(input);
      const until = Date.now() + (contentBytes(shape, input.item.content) / 1e12) * opts.secPerTb * 1000;
      for (let left = until - Date.now(); left > 0; left = until - Date.now()) {
        heartbeat();
        await sleep(Math.min(left, 1000));
      }
      return { method: 'pg_basebackup', attached: false, note: 'simulated: slept in proportion to the source size' };
    },
  };
}
