// Issue 19 on the demo: whoever can start a workflow is not root on every segment host. Each test names the hole it
// closes and fails on the code before the fix.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { DemoCluster } from '../../demo';
import type { SegmentPlan } from '../../domain/recovery';
import { rebalanceWorkflow, recoveryWorkflow, segmentRecoveryWorkflow } from '../../workflows';
import { runCli } from '../helpers/cli';
import { byDbid, createTestCluster, healthy, killAndWaitDown } from '../helpers/demo';
import { connectHarness, type RunningWorker, type TemporalHarness } from '../helpers/temporal';

const TASK_QUEUE = 'gp-recovery-safety';
const PREFIX = '127.0.181';

/** The innermost message of a failure chain: what the worker said. */
function innermost(err: unknown): string {
  let e = err as { cause?: unknown; message?: string } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return String(e?.message ?? err);
}

/** What a directory holds, by name, size and modification time: equal before and after means nothing was written. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !/^(pg_stat_tmp|pg_wal|log|pg_logical|pg_subtrans|pg_xact|pg_multixact|base|global|pg_replslot)$/.test(path.relative(dir, p).split('/')[0])) {
        const st = fs.statSync(p);
        out.push(`${path.relative(dir, p)} ${st.size} ${st.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}

describe('the trust boundary: workflow input is not trusted', () => {
  let cluster: DemoCluster;
  let clustersFile: string;
  let dir: string;
  let h: TemporalHarness;
  let w: RunningWorker;
  let env: NodeJS.ProcessEnv;
  let seq = 0;

  beforeAll(async () => {
    ({ cluster, clustersFile, dir } = await createTestCluster('safe', PREFIX));
    h = await connectHarness();
    w = await h.startWorker({ clustersFile, taskQueue: TASK_QUEUE });
    env = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), GPRECOVER_TASK_QUEUE: TASK_QUEUE, GPRECOVER_CLUSTER: cluster.name };
    await cluster.loadData(2000);
  });

  afterAll(async () => {
    await w?.stop();
    await h?.close();
    await cluster?.destroy();
  });

  // The hole: segmentRecoveryWorkflow is registered and took its plan from its input, unchecked. Started by hand with a
  // made-up item (dbid 9999, failed = the acting primary's location), it stopped that primary within a second and
  // would have copied over it and removed it.
  it('a segmentRecoveryWorkflow started by hand aimed at an acting primary leaves it running and its directory untouched', async () => {
    const primary = byDbid(await cluster.segments(), 2);
    const before = listing(primary.datadir);
    const pid = fs.readFileSync(path.join(primary.datadir, 'postmaster.pid'), 'utf8').split('\n')[0];
    const at = { hostname: primary.hostname, address: primary.address, port: primary.port, datadir: primary.datadir };
    const forged: SegmentPlan = { content: 0, dbid: 9999, type: 'full', failed: { ...primary, dbid: 9999, role: 'm', status: 'd' }, source: byDbid(await cluster.segments(), 6), target: at, moved: true };
    const err = await h.client.workflow.execute(segmentRecoveryWorkflow, {
      taskQueue: TASK_QUEUE, workflowId: `forged-${++seq}`, args: [{ cluster: cluster.name, item: forged, syncTimeoutMinutes: 1 }],
    }).catch((e: unknown) => e);
    expect((err as WorkflowFailedError).cause).toMatchObject({
      type: 'InvalidRequest',
      message: 'segmentRecoveryWorkflow runs only as the child of the recovery or rebalance that planned it; start recoveryWorkflow {"cluster": "<name>"} instead',
    });
    expect(fs.readFileSync(path.join(primary.datadir, 'postmaster.pid'), 'utf8').split('\n')[0]).toBe(pid);
    expect(listing(primary.datadir)).toEqual(before);
    expect(healthy(await cluster.segments())).toBe(true);
  });

  // The hole, one step further: a workflow of someone else's (their own worker, their own task queue) can be the parent.
  // gprecover's worker acts only for a parent that is a running recovery or rebalance of its own, whose plan holds the item.
  it('a child started by a stranger\'s workflow is refused by its first step: nothing stopped, nothing written; a stranger\'s rebalance gets no lock', async () => {
    const strangerQueue = `stranger-${Date.now()}`;
    const bundle = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../fixtures/strangerWorkflows.ts'), logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error } });
    const stranger = await Worker.create({ connection: h.nativeConnection, namespace: h.namespace, taskQueue: strangerQueue, workflowBundle: bundle });
    const primary = byDbid(await cluster.segments(), 3);
    const before = listing(primary.datadir);
    const at = { hostname: primary.hostname, address: primary.address, port: primary.port, datadir: primary.datadir };
    const forged: SegmentPlan = { content: 1, dbid: 3, type: 'full', failed: primary, source: byDbid(await cluster.segments(), 7), target: at, moved: false };
    await stranger.runUntil(async () => {
      const child = await h.client.workflow.execute('strangerParentWorkflow', {
        taskQueue: strangerQueue, workflowId: `stranger-${++seq}`, args: [TASK_QUEUE, 'segmentRecoveryWorkflow', { cluster: cluster.name, item: forged, syncTimeoutMinutes: 1 }],
      }).catch((e: unknown) => e);
      expect(innermost(child)).toMatch(/is not a running recovery or rebalance of this worker \(strangerParentWorkflow, RUNNING\)/);
      const rebalance = await h.client.workflow.execute('strangerParentWorkflow', {
        taskQueue: strangerQueue, workflowId: `stranger-${++seq}`, args: [TASK_QUEUE, 'rebalanceWorkflow', { cluster: cluster.name }],
      }).catch((e: unknown) => e);
      expect(innermost(rebalance)).toMatch(/runs only under a recovery of this worker that holds the lock/);
    });
    expect(listing(primary.datadir)).toEqual(before);
    expect(healthy(await cluster.segments())).toBe(true);
  });

  // The hole: -i took `all` as a host name; with --hba-hostnames it wrote `host all postgres all trust` into the acting
  // primary's pg_hba.conf, and `all` into gp_segment_configuration. Directories with `$(` went into the catalog too.
  it.each([
    ['hostname all', (m: { hostname: string; address: string; port: number; datadir: string }) => `${m.hostname}|${m.address}|${m.port}|${m.datadir} all|all|${m.port + 100}|${m.datadir}-new`, /^gprecover start-recovery: Invalid hostname on line 1: hostname 'all' is a pg_hba.conf keyword, not a host$/],
    ['address samehost', (m: { address: string; port: number; datadir: string }) => `${m.address}|${m.port}|${m.datadir} samehost|${m.port + 100}|${m.datadir}-new`, /^gprecover start-recovery: Invalid address on line 1: address 'samehost' is a pg_hba.conf keyword, not a host$/],
    ['address samenet', (m: { address: string; port: number; datadir: string }) => `${m.address}|${m.port}|${m.datadir} samenet|${m.port + 100}|${m.datadir}-new`, /^gprecover start-recovery: Invalid address on line 1: address 'samenet' is a pg_hba.conf keyword, not a host$/],
    ['a $( directory', (m: { address: string; port: number; datadir: string }) => `${m.address}|${m.port}|${m.datadir} ${m.address}|${m.port + 100}|/tmp/x$(touch${'${IFS}'}/tmp/pwned)`, /^gprecover start-recovery: Invalid directory on line 1: data directory '\/tmp\/x\$\(touch\$\{IFS\}\/tmp\/pwned\)' holds characters other than letters, digits/],
  ])('-i with %s is refused with exit 2 in one line; pg_hba.conf and the catalog are unchanged', async (_what, line, message) => {
    await killAndWaitDown(cluster, 6);
    const rows = await cluster.segments();
    const mirror = byDbid(rows, 6);
    const primary = rows.find((r) => r.content === mirror.content && r.role === 'p')!;
    const hba = fs.readFileSync(path.join(primary.datadir, 'pg_hba.conf'), 'utf8');
    const file = path.join(dir, `bad-${++seq}.conf`);
    fs.writeFileSync(file, `${line(mirror)}\n`);
    for (const extra of [[], ['--hba-hostnames']]) {
      const r = await runCli(['start-recovery', '-i', file, ...extra, '--wait'], env);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
    // The same text typed into the Web UI as the workflow's recoverConfig.
    const err = await h.client.workflow.execute(recoveryWorkflow, {
      taskQueue: TASK_QUEUE, workflowId: `gprecover-${cluster.name}`, args: [{ cluster: cluster.name, recoverConfig: `${line(mirror)}\n`, hbaHostnames: true }],
    }).catch((e: unknown) => e);
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidRequest' });
    expect(fs.readFileSync(path.join(primary.datadir, 'pg_hba.conf'), 'utf8')).toBe(hba);
    expect(await cluster.segments()).toEqual(rows);
    expect(fs.existsSync('/tmp/pwned')).toBe(false);
    await cluster.startInstance(6);
    await cluster.waitFor(healthy, 30_000, 'dbid 6 back up');
  });

  // The hole: -d / coordinatorDataDirectory took gprecoverseg's lock wherever it said, so two runs of one cluster under
  // different workflow ids ran at once.
  it('two recoveries of one cluster under different workflow ids, one with another -d: the second is refused', async () => {
    await killAndWaitDown(cluster, 7);
    // A slow first run: its copy is throttled, so it holds the lock while the second asks.
    const cfgFile = clustersFile;
    const saved = fs.readFileSync(cfgFile, 'utf8');
    const cfg = JSON.parse(saved);
    cfg.clusters[cluster.name].copyMaxRate = '2M';
    fs.writeFileSync(cfgFile, JSON.stringify(cfg));
    await cluster.loadData(20_000);
    try {
      const first = await h.client.workflow.start(recoveryWorkflow, { taskQueue: TASK_QUEUE, workflowId: `gprecover-${cluster.name}-one`, args: [{ cluster: cluster.name, full: true }] });
      await cluster.waitFor(() => fs.existsSync(path.join(cluster.layout.coordinator.datadir, 'gprecoverseg.lock')), 30_000, 'the first run takes the lock');
      const elsewhere = path.join(dir, 'coordinator-elsewhere');
      const second = await h.client.workflow.execute(recoveryWorkflow, {
        taskQueue: TASK_QUEUE, workflowId: `gprecover-${cluster.name}-two`, args: [{ cluster: cluster.name, full: true, coordinatorDataDirectory: elsewhere }],
      }).catch((e: unknown) => e);
      expect((second as WorkflowFailedError).cause).toMatchObject({
        type: 'InvalidRequest',
        message: `-d ${elsewhere} is not the coordinator data directory of cluster '${cluster.name}' (the catalog has cdw:${cluster.layout.coordinator.datadir})`,
      });
      const third = await h.client.workflow.execute(recoveryWorkflow, {
        taskQueue: TASK_QUEUE, workflowId: `gprecover-${cluster.name}-three`, args: [{ cluster: cluster.name, full: true }],
      }).catch((e: unknown) => e);
      expect((third as WorkflowFailedError).cause?.message).toMatch(new RegExp(`^gprecover run gprecover-${cluster.name}-one/\\S+ is recovering cluster '${cluster.name}': it holds cdw:`));
      expect(fs.existsSync(elsewhere)).toBe(false);
      await first.result();
    } finally {
      fs.writeFileSync(cfgFile, saved);
    }
    expect(healthy(await cluster.segments())).toBe(true);
  }, 300_000);

  // The hole (by review): a rebalance whose promotion failed left the demoted primary stopped: a content with no primary.
  it('a rebalance whose mirror is not promoted starts the stopped primary again: never a content without a primary', async () => {
    await cluster.kill(2);
    await cluster.waitFor((rows) => byDbid(rows, 6).role === 'p' && byDbid(rows, 2).status === 'd', 30_000, 'FTS failover of content 0');
    await h.client.workflow.execute(recoveryWorkflow, { taskQueue: TASK_QUEUE, workflowId: `gprecover-${cluster.name}-${++seq}`, args: [{ cluster: cluster.name }] });
    await cluster.waitFor(healthy, 60_000, 'content 0 in sync, out of its preferred roles');
    await cluster.freezeFts(true);
    try {
      const err = await h.client.workflow.execute(rebalanceWorkflow, {
        taskQueue: TASK_QUEUE, workflowId: `gprecover-${cluster.name}-${++seq}`, args: [{ cluster: cluster.name, outageSeconds: 8 }],
      }).catch((e: unknown) => e);
      expect((err as WorkflowFailedError).cause?.message).toMatch(/^rebalance stopped: content 0: mirror dbid 2 was not promoted \(.*\); dbid 6 started again as its primary$/);
      // The acting primary runs again: the content answers.
      expect(await cluster.query(6, 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: false }]);
    } finally {
      await cluster.freezeFts(false);
    }
    await cluster.waitFor(healthy, 60_000, 'content 0 healthy again');
    expect(byDbid(await cluster.segments(), 6)).toMatchObject({ role: 'p', status: 'u' });
  }, 300_000);
});
