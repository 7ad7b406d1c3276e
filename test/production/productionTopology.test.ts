// docker-compose.yml's production topology run for real, without Docker: Temporal's own server (built from its Go
// module by scripts/temporal-server.sh) on PostgreSQL 15 with SQL visibility, its Web UI server, two `gprecover
// worker` processes on one task queue and the CLI, recovering a demo cluster of real PostgreSQL instances. What the
// dev-server tiers cannot show: that every search-attribute query of `history` is one SQL visibility answers, that a
// schedule runs on a real server's worker service, and that a copy outlives the worker that started it when another
// worker process, not a restarted one, picks it up.
import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { saveClusterConfig } from '../../cluster/config';
import type { DemoCluster } from '../../demo';
import type { HistoryRow } from '../../client/historyTable';
import type { DecisionRow } from '../../client/decisionTable';
import { portOpen } from '../../worker/devServer';
import { recoveryStatusQuery } from '../../workflows/messages';
import { ALL_SEARCH_ATTRIBUTES } from '../../domain/searchAttributes';
import { runCli } from '../helpers/cli';
import { sampleCopies } from '../helpers/copySampler';
import { byDbid, createTestCluster, expectMirrorsIdentical, healthy, killAndWaitDown } from '../helpers/demo';
import { eventually } from '../helpers/stubRuns';
import { spawnWorker, type WorkerProcess } from '../helpers/workerProcess';
import { pins, startProductionServer, type ProductionServer } from './temporalServer';

const TASK_QUEUE = 'gp-recovery-production';
const PREFIX = '127.0.231';
const CHROMIUM = '/usr/bin/chromium';

/** Figures of this run, printed at its end (README "Production topology" quotes a run of them). */
const measured: Record<string, string> = {};
const took = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

describe('production topology: Temporal server on PostgreSQL, its UI, two worker processes, the CLI', () => {
  let server: ProductionServer;
  let cluster: DemoCluster;
  let clustersFile: string;
  let connection: Connection;
  let client: Client;
  let env: NodeJS.ProcessEnv;
  let failed = false;
  const workers: WorkerProcess[] = [];
  const workflowId = () => `gprecover-${cluster.name}`;

  const cli = async (args: string[], timeoutMs = 120_000) => {
    const r = await runCli(args, env, timeoutMs);
    expect(r.stderr, `gprecover ${args.join(' ')}`).toBe('');
    expect(r.code, `gprecover ${args.join(' ')}: ${r.stdout}`).toBe(0);
    return r.stdout;
  };
  const visibility = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = [], database = 'temporal_visibility') => {
    const c = new pg.Client({ host: '127.0.0.1', port: server.pgPort, user: 'postgres', database });
    await c.connect();
    try {
      return (await c.query<T>(sql, params)).rows;
    } finally {
      await c.end();
    }
  };
  const startWorker = async () => {
    const w = await spawnWorker({ address: server.address, namespace: server.namespace, taskQueue: TASK_QUEUE, clustersFile });
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    let t = Date.now();
    server = await startProductionServer();
    measured['server start (initdb, schemas, server, namespace, UI)'] = took(t);
    t = Date.now();
    ({ cluster, clustersFile } = await createTestCluster('prod', PREFIX));
    measured['demo cluster'] = took(t);
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: server.namespace });
    env = {
      TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace, TEMPORAL_UI_URL: server.uiUrl,
      GPRECOVER_TASK_QUEUE: TASK_QUEUE, GPRECOVER_CLUSTER: cluster.name,
    };
    t = Date.now();
    await Promise.all([startWorker(), startWorker()]);
    measured['two worker processes polling'] = took(t);
    // Long enough for a cold build of the server (minutes) when vitest is run directly, not by npm run test:production.
  }, 900_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    await client?.schedule.getHandle(`gprecover-auto-${cluster?.name}`).delete().catch(() => undefined);
    for (const w of workers) await w.kill('SIGTERM');
    await connection?.close();
    await cluster?.destroy();
    if (server) {
      await server.stop();
      // The state directory holds the server's, PostgreSQL's and the UI's logs: kept when something failed.
      if (failed) console.log(`production tier state and logs kept in ${server.dir}`);
      else fs.rmSync(server.dir, { recursive: true, force: true });
    }
    console.log(`production tier, measured: ${JSON.stringify(measured, null, 1)}`);
  });

  it('is the pinned Temporal server on PostgreSQL 15 with SQL visibility, the namespace and search attributes set up, on loopback only', async () => {
    const info = await connection.workflowService.getClusterInfo({});
    expect({ version: info.serverVersion, persistence: info.persistenceStore, visibility: info.visibilityStore })
      .toEqual({ version: pins().server, persistence: 'postgres12', visibility: 'postgres12' });
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: server.namespace });
    expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(ALL_SEARCH_ATTRIBUTES.map((k) => k.name)));

    const [{ version }] = await visibility<{ version: string }>('SELECT version()', [], 'postgres');
    expect(version).toMatch(/^PostgreSQL 15\./);
    const dbs = (await visibility<{ datname: string }>('SELECT datname FROM pg_database', [], 'postgres')).map((r) => r.datname);
    expect(dbs).toEqual(expect.arrayContaining(['temporal', 'temporal_visibility']));

    // Bound to 127.0.0.1: another loopback address of this machine does not reach the frontend, the UI or PostgreSQL.
    const [, port] = server.address.split(':');
    for (const p of [Number(port), Number(new URL(server.uiUrl).port), server.pgPort]) {
      expect(await portOpen('127.0.0.1', p), `127.0.0.1:${p}`).toBe(true);
      expect(await portOpen('127.0.0.2', p), `127.0.0.2:${p}`).toBe(false);
    }
    expect(await cli(['check'])).toContain(cluster.name);
  });

  it('start-recovery --wait recovers a killed mirror through the worker processes on the server', async () => {
    await cluster.loadData(2000);
    await killAndWaitDown(cluster, 6);
    await cluster.loadData(1000); // written while the mirror is down
    const t = Date.now();
    const out = await cli(['start-recovery', '--wait', '-s'], 240_000);
    measured['incremental recovery through the CLI'] = took(t);
    expect(out).toContain(`${server.uiUrl}/namespaces/${server.namespace}/workflows/${workflowId()}`);
    expect(out).toMatch(/recovery finished/);
    expect(healthy(await cluster.segments())).toBe(true);
    await expectMirrorsIdentical(cluster);
  });

  it('history and visibility queries by the search attributes are answered by SQL visibility in PostgreSQL', async () => {
    const rows = await eventually(async () => {
      const r = JSON.parse(await cli(['history', '--json'])) as HistoryRow[];
      expect(r.find((x) => x.workflowId === workflowId())?.outcome).toBe('succeeded');
      return r;
    });
    const run = rows.find((x) => x.workflowId === workflowId())!;
    expect(run).toMatchObject({ cluster: cluster.name, recoveryType: 'incremental', contents: ['0'], status: 'completed', by: expect.stringMatching(/@/) });
    const table = await cli(['history', '--status', 'completed', '--type', 'incremental', '--since', '1h']);
    expect(table).toContain(workflowId());
    expect(await cli(['history', '--status', 'failed'])).not.toContain(workflowId());

    const query = `ClusterName = '${cluster.name}' AND RecoveryType = 'incremental' AND RecoveryOutcome = 'succeeded' AND ContentIds = '0'`;
    const listed: string[] = [];
    for await (const info of client.workflow.list({ query })) listed.push(info.runId);
    expect(listed).toEqual([run.runId]);
    expect((await client.workflow.count(`ClusterName = '${cluster.name}' AND ExecutionStatus = 'Completed'`)).count).toBeGreaterThanOrEqual(2); // the run and its segment's child

    // The same row, read from the visibility database itself.
    const [row] = await visibility<{ workflow_id: string; status: number; search_attributes: Record<string, unknown> }>(
      'SELECT workflow_id, status, search_attributes FROM executions_visibility WHERE run_id = $1', [run.runId]);
    expect(row.workflow_id).toBe(workflowId());
    expect(Object.values(row.search_attributes)).toEqual(expect.arrayContaining([cluster.name, 'incremental', 'succeeded', ['0']]));
    const [{ n }] = await visibility<{ n: string }>('SELECT count(*) AS n FROM history_node', [], 'temporal');
    expect(Number(n)).toBeGreaterThan(0);
  });

  it('the Web UI server built from its Go module serves the UI, which lists the run', async () => {
    const index = await fetch(`${server.uiUrl}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toMatch(/<html/i);
    const api = await fetch(`${server.uiUrl}/api/v1/namespaces/${server.namespace}/workflows?query=${encodeURIComponent(`WorkflowId = '${workflowId()}'`)}`);
    expect(api.status).toBe(200);
    expect(await api.text()).toContain(workflowId());
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (apt-get install chromium)`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`${server.uiUrl}/namespaces/${server.namespace}/workflows`, { waitUntil: 'networkidle' });
      await page.getByText(workflowId(), { exact: true }).first().waitFor({ timeout: 30_000 });
      const shot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-production-ui-')), 'workflows.png');
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`production tier: the UI's workflow list in ${shot}`);
    } finally {
      await browser.close();
    }
  });

  it('a worker killed -9 in the middle of pg_basebackup: the other worker process attaches to the copy and finishes it', async () => {
    // Slow enough that the copy outlives the dead worker's heartbeat timeout (10 s) and the retry on the other one.
    saveClusterConfig({ ...cluster.config(), copyMaxRate: '2M' }, clustersFile);
    await cluster.loadData(150_000);
    await killAndWaitDown(cluster, 8);
    const target = byDbid(await cluster.segments(), 8).datadir;
    const sampler = sampleCopies(target);
    const t = Date.now();
    const recovery = runCli(['start-recovery', '-F', '--wait', '-s'], env, 600_000);

    // The copy is running: which worker process runs its activity? (Worker identity is pid@host of the worker's node.)
    const parent = client.workflow.getHandle(workflowId());
    // (The handle follows the latest run of gprecover-<cluster>: the earlier recovery's until this one has started.)
    const childId = await eventually(async () => {
      const id = (await parent.query(recoveryStatusQuery)).segments.find((x) => x.dbid === 8)?.childWorkflowId;
      expect(id, 'the run of dbid 8 started its child').toBeTruthy();
      return id!;
    }, 60_000);
    const running = await eventually(async () => {
      const desc = await client.workflow.getHandle(childId).describe();
      const copy = desc.raw.pendingActivities?.find((a) => a.activityType?.name === 'copySegment');
      expect(copy?.lastWorkerIdentity, 'copySegment started').toBeTruthy();
      expect(sampler.pids, 'pg_basebackup running').toHaveLength(1);
      return copy!;
    }, 60_000);
    const pid = Number(running.lastWorkerIdentity!.split('@')[0]);
    const groupOf = (p: number) => Number(fs.readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[2]);
    const victim = workers.find((w) => w.child.pid === groupOf(pid));
    expect(victim, `worker ${running.lastWorkerIdentity} is one of ours`).toBeDefined();
    const survivor = workers.find((w) => w !== victim)!;
    await sleep(1000);
    const killedAt = Date.now();
    await victim!.kill('SIGKILL');
    workers.splice(workers.indexOf(victim!), 1);
    const [copyPid] = sampler.pids;
    const copyAlive = () => fs.existsSync(`/proc/${copyPid}`);
    expect(copyAlive(), 'the copy outlived the worker that started it').toBe(true);
    // The surviving worker takes the activity over (after its 10 s heartbeat timeout) while the copy still runs.
    const takenOver = await eventually(async () => {
      const desc = await client.workflow.getHandle(childId).describe();
      const copy = desc.raw.pendingActivities?.find((a) => a.activityType?.name === 'copySegment');
      expect(copy?.lastWorkerIdentity, 'copySegment started again by another worker').not.toBe(running.lastWorkerIdentity);
      expect(copy?.state).toBe(temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED);
      return { identity: copy!.lastWorkerIdentity!, copyAlive: copyAlive() };
    }, 60_000);
    measured['kill -9 to the other worker taking the copy over'] = took(killedAt);
    expect(takenOver.copyAlive, 'pg_basebackup still running when the other worker attached').toBe(true);
    expect(groupOf(Number(takenOver.identity.split('@')[0]))).toBe(survivor.child.pid);

    const r = await recovery;
    sampler.stop();
    measured['-F recovery with a worker killed mid-copy'] = took(t);
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/recovery finished/);
    expect(sampler.pids, 'one pg_basebackup process from start to end').toHaveLength(1);
    expect(sampler.maxConcurrent).toBe(1);
    expect(healthy(await cluster.segments())).toBe(true);
    await expectMirrorsIdentical(cluster);

    // The child's history: the copy completed on a later attempt, by the surviving worker, attached to the running copy.
    const events = (await client.workflow.getHandle(childId).fetchHistory()).events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'copySegment')!;
    const started = events.find((e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled.eventId))!;
    const completed = events.find((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(scheduled.eventId))!;
    expect(started.activityTaskStartedEventAttributes!.attempt).toBeGreaterThanOrEqual(2);
    expect(started.activityTaskStartedEventAttributes!.identity).not.toBe(running.lastWorkerIdentity);
    const identityPid = Number(completed.activityTaskCompletedEventAttributes!.identity!.split('@')[0]);
    expect(groupOf(identityPid), 'completed by the surviving worker process').toBe(survivor.child.pid);
    const outcome = defaultPayloadConverter.fromPayload<{ method: string; attached: boolean }>(completed.activityTaskCompletedEventAttributes!.result!.payloads![0]);
    expect(outcome).toMatchObject({ method: 'pg_basebackup', attached: true });
    measured['kill -9 to the other worker finishing the copy'] = `${((Number(completed.eventTime!.seconds) * 1000 - killedAt) / 1000).toFixed(1)} s`;
    saveClusterConfig({ ...cluster.config(), copyMaxRate: undefined }, clustersFile);
  });

  it('auto enable: the schedule, run by the server, recovers a killed mirror with no other command', async () => {
    const policy = path.join(path.dirname(clustersFile), 'auto-policy.json');
    fs.writeFileSync(policy, JSON.stringify({ downForMinutes: 0.05 }));
    expect(await cli(['auto', 'enable', '--every', '3s', '--policy', policy])).toContain(`schedule gprecover-auto-${cluster.name} checks every 3s on task queue ${TASK_QUEUE}`);
    await killAndWaitDown(cluster, 7);
    const downAt = Date.now();
    await cluster.waitFor(healthy, 120_000, 'dbid 7 recovered by the schedule');
    measured['auto-recovery, mirror down to healthy'] = took(downAt);
    await expectMirrorsIdentical(cluster);
    const decision = await eventually(async () => {
      const d = (JSON.parse(await cli(['history', '--auto', '--json'])) as DecisionRow[]).find((x) => x.decision === 'started' && Date.parse(x.startTime) >= downAt - 1000);
      expect(d?.outcome).toBe('succeeded');
      return d!;
    }, 60_000);
    expect(decision).toMatchObject({ code: 'recover', type: 'incremental', contents: ['1'], by: `schedule gprecover-auto-${cluster.name}` });
    const runs = JSON.parse(await cli(['history', '--json'])) as HistoryRow[];
    expect(runs.find((x) => x.runId === decision.recovery?.runId)).toMatchObject({ outcome: 'succeeded', by: `schedule gprecover-auto-${cluster.name}` });
    expect(await cli(['auto', 'disable'])).toContain('disabled');
  });
});
