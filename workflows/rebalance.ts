import { executeChild, ParentClosePolicy, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { activityProfiles } from './activityProfiles';
import { ClusterName, ContentIds, contentIdsThatFit, RecoveryOutcome, RecoveryType } from './searchAttributes';
import { segmentRecoveryWorkflow } from './segmentRecovery';
import type { RebalanceInput, RebalanceResult, SegmentPlan, SkippedContent } from '../domain/recovery';

const GiB = 1024 ** 3;

/**
 * gprecoverseg -r: for each pair up, synchronized and out of preferred role, stop the acting primary, let FTS promote
 * the preferred primary, then recover the demoted segment incrementally as a mirror.
 */
export async function rebalanceWorkflow(input: RebalanceInput): Promise<RebalanceResult> {
  const { cluster } = input;
  const isChild = !!workflowInfo().parent;
  const { catalog: catalogActivities, host: hostActivities, ftsWait: ftsWaitActivities } = activityProfiles(input.outageSeconds);
  if (!isChild) upsertSearchAttributes([{ key: ClusterName, value: cluster }, { key: RecoveryType, value: 'rebalance' }]);
  const snapshot = await catalogActivities.readCluster(cluster);
  const segs = snapshot.segments.filter((s) => s.content >= 0);
  const skipped: SkippedContent[] = [];
  const candidates: Array<{ content: number; actingPrimary: number; preferredPrimary: number }> = [];
  for (const preferred of segs.filter((s) => s.preferredRole === 'p' && s.role === 'm')) {
    const acting = segs.find((s) => s.content === preferred.content && s.dbid !== preferred.dbid);
    if (!acting) continue;
    if (acting.status !== 'u' || preferred.status !== 'u') {
      skipped.push({ content: preferred.content, dbid: preferred.dbid, reason: 'a segment of the pair is down; recover it first' });
    } else if (acting.mode !== 's' || preferred.mode !== 's') {
      skipped.push({ content: preferred.content, dbid: preferred.dbid, reason: 'the pair is not synchronized (mode n); wait for it to catch up' });
    } else {
      candidates.push({ content: preferred.content, actingPrimary: acting.dbid, preferredPrimary: preferred.dbid });
    }
  }
  if (input.replayLagGB !== undefined) {
    for (const c of [...candidates]) {
      const lag = await catalogActivities.replayLagBytes({ cluster, primaryDbid: c.actingPrimary });
      if (lag !== null && lag > input.replayLagGB * GiB) {
        candidates.splice(candidates.indexOf(c), 1);
        skipped.push({ content: c.content, dbid: c.preferredPrimary, reason: `mirror replay lag ${(lag / GiB).toFixed(2)} GB exceeds --replay-lag ${input.replayLagGB} GB` });
      }
    }
  }
  if (!isChild) upsertSearchAttributes([{ key: ContentIds, value: contentIdsThatFit(candidates.map((c) => c.content)) }]);
  if (input.dryRun || candidates.length === 0) {
    if (!isChild) upsertSearchAttributes([{ key: RecoveryOutcome, value: input.dryRun ? 'dry-run' : 'succeeded' }]);
    return { swapped: [], skipped, recovered: [] };
  }

  await Promise.all(candidates.map((c) => hostActivities.stopPrimaryForRebalance({ cluster, dbid: c.actingPrimary })));
  await Promise.all(candidates.map((c) => ftsWaitActivities.waitForPromotion({ cluster, dbid: c.preferredPrimary })));

  const after = await catalogActivities.readCluster(cluster);
  const items: SegmentPlan[] = candidates.map((c) => {
    const failed = after.segments.find((s) => s.dbid === c.actingPrimary)!;
    const source = after.segments.find((s) => s.dbid === c.preferredPrimary)!;
    return {
      content: c.content, dbid: failed.dbid, type: 'incremental', failed, source, moved: false,
      target: { hostname: failed.hostname, address: failed.address, port: failed.port, datadir: failed.datadir },
    };
  });
  const info = workflowInfo();
  await Promise.all(items.map((item) => executeChild(segmentRecoveryWorkflow, {
    workflowId: `${info.workflowId}-${info.runId.slice(0, 8)}-dbid${item.dbid}`,
    args: [{ cluster, item, syncTimeoutMinutes: input.syncTimeoutMinutes ?? 24 * 60, outageSeconds: input.outageSeconds }],
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
  })));
  if (!isChild) upsertSearchAttributes([{ key: RecoveryOutcome, value: 'succeeded' }]);
  return { swapped: candidates.map((c) => c.content), skipped, recovered: items.map((i) => i.dbid) };
}
