import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { saveClusterConfig } from '../../cluster/config';
import { parseRecoverConfig } from '../../domain/recoverConfig';
import type { DemoCluster } from '../../demo';
import { progressBar } from '../../client/progress';
import { byDbid, createTestCluster, healthy } from '../helpers/demo';
import { runCli } from '../helpers/cli';
import { connectHarness, type RunningWorker, type TemporalHarness } from '../helpers/temporal';

const TASK_QUEUE = 'gp-recovery-cli';

describe('the gprecover CLI against a worker and a demo cluster', () => {
  let cluster: DemoCluster;
  let clustersFile: string;
  let dir: string;
  let h: TemporalHarness;
  let w: RunningWorker;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    ({ cluster, clustersFile, dir } = await createTestCluster('cli', '127.0.101'));
    saveClusterConfig({ ...cluster.config(), copyMaxRate: '4M' }, clustersFile);
    await cluster.loadData(80_000);
    h = await connectHarness();
    w = await h.startWorker({ clustersFile, taskQueue: TASK_QUEUE });
    env = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), GPRECOVER_TASK_QUEUE: TASK_QUEUE, GPRECOVER_CLUSTER: cluster.name };
  });

  afterAll(async () => {
    await w?.stop();
    await h?.close();
    await cluster?.destroy();
  });

  it('draws progress bars from heartbeat percentages', () => {
    expect(progressBar('pg_basebackup 500/1000 kB (50%)', 10)).toBe('[#####-----] ');
    expect(progressBar('status d mode n')).toBe('');
  });

  it('-o writes a sample recover-config of the failed segments', async () => {
    await cluster.kill(6);
    await cluster.waitFor((rows) => byDbid(rows, 6).status === 'd', 30_000, 'dbid 6 down');
    const out = path.join(dir, 'sample.conf');
    const r = await runCli(['start-recovery', '-o', out], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = byDbid(await cluster.segments(), 6);
    expect(parseRecoverConfig(fs.readFileSync(out, 'utf8')).map((l) => l.failed)).toEqual([{ hostname: m.hostname, address: m.address, port: m.port, datadir: m.datadir }]);
  });

  it('start-recovery --wait shows progress, refuses a second run, and status reports it', async () => {
    const running = runCli(['start-recovery', '-F', '--wait'], { ...env, COLUMNS: '200' });
    // While the first run copies, a second start is refused with the running run's id.
    const first = h.client.workflow.getHandle('gprecover-cli');
    for (let i = 0; i < 300; i++) {
      const state = await first.describe().then((d) => d.status.name, () => 'NOT_STARTED');
      if (state === 'RUNNING') break;
      await sleep(100);
    }
    const second = await runCli(['start-recovery'], env);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/a recovery or rebalance of cluster 'cli' is already running: workflow gprecover-cli run \S+ started/);
    const r = await running;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dbid 6 +content 0 +full .* copying {2}\[[#-]{20}\] pg_basebackup \d+\/\d+ kB \(\d+%\)/);
    expect(r.stdout).toMatch(/recovery finished/);
    expect(healthy(await cluster.segments())).toBe(true);

    const status = await runCli(['status', '--json'], env);
    expect(status.code).toBe(0);
    const view = JSON.parse(status.stdout);
    expect(view).toMatchObject({ workflowId: 'gprecover-cli', status: 'COMPLETED', run: { phase: 'done', segments: [{ dbid: 6, type: 'full', state: 'succeeded' }] } });
  });

  it('cancel stops a running recovery; --json start prints ids', async () => {
    await cluster.kill(7);
    await cluster.waitFor((rows) => byDbid(rows, 7).status === 'd', 30_000, 'dbid 7 down');
    const start = await runCli(['start-recovery', '-F', '--json'], env);
    expect(start.code).toBe(0);
    const { workflowId, runId } = JSON.parse(start.stdout);
    expect(workflowId).toBe('gprecover-cli');
    await sleep(2000);
    const cancel = await runCli(['cancel', workflowId, '--wait'], env);
    expect(cancel.stderr).toBe('');
    expect(cancel.stdout).toMatch(new RegExp(`cancellation requested for gprecover-cli run ${runId}[\\s\\S]*is CANCELLED`));
    const again = await runCli(['cancel', workflowId], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/workflow gprecover-cli is not running \(CANCELLED\)/);
    // The cancelled in-place full recovery leaves dbid 7 down and recoverable.
    expect(byDbid(await cluster.segments(), 7)).toMatchObject({ status: 'd', role: 'm' });
    const redo = await runCli(['start-recovery', '-F', '--wait', '--no-progress'], env);
    expect(redo.code).toBe(0);
    expect(healthy(await cluster.segments())).toBe(true);
  });

  it('warns when no worker polls the task queue (the run waits for one)', async () => {
    const r = await runCli(['start-recovery', '--cluster', 'ghost', '--json'], { ...env, GPRECOVER_TASK_QUEUE: 'nobody-polls-this' });
    expect(r.code).toBe(0);
    expect(r.stderr.trim()).toBe("gprecover: warning: no worker is polling task queue 'nobody-polls-this'; the run waits until one does (start one with 'bin/gprecover worker', or 'npm start' for the local setup)");
    await h.client.workflow.getHandle(JSON.parse(r.stdout).workflowId).terminate('test over');
  });
});
