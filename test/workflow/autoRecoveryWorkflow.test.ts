// autoRecoveryWorkflow with mocked activities on Temporal's time-skipping test server (which has no schedules: the
// workflow is started directly, as a schedule would): what it records, what it notifies, the one-run-per-cluster
// rule, a failed recovery's end, a failed check, and the policy's time zone inside the workflow sandbox.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { AutomaticRuns, RecoveryActivities } from '../../domain/activities';
import { failureTypeInterceptor } from '../../activities/failureInterceptor';
import { createNotifyActivities } from '../../activities/notify';
import { fakeActivities } from '../../testkit/fakeActivities';
import { fakeSnapshot } from '../../testkit/fakeCluster';
import type { AutoNotification, AutoPolicy, AutoPolicyInput, PreviousDecision } from '../../domain/autoPolicy';
import { FailureType, InvalidRequestError, LockHeldError, PermanentError } from '../../domain/failures';
import { autoRecoveryWorkflow, workerCheckWorkflow } from '../../workflows';
import { approveUpdate } from '../../workflows/messages';
import type { AutoRecoveryResult } from '../../domain/autoPolicy';
import { useTimeSkippingEnv } from '../helpers/timeSkipping';
import { workflowBundle } from '../helpers/temporal';

interface World {
  down: number[];
  /** Acting primaries that do not answer. */
  deadPrimaries?: number[];
  lockHeldBy?: string;
  /** The lock's holder is the process an ended gprecover run left behind. */
  orphanedRunLock?: boolean;
  copyFails?: boolean;
  unknownCluster?: boolean;
  previous?: PreviousDecision;
  notified: AutoNotification[];
}

/** Four contents: primaries dbid 2-5 on sdw1, mirrors dbid 6-9 on sdw2. */
function activities(w: World, real: Partial<RecoveryActivities> = {}): RecoveryActivities {
  return fakeActivities({
    snapshot: (cluster) => {
      if (w.unknownCluster) throw new InvalidRequestError(`unknown cluster '${cluster}' (known: prod; clusters are configured in /etc/gprecover/clusters.json)`);
      return fakeSnapshot(cluster, { contents: 4, perHost: 4, down: w.down });
    },
    progress: 'returns',
    overrides: {
      async probeTargets(input) {
        return {
          dirs: input.dirs.map((d) => ({ location: d.location, reachable: true, exists: true, empty: false, pgVersion: '15', postmasterLive: false, standbySignal: true, systemIdentifier: '1' })),
          sources: input.sources.map((s) => (w.deadPrimaries?.includes(s.dbid)
            ? { dbid: s.dbid, reachable: false, error: 'connect ECONNREFUSED' }
            : { dbid: s.dbid, reachable: true, inRecovery: false, systemIdentifier: '1' })),
        };
      },
      async acquireRecoveryLock(input) {
        if (w.lockHeldBy) throw new LockHeldError(w.lockHeldBy, { lockHeldBy: 'gprecoverseg', pid: 4242 });
        if (w.orphanedRunLock && input.checkOnly) return { where: 'cdw:/data/coordinator/gpseg-1/gprecoverseg.lock', held: false, note: 'held for gprecover run gprecover-c/1, which has ended; a recovery takes it over' };
        return { where: 'cdw:/data/coordinator/gpseg-1/gprecoverseg.lock', held: !input.checkOnly };
      },
      async copySegment() {
        if (w.copyFails) throw new PermanentError('pg_rewind failed for dbid 6: could not find common ancestor of the source and target timelines');
        return { method: 'pg_rewind', attached: false };
      },
      async downSince(input) {
        return Object.fromEntries(input.dbids.map((d) => [d, new Date(Date.now() - 30 * 60_000).toISOString()]));
      },
      async automaticRuns(): Promise<AutomaticRuns> {
        return { started: [], previous: w.previous };
      },
      async notify(input) {
        w.notified.push(input.summary);
        return { delivered: ['command'], failed: [] };
      },
      ...real,
    },
  });
}

const hook = { notify: 'pager', downForMinutes: 0 } satisfies Partial<AutoPolicy>;

/** Runs one check on a worker of its own; `beforeResult` acts before the test waits for its end. */
function checker(env: () => TestWorkflowEnvironment) {
  let seq = 0;
  return async function check(
    w: World, policy: AutoPolicyInput = hook, during?: (cluster: string, taskQueue: string) => Promise<void>, real: Partial<RecoveryActivities> = {},
    beforeResult?: (handle: WorkflowHandle<typeof autoRecoveryWorkflow>) => Promise<void>,
  ) {
    const taskQueue = `auto-${++seq}`;
    const cluster = `c${seq}`;
    const worker = await Worker.create({
      connection: env().nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: activities(w, real),
      interceptors: { activity: [failureTypeInterceptor] },
    });
    return worker.runUntil(async () => {
      if (during) await during(cluster, taskQueue);
      const handle = await env().client.workflow.start(autoRecoveryWorkflow, {
        taskQueue, workflowId: `gprecover-auto-${cluster}-1`, args: [{ cluster, policy }], memo: { requestedBy: `schedule:gprecover-auto-${cluster}` },
      });
      if (beforeResult) await beforeResult(handle);
      const out = await handle.result().then((r) => ({ ok: true as const, r }), (err: unknown) => ({ ok: false as const, err }));
      const desc = await handle.describe();
      return { cluster, out, attrs: desc.searchAttributes, memo: desc.memo ?? {}, workflowId: handle.workflowId };
    });
  };
}

describe('autoRecoveryWorkflow (mocked activities, time-skipping test server)', () => {
  const env = useTimeSkippingEnv();
  let seq = 100;

  const check = checker(env);


  it('starts the recovery as gprecover-<cluster>, records started and its outcome, notifies start and end', async () => {
    const w: World = { down: [6], notified: [] };
    const { cluster, out, attrs, memo } = await check(w);
    expect(out.ok).toBe(true);
    const r = (out as { r: AutoRecoveryResult }).r;
    expect(r).toMatchObject({ decision: 'started', code: 'recover', notified: true, recovery: { workflowId: `gprecover-${cluster}`, type: 'incremental', outcome: 'succeeded' } });
    expect(attrs).toMatchObject({ AutoDecision: ['started'], RecoveryType: ['incremental'], RecoveryOutcome: ['succeeded'], ContentIds: ['0'], ClusterName: [cluster] });
    expect(memo).toMatchObject({ requestedBy: `schedule:gprecover-auto-${cluster}`, code: 'recover', key: 'recover:0', recovery: { workflowId: `gprecover-${cluster}` } });
    expect(w.notified.map((n) => [n.event, n.outcome])).toEqual([['started', undefined], ['ended', 'succeeded']]);
    const child = await env().client.workflow.getHandle(`gprecover-${cluster}`).describe();
    expect(child.memo).toMatchObject({ requestedBy: `schedule:gprecover-auto-${cluster}` });
  });

  it('a recovery that fails ends the check normally, with the outcome and the root cause notified', async () => {
    const w: World = { down: [6], copyFails: true, notified: [] };
    const { out, attrs, memo } = await check(w, { ...hook, types: ['incremental', 'differential'], rebalance: true });
    expect(out.ok).toBe(true);
    expect((out as { r: AutoRecoveryResult }).r.recovery).toMatchObject({ outcome: 'failed', error: expect.stringContaining('could not find common ancestor') });
    expect(attrs).toMatchObject({ AutoDecision: ['started'], RecoveryOutcome: ['failed'] });
    expect(memo.error).toMatch(/^1 of 1 segment\(s\) failed: dbid 6: pg_rewind failed/);
    expect(w.notified[1]).toMatchObject({ event: 'ended', outcome: 'failed', error: expect.stringContaining('dbid 6: pg_rewind failed') });
  });

  it('one run per cluster: a run holding gprecover-<cluster> makes it skip, not wait or fail', async () => {
    const w: World = { down: [6], notified: [] };
    const { out, attrs, cluster } = await check(w, hook, async (c) => {
      // Any workflow under that id: nothing polls its task queue, so it stays running.
      await env().client.workflow.start(workerCheckWorkflow, { taskQueue: 'nobody-polls', workflowId: `gprecover-${c}` });
    });
    expect((out as { r: AutoRecoveryResult }).r).toMatchObject({ decision: 'skipped', code: 'run-in-progress', actionable: false, notified: false });
    expect(attrs).toMatchObject({ AutoDecision: ['skipped'] });
    expect(w.notified).toEqual([]);
    await env().client.workflow.getHandle(`gprecover-${cluster}`).terminate('test over');
  });

  it('a double fault is skipped and notified, but not again when the previous decision said the same', async () => {
    const w: World = { down: [6], deadPrimaries: [2], notified: [] };
    const first = await check(w);
    expect((first.out as { r: AutoRecoveryResult }).r).toMatchObject({ decision: 'skipped', code: 'double-fault', actionable: true, notified: true });
    expect(first.memo).toMatchObject({ code: 'double-fault', key: 'double-fault:0', actionable: true, reason: expect.stringContaining('primary dbid 2 does not answer (connect ECONNREFUSED)') });
    expect(w.notified).toMatchObject([{ event: 'skipped', code: 'double-fault', contents: [0], requestedBy: `schedule:gprecover-auto-${first.cluster}`, autoRun: { workflowId: first.workflowId } }]);
    const again: World = { ...w, previous: { workflowId: 'x', runId: 'y', decision: 'skipped', key: 'double-fault:0' }, notified: [] };
    expect(((await check(again)).out as { r: AutoRecoveryResult }).r).toMatchObject({ code: 'double-fault', notified: false });
    expect(again.notified).toEqual([]);
  });

  it('a held lock is skipped and notified with who holds it', async () => {
    const by = "gprecoverseg (pid 4242: python3 gprecoverseg -a) is recovering cluster 'c': it holds cdw:/data/coordinator/gpseg-1/gprecoverseg.lock; wait for it to finish, or remove that directory if nothing runs";
    const w: World = { down: [6], lockHeldBy: by, notified: [] };
    const { out } = await check(w);
    expect((out as { r: AutoRecoveryResult }).r).toMatchObject({ decision: 'skipped', code: 'lock-held', reason: by, notified: true });
    expect(w.notified[0]).toMatchObject({ event: 'skipped', code: 'lock-held', reason: by, actionable: true });
  });

  it('a lock left by an ended gprecover run does not hold the check back: the recovery takes it over', async () => {
    const w: World = { down: [6], orphanedRunLock: true, notified: [] };
    const { out } = await check(w);
    expect((out as { r: AutoRecoveryResult }).r).toMatchObject({ decision: 'started', recovery: { outcome: 'succeeded' } });
  });

  it('reads quiet hours in the policy\'s time zone inside the workflow sandbox', async () => {
    const w: World = { down: [6], notified: [] };
    const { out } = await check(w, { ...hook, quietHours: { from: '00:00', to: '23:59', timeZone: 'Pacific/Kiritimati' } });
    // 00:00-23:59 leaves one minute a day open: accept it rather than be flaky once a day.
    const r = (out as { r: AutoRecoveryResult }).r;
    expect(['quiet-hours', 'recover']).toContain(r.code);
    if (r.code === 'quiet-hours') expect(r.reason).toBe('quiet hours 00:00-23:59 Pacific/Kiritimati: no automatic run starts now');
    expect(w.notified.filter((n) => n.event === 'skipped')).toEqual([]);
  });

  it('a check that cannot read the catalog fails with the one-line error, recorded and notified', async () => {
    const w: World = { down: [], unknownCluster: true, notified: [] };
    const { out, attrs, memo, cluster } = await check(w);
    expect(out.ok).toBe(false);
    const cause = (out as { err: WorkflowFailedError }).err.cause as { type?: string; message: string };
    expect(cause).toMatchObject({ type: FailureType.InvalidRequest, message: `unknown cluster '${cluster}' (known: prod; clusters are configured in /etc/gprecover/clusters.json)` });
    expect(attrs).toMatchObject({ AutoDecision: ['failed'] });
    expect(memo).toMatchObject({ code: 'check-failed', reason: `the check failed: ${cause.message}` });
    expect(w.notified).toMatchObject([{ event: 'skipped', code: 'check-failed', actionable: true }]);
  });

  it('refuses input typed by hand that is not a policy, in one line', async () => {
    const taskQueue = `auto-${++seq}`;
    const worker = await Worker.create({ connection: env().nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: activities({ down: [], notified: [] }) });
    const err = await worker.runUntil(env().client.workflow.execute(autoRecoveryWorkflow, {
      taskQueue, workflowId: `auto-bad-${seq}`, args: [{ cluster: 'c', policy: { types: ['fast'], maxRunsPerDay: 0 } as unknown as AutoPolicy }],
    }).catch((e: unknown) => e));
    expect((err as WorkflowFailedError).cause).toMatchObject({
      type: FailureType.InvalidRequest,
      message: 'policy.types must be a list of incremental, differential, full, not ["fast"]; policy.maxRunsPerDay must be a whole number of at least 1, not 0',
    });
  });

  // Issue 19: anyone who reaches the Temporal frontend could start a check with a command in its policy, and it ran on
  // the worker, as the worker's user, beside the SSH keys of every segment host. Commands now live in the worker's
  // clusters file only (notifyHooks), and a policy names one.
  it('a check started by hand with a notify command in its policy runs nothing: the input is refused', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-hooks-'));
    const marker = path.join(dir, 'ran');
    const clustersFile = path.join(dir, 'clusters.json');
    fs.writeFileSync(clustersFile, JSON.stringify({ clusters: {} }));
    const taskQueue = `auto-${++seq}`;
    const real = createNotifyActivities(clustersFile);
    const worker = await Worker.create({
      connection: env().nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: activities({ down: [6], notified: [] }, real),
      interceptors: { activity: [failureTypeInterceptor] },
    });
    const err = await worker.runUntil(env().client.workflow.execute(autoRecoveryWorkflow, {
      taskQueue, workflowId: `auto-cmd-${seq}`,
      args: [{ cluster: 'nope', policy: { notify: { command: `id > ${marker}` } } as unknown as AutoPolicy }],
    }).catch((e: unknown) => e));
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: FailureType.InvalidRequest, message: expect.stringMatching(/^policy\.notify names a notification hook of the worker's clusters file/) });
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('a hook the worker\'s clusters file defines gets the decision, with a clean environment; an unknown name is said, not run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-hooks-'));
    const marker = path.join(dir, 'event.json');
    const clustersFile = path.join(dir, 'clusters.json');
    fs.writeFileSync(clustersFile, JSON.stringify({ clusters: {}, notifyHooks: { pager: { command: ['sh', '-c', `{ cat; echo "secret=\${PGPASSWORD:-none} key=\${TEMPORAL_API_KEY:-none}"; } > ${marker}`] } } }));
    const real = createNotifyActivities(clustersFile);
    process.env.PGPASSWORD = 'worker-secret';
    try {
      const w: World = { down: [6], deadPrimaries: [2], notified: [] };
      const { out } = await check(w, { notify: 'pager', downForMinutes: 0 }, undefined, real);
      expect((out as { r: AutoRecoveryResult }).r).toMatchObject({ code: 'double-fault', notified: true });
      const said = fs.readFileSync(marker, 'utf8');
      expect(JSON.parse(said.split('\n')[0])).toMatchObject({ event: 'skipped', code: 'double-fault' });
      expect(said).toContain('secret=none key=none');
      const unknown = await new MockActivityEnvironment().run(real.notify, { hook: 'nobody', summary: JSON.parse(said.split('\n')[0]) });
      expect(unknown).toEqual({ delivered: [], failed: [expect.stringMatching(/^no notification hook 'nobody' in the worker's clusters file/)] });
    } finally {
      delete process.env.PGPASSWORD;
    }
  });
});

// Its own time-skipping server, and the bound waited out first: after some of the runs above (a child start refused
// as already started, an update refused by its validator) the Java test server no longer skips time.
describe('autoRecoveryWorkflow with an approval gate (mocked activities, time-skipping test server)', () => {
  const env = useTimeSkippingEnv();
  const check = checker(env);

  const awaitingApproval = async (handle: WorkflowHandle<typeof autoRecoveryWorkflow>) => {
    // describe() does not let the time-skipping server skip ahead; result() would, past the approval's bound.
    for (let i = 0; i < 200; i++) {
      if ((await handle.describe()).searchAttributes.AutoDecision?.[0] === 'awaiting-approval') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the check never waited for an approval');
  };
  const fullOnly = { ...hook, types: ['full'], approval: { expiresAfterMinutes: 30 } } satisfies AutoPolicyInput;

  it('without an approval within its bound the check skips, notified, and starts nothing; an incremental one does not wait', async () => {
    const w: World = { down: [6], notified: [] };
    // The bound passes on the server's clock, skipped ahead.
    const { cluster, out, memo } = await check(w, fullOnly, undefined, {}, async (handle) => {
      await awaitingApproval(handle);
      await env().sleep('31 minutes');
    });
    expect((out as { r: AutoRecoveryResult }).r).toMatchObject({ decision: 'skipped', code: 'approval-expired', actionable: true, notified: true });
    expect(memo.reason).toMatch(/^no approval of the full recovery of content\(s\) 0 within 30 minute\(s\)/);
    expect(w.notified.map((n) => n.event)).toEqual(['approval-needed', 'skipped']);
    expect(await env().client.workflow.getHandle(`gprecover-${cluster}`).describe().then(() => 'started', () => 'not started')).toBe('not started');

    const inc: World = { down: [6], notified: [] };
    const quick = await check(inc, { ...fullOnly, types: ['incremental', 'full'] });
    expect((quick.out as { r: AutoRecoveryResult }).r).toMatchObject({ decision: 'started', recovery: { type: 'incremental' } });
    expect(inc.notified.map((n) => n.event)).toEqual(['started', 'ended']);
  });

  it('a full recovery waits for an approval, notified with the command; approved, it starts with who approved', async () => {
    const w: World = { down: [6], notified: [] };
    let refused = '';
    const { cluster, out, memo, attrs } = await check(w, fullOnly, undefined, {}, async (handle) => {
      await awaitingApproval(handle);
      for (let i = 0; i < 100 && !w.notified.length; i++) await new Promise((r) => setTimeout(r, 50));
      expect(w.notified.map((n) => n.event)).toEqual(['approval-needed']);
      expect(w.notified[0]).toMatchObject({ code: 'awaiting-approval', type: 'full', contents: [0], approve: { command: `gprecover approve ${handle.workflowId}`, until: expect.any(String) } });
      expect(await env().client.workflow.getHandle(`gprecover-${handle.workflowId.split('-')[2]}`).describe().then(() => 'started', () => 'not started')).toBe('not started');
      await handle.executeUpdate(approveUpdate, { args: [{ requestedBy: 'dba@cdw' }] });
      refused = await handle.executeUpdate(approveUpdate, { args: [{ requestedBy: 'ops@cdw' }] }).then(() => 'accepted', (e: WorkflowUpdateFailedError) => (e.cause as Error).message);
    });
    expect(refused).toMatch(/^(approved already by dba@cdw|this check is not waiting for an approval)$/);
    expect((out as { r: AutoRecoveryResult }).r).toMatchObject({ decision: 'started', recovery: { workflowId: `gprecover-${cluster}`, type: 'full', outcome: 'succeeded' } });
    expect(memo).toMatchObject({ approvedBy: 'dba@cdw', code: 'recover' });
    expect(attrs).toMatchObject({ AutoDecision: ['started'], RecoveryType: ['full'] });
    expect(w.notified.map((n) => [n.event, n.approvedBy])).toEqual([['approval-needed', undefined], ['started', 'dba@cdw'], ['ended', 'dba@cdw']]);
  });

  it('an approval of what the cluster no longer is starts nothing: another mirror went down while it waited', async () => {
    const w: World = { down: [6], notified: [] };
    const { cluster, out, memo } = await check(w, fullOnly, undefined, {}, async (handle) => {
      await awaitingApproval(handle);
      w.down = [6, 7];
      await handle.executeUpdate(approveUpdate, { args: [{ requestedBy: 'dba@cdw' }] });
    });
    expect((out as { r: AutoRecoveryResult }).r).toMatchObject({ decision: 'skipped', code: 'approval-stale', actionable: true, notified: true });
    expect(memo.reason).toMatch(/^approved by dba@cdw: the full recovery of dbid\(s\) 6, but the cluster changed meanwhile and the policy now decides a full recovery of dbid\(s\) 6, 7; nothing was started/);
    expect(w.notified.map((n) => n.event)).toEqual(['approval-needed', 'skipped']);
    expect(await env().client.workflow.getHandle(`gprecover-${cluster}`).describe().then(() => 'started', () => 'not started')).toBe('not started');
  });
});
