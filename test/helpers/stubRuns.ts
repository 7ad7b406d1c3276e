import { setTimeout as sleep } from 'node:timers/promises';
// Real recoveryWorkflow / rebalanceWorkflow / segmentRecoveryWorkflow runs on the test dev server, with activities
// that answer from an in-memory catalog instead of touching PostgreSQL. They exist to produce real event histories and
// visibility records (retries, failures, back-outs, cancellations) for `history` and `show`, quickly and on demand.
// Recovery itself is tested against real clusters elsewhere; nothing here claims a segment was rebuilt.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { RecoveryActivities } from '../../domain/activities';
import { InvalidRequestError, PermanentError } from '../../domain/failures';
import type { ClusterSnapshot } from '../../domain/probe';
import { activityInterceptors } from '../../activities/interceptors';
import { reportProgress } from '../../activities/progress';
import { fakeActivities } from '../../testkit/fakeActivities';
import { fakeSnapshot } from '../../testkit/fakeCluster';
import { rebalanceWorkflow, recoveryWorkflow } from '../../workflows';
import type { RebalanceInput, RecoveryInput } from '../../domain/recovery';
import { runInBackground } from '../../worker/runningWorker';
import { afterAll, beforeAll } from 'vitest';
import { connectHarness, workflowBundle, type RunningWorker, type TemporalHarness } from './temporal';

export interface StubCluster {
  name: string;
  /** dbids the catalog marks down (failed mirrors: dbid 4 of content 0, dbid 5 of content 1). */
  down: number[];
  /** copySegment fails its first attempt (retryable) for these dbids. */
  copyFailsOnce?: number[];
  /** copySegment fails for good (non-retryable) for these dbids. */
  copyFails?: number[];
  /** waitForSync never ends (until cancelled). */
  hangSync?: boolean;
  /** Contents whose mirror acts as primary (what rebalance undoes). */
  swapped?: number[];
}

/** Two hosts, two contents, group mirroring: primaries dbid 2, 3; mirrors dbid 4 (of content 0), 5 (of content 1). */
export function stubSnapshot(c: StubCluster): ClusterSnapshot {
  return fakeSnapshot(c.name, { contents: 2, perHost: 1, down: c.down, swapped: c.swapped, spareHosts: 2 });
}

function stubActivities(clusters: StubCluster[]): RecoveryActivities {
  const spec = (name: string) => {
    const c = clusters.find((x) => x.name === name);
    if (!c) throw new InvalidRequestError(`no cluster '${name}' in the stub`);
    return c;
  };
  return fakeActivities({
    snapshot: (cluster) => stubSnapshot(spec(cluster)),
    progress: 'runs',
    overrides: {
      async copySegment({ cluster, item }) {
        const c = spec(cluster);
        if (c.copyFails?.includes(item.dbid)) {
          throw new PermanentError(`pg_basebackup exited 1 for dbid ${item.dbid}: could not connect to the source`);
        }
        if (c.copyFailsOnce?.includes(item.dbid) && Context.current().info.attempt === 1) {
          throw new Error(`pg_rewind exited 1 for dbid ${item.dbid}: connection reset by peer`);
        }
        return { method: item.type === 'full' ? 'pg_basebackup' : 'pg_rewind', attached: false };
      },
      async waitForSync({ cluster }) {
        if (spec(cluster).hangSync) {
          const ctx = Context.current();
          for (;;) {
            reportProgress({ phase: 'status d mode n', walBytesBehind: 4096 });
            await Promise.race([ctx.cancelled, new Promise((r) => setTimeout(r, 200))]);
          }
        }
        return { status: 'u', mode: 's', walBytesBehind: 0, streaming: true };
      },
    },
  });
}

export async function startStubWorker(h: TemporalHarness, taskQueue: string, clusters: StubCluster[]): Promise<RunningWorker> {
  const worker = await Worker.create({
    connection: h.nativeConnection,
    namespace: h.namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: stubActivities(clusters),
    interceptors: { activity: activityInterceptors },
  });
  return runInBackground(worker);
}

export interface Finished {
  workflowId: string;
  runId: string;
  ok: boolean;
  error?: unknown;
}

const memoFor = (args: string) => ({ requestedBy: 'alice@ops-1', command: `gprecover ${args}` });

export async function runRecovery(client: Client, taskQueue: string, input: RecoveryInput, workflowId = `gprecover-${input.cluster}`): Promise<Finished> {
  const handle = await client.workflow.start(recoveryWorkflow, {
    taskQueue, workflowId, args: [{ requestedBy: 'alice@ops-1', ...input }], memo: memoFor(`start-recovery --cluster ${input.cluster}`),
  });
  return handle.result().then(() => ({ workflowId, runId: handle.firstExecutionRunId, ok: true }), (error) => ({ workflowId, runId: handle.firstExecutionRunId, ok: false, error }));
}

export async function startRecovery(client: Client, taskQueue: string, input: RecoveryInput, workflowId = `gprecover-${input.cluster}`) {
  return client.workflow.start(recoveryWorkflow, {
    taskQueue, workflowId, args: [{ requestedBy: 'alice@ops-1', ...input }], memo: memoFor(`start-recovery --cluster ${input.cluster}`),
  });
}

export async function runRebalance(client: Client, taskQueue: string, input: RebalanceInput): Promise<Finished> {
  const workflowId = `gprecover-${input.cluster}`;
  const handle = await client.workflow.start(rebalanceWorkflow, { taskQueue, workflowId, args: [input], memo: memoFor(`rebalance --cluster ${input.cluster}`) });
  return handle.result().then(() => ({ workflowId, runId: handle.firstExecutionRunId, ok: true }), (error) => ({ workflowId, runId: handle.firstExecutionRunId, ok: false, error }));
}

export interface Scenarios {
  clusters: { a: StubCluster; quoted: StubCluster; rebalance: StubCluster };
  /** Incremental recovery of dbid 4 and 5; dbid 4's copy fails once and is retried. */
  succeeded: Finished;
  /** The same two moved to spare hosts (-p, so full); dbid 5's copy fails for good and its catalog change is backed out. */
  failed: Finished;
  dryRun: Finished;
  rebalanced: Finished;
  /** Still running (waitForSync never ends) until the test cancels it. */
  running: { workflowId: string; runId: string };
}

/** Every kind of run `history` and `show` must describe, on one stub worker; clusters are unique to `suffix`. */
export async function runScenarios(client: Client, taskQueue: string, clusters: Scenarios['clusters']): Promise<Scenarios> {
  const { a, quoted, rebalance } = clusters;
  const succeeded = await runRecovery(client, taskQueue, { cluster: a.name });
  a.copyFails = [5];
  const failed = await runRecovery(client, taskQueue, { cluster: a.name, spareHosts: ['sdw3', 'sdw4'] });
  const dryRun = await runRecovery(client, taskQueue, { cluster: a.name, dryRun: true }, `gprecover-${a.name}-dryrun-${Date.now()}`);
  const rebalanced = await runRebalance(client, taskQueue, { cluster: rebalance.name, requestedBy: 'alice@ops-1' });
  const handle = await startRecovery(client, taskQueue, { cluster: quoted.name });
  return { clusters, succeeded, failed, dryRun, rebalanced, running: { workflowId: handle.workflowId, runId: handle.firstExecutionRunId } };
}

export function scenarioClusters(suffix: string): Scenarios['clusters'] {
  return {
    a: { name: `hist-a-${suffix}`, down: [4, 5], copyFailsOnce: [4] },
    quoted: { name: `hist-o'q-${suffix}`, down: [4], hangSync: true },
    rebalance: { name: `hist-r-${suffix}`, down: [], swapped: [0] },
  };
}

/** Visibility is eventually consistent: retry an assertion for a few seconds. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(300);
    }
  }
}

/**
 * Registers beforeAll/afterAll that run every scenario once on a stub worker (task queue `<prefix>-<suffix>`), with
 * TEMPORAL_ADDRESS/NAMESPACE pointing at the test server for CLI calls; the getter is valid inside tests.
 */
export function useScenarios(prefix: string): () => { h: TemporalHarness; s: Scenarios } {
  let h: TemporalHarness;
  let w: RunningWorker;
  let s: Scenarios;
  const sfx = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  beforeAll(async () => {
    h = await connectHarness();
    process.env.TEMPORAL_ADDRESS = h.address;
    process.env.TEMPORAL_NAMESPACE = h.namespace;
    const taskQueue = `${prefix}-${sfx}`;
    const clusters = scenarioClusters(sfx);
    w = await startStubWorker(h, taskQueue, [clusters.a, clusters.quoted, clusters.rebalance]);
    s = await runScenarios(h.client, taskQueue, clusters);
  });
  afterAll(async () => {
    if (s) await h.client.workflow.getHandle(s.running.workflowId, s.running.runId).terminate('test over').catch(() => undefined);
    await w?.stop();
    await h?.close();
  });
  return () => ({ h, s });
}
