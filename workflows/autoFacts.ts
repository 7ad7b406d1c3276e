// An automatic check's facts beyond the catalog, read only for what the catalog says needs doing.
import { ApplicationFailure } from '@temporalio/workflow';
import type { AutoFacts, AutoPolicy } from '../domain/autoPolicy';
import type { AutoNeeds } from '../domain/decide';
import { FailureType, type LockHolder } from '../domain/failures';
import type { ActivityProfiles, CheckProfiles } from './activityProfiles';
import { rootFailureType, rootMessage } from './failures';

/** Everything the decision needs, read only when the catalog says something needs doing. */
export async function gatherFacts(
  cluster: string, policy: AutoPolicy, activities: ActivityProfiles, look: CheckProfiles['look'], base: AutoFacts, needs: AutoNeeds,
): Promise<AutoFacts> {
  if (!needs.down.length && !needs.rebalance.length) return base;
  const [downSince, probe, lock, lags] = await Promise.all([
    needs.down.length ? look.downSince({ cluster, dbids: needs.down.map((d) => d.dbid) }) : {},
    needs.sources.length ? activities.host.probeTargets({ cluster, dirs: [], sources: needs.sources }) : undefined,
    policy.skipWhileLocked ? lockState(cluster, activities) : undefined,
    Promise.all(needs.rebalance.map(async (c) => [c.content, await activities.catalog.replayLagBytes({ cluster, primaryDbid: c.actingPrimary })] as const)),
  ]);
  return {
    ...base,
    downSince,
    sources: (probe?.sources ?? []).map((s) => ({ dbid: s.dbid, answers: s.reachable && s.inRecovery === false, ...(s.error ? { error: s.error } : {}) })),
    ...(lock ? { lock } : {}),
    ...(lags.length ? { replayLagBytes: Object.fromEntries(lags) } : {}),
  };
}

function lockHolderOf(err: unknown): LockHolder | undefined {
  for (let e = err as { cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    const holder = e instanceof ApplicationFailure ? (e.details?.[0] as LockHolder | undefined) : undefined;
    if (holder?.lockHeldBy) return holder;
  }
  return undefined;
}

/** gprecoverseg's lock, only looked at: a live holder is what acquireRecoveryLock refuses as an invalid request. */
async function lockState(cluster: string, activities: ActivityProfiles): Promise<AutoFacts['lock']> {
  try {
    await activities.catalog.acquireRecoveryLock({ cluster, checkOnly: true });
    return { held: false };
  } catch (err) {
    // Held by a gprecover run: a running one is gprecover-<cluster> (a run in progress, looked at before the lock);
    // an ended one (terminated) left its holder behind, and the recovery takes such a lock over.
    if (lockHolderOf(err)?.lockHeldBy === 'gprecover') return { held: false };
    if (rootFailureType(err) === FailureType.InvalidRequest) return { held: true, by: rootMessage(err) };
    throw err;
  }
}
