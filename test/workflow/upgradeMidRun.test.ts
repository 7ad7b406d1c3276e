// A worker upgrade in the middle of a run (docs/upgrades.md): a full recovery started by the oldest kept release's
// build (its workflow code taken out of git) is copying when that worker stops; a worker of today's build takes the
// run over, replays its history and finishes it the old way, while the run it starts next takes the new way. Today's
// build differs from that release by the evidence kept before a full copy (PATCHES.evidenceBeforeWipe) and by a
// segment's short steps run as local activities (PATCHES.shortStepsLocal).
import { describe, expect, it } from 'vitest';
import { cancelled, heartbeat, sleep } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { activityInterceptors } from '../../activities/interceptors';
import type { RecoveryActivities } from '../../domain/activities';
import type { RecoveryResult } from '../../domain/recovery';
import { fakeActivities } from '../../testkit/fakeActivities';
import { fakeSnapshot } from '../../testkit/fakeCluster';
import { recoveryWorkflow } from '../../workflows';
import { PATCHES } from '../../workflows/patches';
import { ClusterNameKey, ContentIdsKey, RecoveryTypeKey } from '../../domain/searchAttributes';
import { workflowBundle } from '../helpers/temporal';
import { releaseBundle } from '../helpers/releaseBuild';
import { useTimeSkippingEnv } from '../helpers/timeSkipping';
import { childIds } from '../replay/scenarios';
import { buildRunTimeline } from '../../client/timeline/fromHistory';

const OLDEST_KEPT = 'v0.1.0';
const TASK_QUEUE = 'upgrade-mid-run';

/** One mirror down; the copy runs until `release()` (or the worker running it stops). */
function world() {
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => (release = r));
  let copying: () => void = () => undefined;
  const copyStarted = new Promise<void>((r) => (copying = r));
  const activities: RecoveryActivities = fakeActivities({
    snapshot: (cluster) => fakeSnapshot(cluster, { contents: 4, perHost: 2, down: [6] }),
    progress: 'returns',
    overrides: {
      async copySegment() {
        copying();
        while (!(await Promise.race([released.then(() => true), cancelled().then(() => false), sleep(200).then(() => false)]))) {
          heartbeat({ phase: 'copying', tool: 'pg_basebackup' });
        }
        return { method: 'pg_basebackup', attached: false };
      },
    },
  });
  return { activities, copyStarted, release };
}

async function activityNames(client: Client, workflowId: string) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const markers = (history.events ?? []).filter((e) => e.markerRecordedEventAttributes);
  return {
    activities: (history.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
    patches: markers.filter((e) => e.markerRecordedEventAttributes!.markerName === 'core_patch')
      // sdk-core keeps the patch's id in the marker's first detail, as JSON.
      .map((e) => Object.values(e.markerRecordedEventAttributes!.details!).map((d) => defaultPayloadConverter.fromPayload<unknown>(d.payloads![0] as never))[0])
      .map((d) => (typeof d === 'object' && d && 'id' in d ? (d as { id: string }).id : d)),
    /** Steps run as local activities, in order (their markers). */
    local: buildRunTimeline(history).steps.filter((s) => s.local).map((s) => s.activity),
  };
}

describe('a worker upgrade in the middle of a run', () => {
  const env = useTimeSkippingEnv();

  // No workflow cache: every workflow task replays the run's whole history on the build at hand, as a worker that
  // takes a run over does (and the time-skipping server does not move a sticky task off a worker that stopped).
  const workerOn = (workflowBundle: WorkflowBundle, activities: RecoveryActivities) => Worker.create({
    connection: env().nativeConnection, taskQueue: TASK_QUEUE, workflowBundle, activities, maxCachedWorkflows: 0,
    interceptors: { activity: activityInterceptors },
    maxHeartbeatThrottleInterval: '1s', defaultHeartbeatThrottleInterval: '1s',
  });

  it(`a full recovery started on ${OLDEST_KEPT}'s build finishes on today's the old way; a new run keeps the evidence`, async () => {
    const { client } = env();
    const w = world();
    const old = await workerOn(await releaseBundle(OLDEST_KEPT), w.activities);
    const before = await old.runUntil(async () => {
      const handle = await client.workflow.start(recoveryWorkflow, { taskQueue: TASK_QUEUE, workflowId: 'upgrade-old', args: [{ cluster: 'c', full: true }] });
      await w.copyStarted;
      return handle;
    });
    // The old worker is gone with the copy in flight (its attempt cancelled by the shutdown); the run waits.
    const [child] = await childIds(client, before);
    expect((await activityNames(client, child)).activities).toEqual(['admitSegmentPlan', 'stopFailedSegment', 'verifySegmentDown', 'updateCatalog', 'wipeTarget', 'copySegment']);

    const today = await workerOn(await workflowBundle(), w.activities);
    const [oldResult, newResult] = await today.runUntil(async () => {
      w.release();
      const finished = await before.result();
      const fresh = await client.workflow.execute(recoveryWorkflow, { taskQueue: TASK_QUEUE, workflowId: 'upgrade-new', args: [{ cluster: 'c', full: true }] });
      return [finished, fresh] as RecoveryResult[];
    });

    expect(oldResult).toMatchObject({ phase: 'done', succeeded: 1 });
    expect(oldResult.segments[0].evidence).toBeUndefined();
    const oldSteps = await activityNames(client, child);
    // The copy's retry after the takeover is the same scheduled activity: no new event, nothing kept.
    expect(oldSteps.activities).toEqual(['admitSegmentPlan', 'stopFailedSegment', 'verifySegmentDown', 'updateCatalog', 'wipeTarget', 'copySegment', 'startRecoveredSegment', 'waitForSync']);
    expect(oldSteps.patches).toEqual([]);
    expect(oldSteps.local).toEqual([]);

    expect(newResult).toMatchObject({ phase: 'done', succeeded: 1 });
    expect(newResult.segments[0].evidence).toMatch(/^sdw2:\/.*gprecover_evidence\/fake_dbid6$/);
    const [newChild] = await childIds(client, client.workflow.getHandle('upgrade-new'));
    const newSteps = await activityNames(client, newChild);
    // The short steps run as local activities (PATCHES.shortStepsLocal), the evidence among them, right before the
    // wipe's checks (PATCHES.wipeChecksLocal: the fake flavour's copy tool writes over the directory, nothing to empty).
    expect(newSteps.activities).toEqual(['copySegment', 'waitForSync']);
    expect(newSteps.local).toEqual(['admitSegmentPlan', 'stopFailedSegment', 'verifySegmentDown', 'updateCatalog', 'keepEvidence', 'wipeTarget', 'startRecoveredSegment']);
    // 0.6.0's patch implies every older one (0.3.0's short steps, 0.2.0's evidence): one marker and one upsert per child.
    expect(newSteps.patches).toEqual([PATCHES.wipeChecksLocal]);
    // The parent gave the child its search attributes at its start: the audit finds it, with no upsert of its own.
    const attrs = (await client.workflow.getHandle(newChild).describe()).typedSearchAttributes;
    expect([attrs.get(ClusterNameKey), attrs.get(ContentIdsKey), attrs.get(RecoveryTypeKey)]).toEqual(['c', ['0'], 'full']);
    expect((await client.workflow.getHandle(child).describe()).typedSearchAttributes.get(ClusterNameKey)).toBe('c');
    expect(PATCHES.evidenceBeforeWipe).toBe('evidence-before-wipe');
  });
});
