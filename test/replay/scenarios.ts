// The runs whose histories test/replay/histories/ keeps: one per path of the workflows a DBA can take, run with the
// test kit's fakes on the time-skipping server by test/replay/record.ts. Replaying them against today's bundle
// (test/workflow/replayHistories.test.ts) proves that a worker of today's code can take over every one of these
// runs in flight.
import { cancelled, heartbeat, sleep } from '@temporalio/activity';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { RecoveryActivities } from '../../domain/activities';
import { PermanentError, UnavailableError } from '../../domain/failures';
import { fakeActivities } from '../../testkit/fakeActivities';
import { fakeSnapshot, type FakeClusterShape } from '../../testkit/fakeCluster';
import { autoRecoveryWorkflow, rebalanceWorkflow, recoveryWorkflow } from '../../workflows';
import { approveUpdate, pauseUpdate, recoveryStatusQuery, resumeUpdate, setParallelismUpdate, skipSegmentUpdate } from '../../workflows/messages';

export interface Scenario {
  name: string;
  /** What the run does, for the failure message of a history that no longer replays. */
  what: string;
  activities(): RecoveryActivities;
  /** Starts the run; returns its handle. The recorder waits for it to end and keeps its history and its children's. */
  start(client: Client, taskQueue: string, workflowId: string): Promise<WorkflowHandle>;
  /** Done while the run runs (a cancel). */
  during?(handle: WorkflowHandle, client: Client): Promise<void>;
  /** The first release whose workers could take this path; older releases have no history of it. */
  since?: string;
}

/** Two hosts, four contents (primaries dbid 2-5, mirrors dbid 6-9), a spare host sdw3. */
const shape = (over: Partial<FakeClusterShape> = {}): FakeClusterShape => ({ contents: 4, perHost: 2, down: [6], spareHosts: 1, ...over });
const moveLine = 'sdw2|10.0.2.1|7000|/data/mirror/gpseg0 sdw3|10.0.3.1|7000|/data/mirror/gpseg0';

const kit = (s: FakeClusterShape, overrides: Partial<RecoveryActivities> = {}) =>
  fakeActivities({ snapshot: (cluster) => fakeSnapshot(cluster, s), progress: 'returns', overrides });

/** Mirrors 6-8 down; their sources, primaries 2-4, of these sizes in bytes, as the plan's probe reports them. */
function sizedKit(sizes: Record<number, number>): RecoveryActivities {
  const base = kit(shape({ down: [6, 7, 8] }));
  return {
    ...base,
    async probeTargets(input) {
      const probe = await base.probeTargets(input);
      return { ...probe, sources: probe.sources.map((src) => ({ ...src, sizeBytes: sizes[src.dbid] })) };
    },
  };
}

const recovery = (input: Record<string, unknown>) => (client: Client, taskQueue: string, workflowId: string) =>
  client.workflow.start(recoveryWorkflow, { taskQueue, workflowId, args: [{ cluster: 'replay', requestedBy: 'dba@cdw', ...input }] });

export const SCENARIOS: Scenario[] = [
  { name: 'incremental', what: 'gprecoverseg: one mirror down, pg_rewind', activities: () => kit(shape()), start: recovery({}) },
  { name: 'full', what: 'gprecoverseg -F: one mirror down, wiped and copied', activities: () => kit(shape()), start: recovery({ full: true }) },
  { name: 'differential', what: 'gprecoverseg --differential: rsync', activities: () => kit(shape()), start: recovery({ differential: true }) },
  { name: 'move', what: 'gprecoverseg -i: a mirror moved to a spare host', activities: () => kit(shape()), start: recovery({ recoverConfig: moveLine }) },
  {
    name: 'spare-host',
    what: 'gprecoverseg -p: the mirrors of a failed host rebuilt on a spare host',
    activities: () => kit(shape({ down: [6, 7] })),
    start: recovery({ spareHosts: ['sdw3'] }),
  },
  {
    name: 'cancel-backout',
    what: 'a move cancelled mid-copy: the copy stops, the catalog is backed out',
    activities: () => kit(shape(), {
      async copySegment() {
        for (;;) {
          heartbeat({ phase: 'copying', tool: 'pg_basebackup', bytesDone: 1024, bytesTotal: 4096 });
          await Promise.race([cancelled(), sleep(200)]);
        }
      },
    }),
    start: recovery({ recoverConfig: moveLine }),
    async during(handle, client) {
      // Cancel once the copy runs: its activity is scheduled in the child's history.
      for (;;) {
        const children = await childIds(client, handle);
        if (children.length) {
          const desc = await client.workflow.getHandle(children[0]).describe();
          const raw = desc.raw.pendingActivities ?? [];
          if (raw.some((a) => a.activityType?.name === 'copySegment')) break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      await handle.cancel();
    },
  },
  {
    name: 'failed-copy',
    what: 'a copy that cannot succeed: run once, the segment and the run fail',
    activities: () => kit(shape(), {
      async copySegment() {
        throw new PermanentError('pg_rewind failed for dbid 6: could not find common ancestor of the source and target timelines');
      },
    }),
    start: recovery({}),
  },
  {
    name: 'rebalance',
    what: 'gprecoverseg -r: a pair out of its preferred role swapped back, the demoted primary recovered',
    activities: () => {
      let swapped = [0];
      return fakeActivities({
        snapshot: (cluster) => fakeSnapshot(cluster, shape({ down: [], swapped })),
        progress: 'returns',
        overrides: {
          async waitForPromotion() {
            swapped = [];
          },
        },
      });
    },
    start: (client, taskQueue, workflowId) => client.workflow.start(rebalanceWorkflow, { taskQueue, workflowId, args: [{ cluster: 'replay', requestedBy: 'dba@cdw' }] }),
  },
  {
    name: 'auto-started',
    what: 'an automatic check that found a mirror down and started its recovery',
    activities: () => kit(shape(), {
      async downSince({ dbids }) {
        return Object.fromEntries(dbids.map((d) => [d, new Date(Date.now() - 30 * 60_000).toISOString()]));
      },
      async notify() {
        return { delivered: ['command'], failed: [] };
      },
    }),
    start: (client, taskQueue, workflowId) => client.workflow.start(autoRecoveryWorkflow, {
      taskQueue, workflowId, args: [{ cluster: 'replay', policy: { notify: 'pager', downForMinutes: 0 } }], memo: { requestedBy: 'schedule:gprecover-auto-replay' },
    }),
  },
  {
    name: 'outage',
    what: 'a coordinator unreachable for a while: the run waits it out within its outage bound',
    activities: () => {
      let calls = 0;
      return kit(shape(), {
        async readCluster({ cluster }) {
          if (++calls <= 3) throw new UnavailableError('the coordinator at cdw:5432', 'ECONNREFUSED', `cannot connect to the coordinator of cluster '${cluster}' at cdw:5432: connect ECONNREFUSED`);
          return fakeSnapshot(cluster, shape());
        },
      });
    },
    start: recovery({ outageSeconds: 600 }),
  },
  {
    name: 'steered',
    since: '0.2.0',
    what: 'three mirrors of sizes 1, 400 and 2000 GB under -B 1 -b 1, largest first; paused, one skipped, -B/-b raised, resumed',
    activities: () => {
      const base = sizedKit({ 2: 1e9, 3: 400e9, 4: 2000e9 });
      return {
        ...base,
        async copySegment() {
          for (let i = 0; i < 10; i++) {
            heartbeat({ phase: 'copying', tool: 'pg_basebackup', bytesDone: i * 1024, bytesTotal: 10240 });
            await sleep(200);
          }
          return { method: 'pg_basebackup', attached: false };
        },
      };
    },
    start: recovery({ full: true, hostParallelism: 1, segmentParallelism: 1 }),
    async during(handle) {
      const running = async () => (await handle.query(recoveryStatusQuery)).segments.some((x) => x.state === 'running');
      while (!(await running())) await new Promise((r) => setTimeout(r, 50));
      await handle.executeUpdate(pauseUpdate, { args: [{ requestedBy: 'dba@cdw' }] });
      const pending = (await handle.query(recoveryStatusQuery)).segments.find((x) => x.state === 'pending')!;
      await handle.executeUpdate(skipSegmentUpdate, { args: [{ dbid: pending.dbid, requestedBy: 'dba@cdw' }] });
      await handle.executeUpdate(setParallelismUpdate, { args: [{ hostParallelism: 2, segmentParallelism: 2, requestedBy: 'dba@cdw' }] });
      await handle.executeUpdate(resumeUpdate, { args: [{ requestedBy: 'dba@cdw' }] });
    },
  },
  {
    name: 'ahead',
    since: '0.4.0',
    what: 'three mirrors of 400, 2000 and 400 GB under -B 1 -b 1: each next one stops, is updated and wiped while the copy before it runs, then is granted the slot',
    activities: () => {
      const base = sizedKit({ 2: 400e9, 3: 2000e9, 4: 400e9 });
      const stopped = new Set<number>();
      return {
        ...base,
        async stopFailedSegment(input) {
          stopped.add(input.item.dbid);
          return base.stopFailedSegment(input);
        },
        // Each copy runs until the segment after it in start order (7, then 6, then 8) has stopped: so it waits.
        async copySegment(input) {
          const next = ({ 7: 6, 6: 8 } as Record<number, number>)[input.item.dbid];
          for (let i = 0; i < 100 && next !== undefined && !stopped.has(next); i++) {
            heartbeat({ phase: 'copying', tool: 'pg_basebackup' });
            await sleep(100);
          }
          await sleep(300);
          return { method: 'pg_basebackup', attached: false };
        },
      };
    },
    start: recovery({ full: true, hostParallelism: 1, segmentParallelism: 1 }),
  },
  {
    name: 'full-emptied',
    since: '0.6.0',
    what: 'gprecoverseg -F where the flavour\'s pg_basebackup needs an empty directory (plain PostgreSQL): the wipe\'s checks as a short step, then its emptying as an activity task',
    activities: () => kit(shape(), {
      wipeTarget: async (input) => (input.checkOnly
        ? { cleared: false, emptyingLeft: true, note: 'fake: passed the checks; the flavour needs it empty' }
        : { cleared: true, note: 'fake: emptied' }),
    }),
    start: recovery({ full: true }),
  },
  {
    name: 'approved',
    since: '0.2.0',
    what: 'an automatic check whose full recovery waited for gprecover approve, was approved, decided again and started',
    activities: () => kit(shape(), {
      async notify() {
        return { delivered: ['command'], failed: [] };
      },
    }),
    start: (client, taskQueue, workflowId) => client.workflow.start(autoRecoveryWorkflow, {
      taskQueue, workflowId, memo: { requestedBy: 'schedule:gprecover-auto-replay' },
      args: [{ cluster: 'replay', policy: { notify: 'pager', downForMinutes: 0, types: ['full'], approval: { expiresAfterMinutes: 30 } } }],
    }),
    async during(handle) {
      // describe() does not let the time-skipping server skip ahead past the approval's bound; result() would.
      while ((await handle.describe()).searchAttributes.AutoDecision?.[0] !== 'awaiting-approval') await new Promise((r) => setTimeout(r, 50));
      await handle.executeUpdate(approveUpdate, { args: [{ requestedBy: 'dba@cdw' }] });
    },
  },
];

/** The scenarios a release's workers could run: those older than it (by `since`) and its own. */
export function scenariosOf(release: string): Scenario[] {
  const num = (v: string) => v.replace(/^v/, '').split('.').map(Number);
  const atLeast = (a: number[], b: number[]) => a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] >= b[2];
  return SCENARIOS.filter((x) => !x.since || atLeast(num(release), num(x.since)));
}

/** The child workflows a run started, from its history (recovery, rebalance, automatic check alike). */
export async function childIds(client: Client, handle: WorkflowHandle): Promise<string[]> {
  const history = await client.workflow.getHandle(handle.workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const id = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    return id ? [id] : [];
  });
}
