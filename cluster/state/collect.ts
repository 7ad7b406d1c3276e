import { shortError } from '../../domain/failures';
import type { FlavorSummary } from '../../domain/flavor';
import { readSegments, withCoordinator } from '../catalog';
import type { ClusterConfig } from '../config';
import { ClusterContext } from '../context';
import { contentStates, type ContentState } from './actions';
import { readLock, type LockView } from './lock';
import { probeSegments, type ProbedSegment } from './segments';

/** gpstate -e / -m of one cluster, as the catalog and each instance say it right now. */
export interface ClusterState {
  cluster: string;
  flavor: FlavorSummary;
  coordinator: { host: string; port: number };
  segments: ProbedSegment[];
  contents: ContentState[];
  /** gprecoverseg's lock directory on the coordinator host; null when there is none. */
  lock: LockView | null;
  /** Why the lock could not be read (the coordinator host did not answer); the lock is then null. */
  lockError?: string;
}

/**
 * Reads the catalog (a coordinator that does not answer is a CoordinatorUnavailableError), asks every segment
 * directly and looks for gprecoverseg's lock. A segment or host that does not answer is reported, never thrown.
 */
export async function collectClusterState(cfg: ClusterConfig): Promise<ClusterState> {
  const ctx = await ClusterContext.resolve(cfg);
  try {
    const rows = await withCoordinator(cfg, readSegments);
    const coordinatorRow = rows.find((r) => r.content === -1 && r.role === 'p');
    const [segments, lock] = await Promise.all([
      probeSegments(ctx, rows),
      coordinatorRow
        ? readLock(ctx, coordinatorRow).then((l) => ({ lock: l }), (err: unknown) => ({ lock: null, lockError: shortError(err) }))
        : { lock: null, lockError: 'the catalog has no acting coordinator row (content -1, role p)' },
    ]);
    return {
      cluster: cfg.name,
      flavor: ctx.summary,
      coordinator: { host: cfg.coordinator.host, port: cfg.coordinator.port },
      segments,
      contents: contentStates(rows),
      ...lock,
    };
  } finally {
    await ctx.close();
  }
}
