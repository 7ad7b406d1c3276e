// Auto-recovery on a demo cluster of real PostgreSQL instances, through the CLI a DBA would type once: a schedule
// recovers a killed mirror with no other command, a double fault and a held gprecoverseg lock are skipped and
// reported to the policy's notification command, and every decision is in `history --auto` and `auto status`.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DemoCluster } from '../../demo';
import { osIdentity } from '../../cluster/exec/local';
import { listDecisions, listRuns } from '../../client/commands/history';
import type { DecisionRow } from '../../client/decisionTable';
import type { AutoNotification } from '../../domain/autoPolicy';
import { runCli } from '../helpers/cli';
import { byDbid, createTestCluster, expectMirrorsIdentical, healthy, killAndWaitDown } from '../helpers/demo';
import { eventually } from '../helpers/stubRuns';
import { connectHarness, type RunningWorker, type TemporalHarness } from '../helpers/temporal';

const TASK_QUEUE = 'gp-recovery-auto';
const PREFIX = '127.0.171';
const EVERY_S = 3;

describe('auto-recovery by policy on the demo', () => {
  let cluster: DemoCluster;
  let dir: string;
  let h: TemporalHarness;
  let w: RunningWorker;
  let env: NodeJS.ProcessEnv;
  let notifyLog: string;
  let lockHolder: ChildProcess | undefined;
  const scheduleId = () => `gprecover-auto-${cluster.name}`;

  const policyFile = (name: string, policy: object) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, JSON.stringify(policy));
    return f;
  };
  const notifications = (): AutoNotification[] =>
    (fs.existsSync(notifyLog) ? fs.readFileSync(notifyLog, 'utf8') : '').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AutoNotification);
  const enable = async (policy: object, name: string) => {
    const r = await runCli(['auto', 'enable', '--every', `${EVERY_S}s`, '--policy', policyFile(name, policy)], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return r;
  };
  const disable = async () => {
    const r = await runCli(['auto', 'disable'], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  };
  const decisions = () => listDecisions(h.client, { cluster: cluster.name }, 200);
  /** Waits for a decision of this code made after `since`. */
  const decisionAfter = (since: number, code: string, timeoutMs = 30_000): Promise<DecisionRow> => eventually(async () => {
    const d = (await decisions()).find((x) => x.code === code && Date.parse(x.startTime) >= since);
    expect(d, `a '${code}' decision`).toBeDefined();
    return d!;
  }, timeoutMs);
  const notifyCommand = () => `cat >> '${notifyLog}'`;

  beforeAll(async () => {
    const made = await createTestCluster('ar', PREFIX);
    ({ cluster, dir } = made);
    notifyLog = path.join(dir, 'notifications.jsonl');
    // The worker's own clusters file defines the hook; the policies only name it.
    const file = JSON.parse(fs.readFileSync(made.clustersFile, 'utf8'));
    fs.writeFileSync(made.clustersFile, JSON.stringify({ ...file, notifyHooks: { log: { command: notifyCommand() } } }));
    h = await connectHarness();
    w = await h.startWorker({ clustersFile: made.clustersFile, taskQueue: TASK_QUEUE });
    env = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), GPRECOVER_TASK_QUEUE: TASK_QUEUE, GPRECOVER_CLUSTER: cluster.name };
    await cluster.loadData(2000);
  });

  afterAll(async () => {
    for (const id of [scheduleId(), 'gprecover-auto-nosuch']) await h?.client.schedule.getHandle(id).delete().catch(() => undefined);
    if (lockHolder && lockHolder.exitCode === null) lockHolder.kill('SIGKILL');
    await w?.stop();
    await h?.close();
    await cluster?.destroy();
  });

  it('refuses bad arguments in one line before contacting anything', async () => {
    for (const [args, msg] of [
      [['auto'], 'gprecover auto: say what to do: gprecover auto enable|disable|status'],
      [['auto', 'start'], "gprecover auto: say what to do: gprecover auto enable|disable|status, not 'start'"],
      [['auto', 'enable', '--every', '1s'], "gprecover auto: --every must be a period like 30s, 5m or 1h, from 2s to 24h, not '1s'"],
      [['auto', 'status', '--every', '5m'], "gprecover auto: --every and --policy go with 'auto enable', not 'auto status'"],
      [['auto', 'enable', '--policy', path.join(dir, 'none.json')], `gprecover auto: cannot read policy file ${path.join(dir, 'none.json')}: ENOENT`],
      [['auto', 'enable', '--policy', policyFile('bad.json', { quietHours: { from: '22:00' } })], `gprecover auto: policy file ${path.join(dir, 'bad.json')}: policy.quietHours.to is missing: it must be a time HH:MM (00:00 to 23:59)`],
      [['history', '--auto', '--type', 'full'], 'gprecover history: --type and --all list runs; they do not apply with --auto'],
    ] as const) {
      const r = await runCli([...args], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
      expect({ code: r.code, err: r.stderr.trim() }, args.join(' ')).toEqual({ code: 2, err: msg });
    }
    const none = await runCli(['auto', 'disable'], env);
    expect(none.stdout.trim()).toBe(`auto-recovery of cluster '${cluster.name}' is not enabled (no schedule ${scheduleId()})`);
  });

  it('recovers a killed mirror with no command typed, within the schedule\'s period once it has been down downForMinutes', async () => {
    const downFor = 0.1; // 6 s: shorter than the wait below, longer than two periods
    const on = await enable({ downForMinutes: downFor, notify: 'log' }, 'a.json');
    expect(on.stdout).toContain(`auto-recovery of cluster '${cluster.name}' enabled: schedule ${scheduleId()} checks every ${EVERY_S}s on task queue ${TASK_QUEUE}`);
    expect(on.stdout).toContain("policy: types: incremental only; down 0.1 min first; at most 6 run(s) a day; no quiet hours; skips while gprecoverseg.lock is held; no rebalance; notifies hook 'log' (the worker's notifyHooks)");
    const again = await enable({ downForMinutes: downFor, notify: 'log' }, 'a.json');
    expect(again.stdout).toContain('updated: schedule');

    await killAndWaitDown(cluster, 6);
    const downAt = Date.now();
    await cluster.loadData(1000); // written while the mirror is down
    await cluster.waitFor(healthy, (downFor * 60 + EVERY_S) * 1000 + 90_000, 'dbid 6 recovered by the schedule');
    await expectMirrorsIdentical(cluster);

    const started = await decisionAfter(downAt, 'recover');
    expect(started).toMatchObject({ decision: 'started', type: 'incremental', contents: ['0'], by: `schedule ${scheduleId()}`, recovery: { workflowId: `gprecover-${cluster.name}` } });
    const [row] = await eventually(async () => {
      const r = await listDecisions(h.client, { cluster: cluster.name }, 200);
      const s = r.find((x) => x.runId === started.runId)!;
      expect(s.outcome).toBe('succeeded');
      return [s];
    });
    // Started within one period of becoming eligible (FTS's history row is at most a probe before downAt).
    const history = await cluster.history(200);
    const downRow = history.find((x) => x.dbid === 6 && /marking status down/.test(x.desc))!;
    const eligibleAt = Date.parse(downRow.time) + downFor * 60_000;
    // (Its workflow time, which decides, is a moment after its start time.)
    expect(Date.parse(row.startTime)).toBeGreaterThanOrEqual(eligibleAt - 1_000);
    expect(Date.parse(row.startTime) - eligibleAt).toBeLessThan(EVERY_S * 1000 + 3_000);
    // Before that, the schedule's checks saw it down and waited.
    const waited = (await decisions()).filter((d) => d.code === 'down-too-short' && Date.parse(d.startTime) >= downAt);
    expect(waited.length).toBeGreaterThan(0);
    expect(waited[0].reason).toMatch(/^dbid 6 down \d\.\d min \(since \d\d:\d\d:\d\dZ\); the policy waits 0\.1 min$/);

    // History says the schedule started it; the notification command heard the start and the end.
    const runs = await listRuns(h.client, { cluster: cluster.name }, 10);
    expect(runs[0]).toMatchObject({ workflowId: `gprecover-${cluster.name}`, runId: started.recovery!.runId, outcome: 'succeeded', recoveryType: 'incremental', by: `schedule ${scheduleId()}` });
    const table = await runCli(['history', '--all', '--cluster', cluster.name], env);
    expect(table.stdout.split('\n')[0]).toMatch(/OUTCOME\s+DURATION\s+BY\s+ERROR$/);
    expect(table.stdout).toMatch(new RegExp(`gprecover-${cluster.name}\\s+${started.recovery!.runId.slice(0, 8)}\\s+incremental\\s+0\\s+succeeded\\s+\\S+\\s+schedule ${scheduleId()}`));
    expect(table.stdout).toMatch(/└ \S+-dbid6\s+\S+\s+segment\s+dbid 6\s+completed/);
    const told = await eventually(async () => {
      const n = notifications();
      expect(n.map((x) => [x.event, x.code])).toEqual([['started', 'recover'], ['ended', 'recover']]);
      return n;
    }, 10_000);
    expect(told[0]).toMatchObject({ cluster: cluster.name, type: 'incremental', contents: [0], dbids: [6], requestedBy: `schedule:${scheduleId()}`, recovery: { workflowId: `gprecover-${cluster.name}`, runId: started.recovery!.runId } });
    expect(told[1]).toMatchObject({ outcome: 'succeeded', recovery: told[0].recovery });
    expect(told[1].error).toBeUndefined();

    const status = await runCli(['auto', 'status'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`auto-recovery of cluster '${cluster.name}': enabled, schedule ${scheduleId()} every ${EVERY_S}s on task queue ${TASK_QUEUE}`);
    expect(status.stdout).toMatch(/next checks: \d\d:\d\d:\d\dZ/);
    expect(status.stdout).toMatch(/decisions, newest first:\nSTART \(UTC\)\s+DECISION/);
    expect(status.stdout).toMatch(/started\s+incremental\s+0\s+succeeded\s+schedule \S+\s+dbid 6 down since/);
    const auto = await runCli(['history', '--auto', '--json', '--limit', '500'], env);
    expect((JSON.parse(auto.stdout) as DecisionRow[]).some((d) => d.runId === started.runId && d.decision === 'started')).toBe(true);

    await disable();
    await expect(h.client.schedule.getHandle(scheduleId()).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  }, 300_000);

  it('a full recovery the policy holds back waits for gprecover approve, notified with the command; approved, it runs', async () => {
    const on = await enable({ types: ['full'], downForMinutes: 0, notify: 'log', approval: { expiresAfterMinutes: 10 } }, 'approval.json');
    expect(on.stdout).toContain('waits up to 10 min for an approval (gprecover approve) before a full recovery');
    // A check left waiting for an approval would hold the schedule (one check at a time) and fail the tests after it.
    try {
      const before = notifications().length;
      // Before the kill: the check that finds it down may start before killAndWaitDown has seen FTS mark it.
      const since = Date.now();
      await killAndWaitDown(cluster, 8);
      const waiting = await decisionAfter(since, 'awaiting-approval', 60_000);
      expect(waiting.reason).toMatch(new RegExp(`waiting until \\S+ for an approval: gprecover approve ${waiting.workflowId}$`));
      const asked = await eventually(async () => {
        const n = notifications().slice(before).find((x) => x.event === 'approval-needed');
        expect(n).toBeDefined();
        return n!;
      }, 10_000);
      expect(asked).toMatchObject({ code: 'awaiting-approval', type: 'full', dbids: [8], approve: { command: `gprecover approve ${waiting.workflowId}` } });
      // Nothing is copied until someone approves: the segment stays down, no recovery run exists.
      await new Promise((r) => setTimeout(r, 2 * EVERY_S * 1000));
      expect(byDbid(await cluster.segments(), 8).status).toBe('d');
      expect(await h.client.workflow.getHandle(`gprecover-${cluster.name}`).describe().then((d) => d.status.name, () => 'none')).not.toBe('RUNNING');

      const approved = await runCli(['approve'], env);
      expect(approved.stderr).toBe('');
      expect(approved.stdout.trim()).toMatch(new RegExp(`^${waiting.workflowId}: approved by \\S+@\\S+; its recovery starts now`));
      const twice = await runCli(['approve', waiting.workflowId], env);
      expect(twice.code).toBe(2);
      expect(twice.stderr.trim().split('\n')).toHaveLength(1);
      await cluster.waitFor(healthy, 120_000, 'dbid 8 rebuilt by the approved full recovery');
      const started = await eventually(async () => {
        const d = (await decisions()).find((x) => x.runId === waiting.runId);
        expect(d?.decision).toBe('started');
        return d!;
      }, 20_000);
      expect(started).toMatchObject({ type: 'full', recovery: { workflowId: `gprecover-${cluster.name}` } });
      await disable();
    } catch (err) {
      await runCli(['auto', 'disable'], env);
      throw err;
    }
  }, 300_000);

  it('skips and reports a double fault once, changing nothing', async () => {
    await killAndWaitDown(cluster, 7);
    await cluster.kill(3);
    await eventually(async () => expect((await cluster.history(50)).some((x) => /content 1 double fault/.test(x.desc))).toBe(true), 30_000);
    const before = JSON.stringify(await cluster.segments());
    const runsBefore = (await listRuns(h.client, { cluster: cluster.name }, 50)).length;
    const told = notifications().length;

    const since = Date.now();
    await enable({ downForMinutes: 0, notify: 'log' }, 'b.json');
    const first = await decisionAfter(since, 'double-fault');
    expect(first).toMatchObject({ decision: 'skipped', actionable: true, contents: ['1'], by: `schedule ${scheduleId()}` });
    expect(first.reason).toMatch(/^double fault, nothing to recover from: content 1: mirror dbid 7 is down and its primary dbid 3 does not answer \(.+\); repair a segment of each by hand$/);
    // Later checks record it again, without telling the DBA again.
    await eventually(async () => expect((await decisions()).filter((d) => d.code === 'double-fault').length).toBeGreaterThanOrEqual(3), 30_000);
    await disable();
    const fresh = notifications().slice(told);
    expect(fresh.map((n) => [n.event, n.code, n.actionable, n.contents])).toEqual([['skipped', 'double-fault', true, [1]]]);
    expect(fresh[0].reason).toBe(first.reason);
    expect(JSON.stringify(await cluster.segments())).toBe(before);
    expect(await listRuns(h.client, { cluster: cluster.name }, 50)).toHaveLength(runsBefore);
    const status = await runCli(['auto', 'status'], env);
    expect(status.stdout).toContain(`auto-recovery of cluster '${cluster.name}': not enabled`);
    expect(status.stdout).toMatch(/skipped \(double-fault\)\s+-\s+1\s+-\s+schedule \S+\s+double fault, nothing to recover from/);

    // The primary back: what is left is dbid 7 down, for the next test.
    await cluster.startInstance(3);
    await cluster.waitFor((rows) => byDbid(rows, 3).status === 'u' && byDbid(rows, 7).status === 'd', 30_000, 'primary 3 up, mirror 7 down');
  }, 300_000);

  it('skips and reports gprecoverseg\'s lock while someone holds it, then recovers once it is gone', async () => {
    expect(byDbid(await cluster.segments(), 7).status).toBe('d');
    const lockDir = path.join(cluster.layout.coordinator.datadir, 'gprecoverseg.lock');
    const owner = osIdentity(cluster.layout.osUser) ?? { uid: process.getuid!(), gid: process.getgid!() };
    // What a gprecoverseg at work leaves: the directory, its PID file, and that process alive, as the cluster's user.
    lockHolder = spawn('sh', ['-c', 'mkdir "$1" && echo $$ > "$1/PID" && exec sleep 600', 'gprecoverseg', lockDir], { uid: owner.uid, gid: owner.gid, stdio: 'ignore' });
    await eventually(async () => expect(fs.readFileSync(path.join(lockDir, 'PID'), 'utf8').trim()).toBe(String(lockHolder!.pid)), 10_000);
    const told = notifications().length;

    const since = Date.now();
    await enable({ downForMinutes: 0, notify: 'log' }, 'c.json');
    const skipped = await decisionAfter(since, 'lock-held');
    expect(skipped).toMatchObject({ decision: 'skipped', actionable: true, contents: ['1'] });
    expect(skipped.reason).toBe(`gprecoverseg (pid ${lockHolder.pid}: sleep 600) is recovering cluster '${cluster.name}': it holds cdw:${lockDir}; wait for it to finish, or remove that directory if nothing runs`);
    await eventually(async () => expect(notifications().slice(told).map((n) => [n.event, n.code])).toEqual([['skipped', 'lock-held']]), 10_000);
    expect(byDbid(await cluster.segments(), 7).status).toBe('d');

    // gprecoverseg dies (its lock left behind, stale): the next check recovers, taking the stale lock over.
    lockHolder.kill('SIGKILL');
    await new Promise((r) => lockHolder!.once('exit', r));
    const freed = Date.now();
    await cluster.waitFor(healthy, EVERY_S * 1000 + 90_000, 'dbid 7 recovered by the schedule');
    const started = await decisionAfter(freed, 'recover');
    expect(started).toMatchObject({ decision: 'started', contents: ['1'] });
    await eventually(async () => expect(notifications().slice(told).map((n) => [n.event, n.code, n.outcome])).toEqual([
      ['skipped', 'lock-held', undefined], ['started', 'recover', undefined], ['ended', 'recover', 'succeeded'],
    ]), 20_000);
    expect(fs.existsSync(lockDir), 'the stale lock was taken over and given back').toBe(false);
    await disable();
    await expectMirrorsIdentical(cluster);
  }, 300_000);

  it('a schedule for a cluster the worker does not know keeps running; each check fails with the worker\'s one-line error', async () => {
    const since = Date.now();
    const r = await runCli(['auto', 'enable', '--cluster', 'nosuch', '--every', '2s'], env);
    expect(r.code, r.stderr).toBe(0);
    try {
      const failed = await eventually(async () => {
        const d = (await listDecisions(h.client, { cluster: 'nosuch' }, 20)).filter((x) => Date.parse(x.startTime) >= since && x.status === 'failed');
        expect(d.length).toBeGreaterThanOrEqual(2);
        return d[0];
      }, 30_000);
      expect(failed).toMatchObject({ decision: 'failed', code: 'check-failed', by: 'schedule gprecover-auto-nosuch' });
      expect(failed.reason).toMatch(/^the check failed: unknown cluster 'nosuch' \(known: ar; clusters are configured in \S+\)$/);
    } finally {
      const off = await runCli(['auto', 'disable', '--cluster', 'nosuch'], env);
      expect(off.code).toBe(0);
    }
  }, 120_000);
});
