import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { saveClusterConfig } from '../../cluster/config';
import type { DemoCluster } from '../../demo';
import type { SegmentRow } from '../../domain/segment';
import { byDbid, createTestCluster, killAndWaitDown } from '../helpers/demo';
import { runCli } from '../helpers/cli';
import { eventually, startRecovery, startStubWorker } from '../helpers/stubRuns';
import { connectHarness } from '../helpers/temporal';

describe('gprecover state on a demo cluster', () => {
  let cluster: DemoCluster;
  let clustersFile: string;
  let env: NodeJS.ProcessEnv;
  let temporal: { client: Client; connection: Connection };
  const spawned: ChildProcess[] = [];

  const state = (...args: string[]) => runCli(['state', ...args], env);
  const stateJson = async () => {
    const r = await state('--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout);
  };
  const contentAction = (json: { contents: Array<{ content: number; action: string | null }> }, content: number) =>
    json.contents.find((c) => c.content === content)?.action;
  const coordinatorDir = async () => (await cluster.segments()).find((r) => r.content === -1 && r.role === 'p')!.datadir;

  beforeAll(async () => {
    ({ cluster, clustersFile } = await createTestCluster('state', '127.0.141'));
    env = { GPRECOVER_CONFIG: clustersFile, GPRECOVER_CLUSTER: cluster.name, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace') };
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    temporal = { connection, client: new Client({ connection, namespace: inject('temporalNamespace') }) };
  });

  afterAll(async () => {
    for (const p of spawned) p.kill('SIGKILL');
    await temporal?.client.workflow.getHandle(`gprecover-${cluster?.name}`).terminate('test over').catch(() => undefined);
    await temporal?.connection.close();
    await cluster?.destroy();
  });

  it('on a healthy cluster shows every catalog row, mirrors caught up, nothing to do, no lock, no run', async () => {
    const [r, json, catalog] = await Promise.all([state(), stateJson(), cluster.segments()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`cluster state (${json.flavor.title}), coordinator ${cluster.config().coordinator.host}:${cluster.config().coordinator.port}`);
    for (const row of catalog) {
      const wal = row.role === 'm' ? ' +\\d+' : '';
      const line = new RegExp(`^${row.dbid} +${row.content} +${row.role} +${row.preferredRole} +${row.mode} +${row.status} +${row.hostname} +${row.address}:${row.port} +${row.datadir} +yes${wal}$`);
      expect(lines.filter((l) => line.test(l)), `row of dbid ${row.dbid}`).toHaveLength(1);
    }
    expect(r.stdout).toMatch(/^nothing to do/m);
    expect(r.stdout).toMatch(/^gprecoverseg lock: none$/m);
    expect(r.stdout).toMatch(/^gprecover run: none running$/m);

    expect(json.segments.map((s: SegmentRow) => ({ dbid: s.dbid, content: s.content, role: s.role, preferredRole: s.preferredRole, mode: s.mode, status: s.status, port: s.port, hostname: s.hostname, address: s.address, datadir: s.datadir })))
      .toEqual(catalog);
    expect(json.segments.every((s: { answers: boolean }) => s.answers)).toBe(true);
    for (const s of json.segments) expect(s.walBytesBehind === null ? s.role : typeof s.walBytesBehind).toBe(s.role === 'm' ? 'number' : s.role);
    expect(json.contents).toEqual([0, 1, 2, 3].map((content) => ({ content, action: null })));
    expect(json).toMatchObject({ cluster: 'state', lock: null, run: null });
  });

  it("shows gprecoverseg's lock: stale for a dead pid, held for a live one", async () => {
    const lockDir = path.join(await coordinatorDir(), 'gprecoverseg.lock');
    const osUser = cluster.config().osUser;
    const writeLock = (pid: number) => {
      fs.mkdirSync(lockDir, { recursive: true });
      fs.writeFileSync(path.join(lockDir, 'PID'), `${pid}\n`);
      if (process.getuid?.() === 0 && osUser && osUser !== 'root') {
        const [uid, gid] = execFileSync('getent', ['passwd', osUser], { encoding: 'utf8' }).split(':').slice(2, 4).map(Number);
        for (const p of [lockDir, path.join(lockDir, 'PID')]) fs.chownSync(p, uid, gid);
      }
    };
    try {
      writeLock(999999);
      const stale = await state();
      expect(stale.stdout).toContain(`gprecoverseg lock: held by pid 999999 (stale: no such process on the coordinator host) (${lockDir})`);
      const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
      spawned.push(sleeper);
      writeLock(sleeper.pid!);
      const held = await stateJson();
      expect(held.lock).toEqual({ path: lockDir, pid: sleeper.pid, stale: false, command: 'sleep 60' });
      expect((await state()).stdout).toContain(`\ngprecoverseg lock: held by pid ${sleeper.pid}: sleep 60 (${lockDir})\n`);
      sleeper.kill('SIGKILL');
    } finally {
      fs.rmSync(lockDir, { recursive: true, force: true });
    }
  });

  it("shows the cluster's running gprecover run", async () => {
    // A run nobody works on stays RUNNING: enough to show that state finds it under gprecover-<cluster>.
    const handle = await temporal.client.workflow.start('recoveryWorkflow', {
      taskQueue: `state-nobody-${Date.now()}`, workflowId: `gprecover-${cluster.name}`, args: [{ cluster: cluster.name }],
    });
    try {
      const r = await state();
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^gprecover run: gprecover-${cluster.name}  RUNNING  started \\S+\n  waiting for a worker on task queue state-nobody-\\d+ to pick it up$`, 'm'));
      expect(r.stdout).toContain(`/workflows/gprecover-${cluster.name}/${handle.firstExecutionRunId}`);
      const json = await stateJson();
      expect(json.run).toMatchObject({ workflowId: `gprecover-${cluster.name}`, runId: handle.firstExecutionRunId, status: 'RUNNING' });
    } finally {
      await handle.terminate('test over');
    }
  });

  it("shows a running run's phase and each segment's step and progress", async () => {
    // The real workflows on a worker whose activities answer from a stub catalog: content 0's sync never ends.
    const h = await connectHarness();
    const taskQueue = `state-stub-${Date.now()}`;
    const w = await startStubWorker(h, taskQueue, [{ name: cluster.name, down: [4], hangSync: true }]);
    try {
      const handle = await startRecovery(h.client, taskQueue, { cluster: cluster.name });
      await eventually(async () => {
        const r = await state();
        expect(r.stdout).toMatch(new RegExp(`^gprecover run: gprecover-${cluster.name}  RUNNING  phase recovering`, 'm'));
        expect(r.stdout).toMatch(/^ {2}dbid 4 +content 0 +incremental +sdw2:7000:\/data\/mirror\/gpseg0 {2}syncing {2}status d mode n, 4096 WAL bytes behind$/m);
      }, 30_000);
      const json = await stateJson();
      expect(json.run).toMatchObject({ workflowId: `gprecover-${cluster.name}`, runId: handle.firstExecutionRunId, status: 'RUNNING', segments: [{ dbid: 4, state: 'running' }] });
      await handle.terminate('test over');
    } finally {
      await w.stop();
      await h.close();
    }
  });

  it('a mirror FTS marked down: its content needs recover, it does not answer, WAL behind unknown', async () => {
    await killAndWaitDown(cluster, 6);
    const content = byDbid(await cluster.segments(), 6).content;
    const json = await stateJson();
    expect(contentAction(json, content)).toBe('recover');
    expect(json.segments.find((s: { dbid: number }) => s.dbid === 6)).toMatchObject({ status: 'd', answers: false, walBytesBehind: null });
    expect(json.contents.filter((c: { action: string | null }) => c.action !== null)).toHaveLength(1);
    const r = await state();
    expect(r.stdout).toMatch(/^6 +0 +m +m +n +d .* NO +- +recover$/m);
    expect(r.stdout).toMatch(/^to do: content 0 recover \(gprecover start-recovery\)$/m);
  });

  it('after a failover the old primary needs recover', async () => {
    await cluster.kill(3);
    await cluster.waitFor((rows) => byDbid(rows, 7).role === 'p' && byDbid(rows, 3).status === 'd', 30_000, 'FTS failover of content 1');
    const json = await stateJson();
    expect(contentAction(json, 1)).toBe('recover');
    expect(json.segments.find((s: { dbid: number }) => s.dbid === 3)).toMatchObject({ role: 'm', preferredRole: 'p', status: 'd', answers: false });
    expect(json.segments.find((s: { dbid: number }) => s.dbid === 7)).toMatchObject({ role: 'p', preferredRole: 'm', status: 'u', answers: true });
  });

  it('an unknown cluster is one line, exit 2; a coordinator that does not answer is one line, exit 1', async () => {
    const unknown = await runCli(['state', '--cluster', 'nosuch'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/^gprecover state: unknown cluster 'nosuch' \(known: state; clusters are configured in /);
    saveClusterConfig({ ...cluster.config(), name: 'state-dead', flavor: 'gp7', coordinator: { ...cluster.config().coordinator, port: 1 } }, clustersFile);
    const dead = await runCli(['state', '--cluster', 'state-dead'], env);
    expect(dead.code).toBe(1);
    expect(dead.stderr.trim().split('\n')).toHaveLength(1);
    expect(dead.stderr).toMatch(/^gprecover state: cannot connect to the coordinator of cluster 'state-dead' at .*:1: /);
  });
});
