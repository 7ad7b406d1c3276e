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
    // Once the copy has a rate: its own ETA, and the run's.
    expect(r.stdout).toMatch(/pg_basebackup \d+\/\d+ kB \(\d+%\), [\d.]+ MB\/s, ETA \d+(s|m\d\ds)/);
    expect(r.stdout).toMatch(/ETA: about \d+(s|m\d\ds) \(\d\d:\d\d:\d\dZ\): 1 running segment\(s\) by their rates/);
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

  it('pause, skip, set and resume steer a running recovery; refusals are one line, exit 2; show lists who asked', async () => {
    for (const d of [6, 7, 8]) await cluster.kill(d);
    await cluster.waitFor((rows) => [6, 7, 8].every((d) => byDbid(rows, d).status === 'd'), 30_000, 'dbid 6, 7 and 8 down');
    // Throttled, so that the first copy is still running while the run is steered around it.
    const start = await runCli(['start-recovery', '-F', '-B', '1', '-b', '1', '--max-rate', '2M', '--json'], env);
    expect(start.code, start.stderr).toBe(0);
    const { workflowId } = JSON.parse(start.stdout) as { workflowId: string };
    const ok = async (args: string[]) => {
      const r = await runCli(args, env);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
      return r.stdout.trim();
    };
    const refused = async (args: string[]) => {
      const r = await runCli(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stdout}`).toBe(2);
      expect(r.stderr.trim().split('\n'), 'one line').toHaveLength(1);
      return r.stderr.trim();
    };
    const view = async () => JSON.parse(await ok(['status', '--json'])) as { run: { segments: Array<{ dbid: number; state: string }> } };
    for (let i = 0; i < 300 && !(await view()).run?.segments?.some((s) => s.state === 'running'); i++) await sleep(100);

    expect(await ok(['pause'])).toMatch(/^gprecover-cli: paused: no new segment starts, and none waiting for a slot starts its copy, until resumed \(running ones go on\); now -B 1 -b 1, paused$/);
    const steered = (await view()).run.segments;
    const pending = steered.find((s) => s.state === 'pending')!.dbid;
    const running = steered.find((s) => s.state === 'running')!.dbid;
    expect(await refused(['skip', String(running)])).toMatch(new RegExp(`dbid ${running} is running: only a segment not yet started can be skipped`));
    expect(await refused(['pause', workflowId])).toMatch(/^gprecover pause: gprecover-cli: the run is paused already \(by \S+@\S+\)$/);
    expect(await ok(['status'])).toMatch(/controls: -B 1 -b 1, paused \(gprecover resume gprecover-cli\)/);
    expect(await ok(['skip', workflowId, String(pending)])).toMatch(new RegExp(`^gprecover-cli: dbid ${pending} skipped: it is not recovered by this run; now -B 1 -b 1, paused$`));
    expect(await refused(['set', '--hosts', '99'])).toBe("gprecover set: --hosts must be a whole number from 1 to 64, not '99'");
    expect(await ok(['set', '--hosts', '2', '--per-host', '2'])).toMatch(/^gprecover-cli: -B 2 -b 2 for copies not yet started \(was -B 1 -b 1\); now -B 2 -b 2, paused$/);
    expect(await ok(['resume'])).toMatch(/^gprecover-cli: resumed/);

    await h.client.workflow.getHandle(workflowId).result();
    const final = await view();
    expect(final.run.segments.filter((s) => s.state === 'skipped').map((s) => s.dbid)).toEqual([pending]);
    expect(final.run.segments.filter((s) => s.state === 'succeeded')).toHaveLength(2);
    expect(await refused(['resume'])).toBe('gprecover resume: workflow gprecover-cli is not running (COMPLETED)');
    const shown = await ok(['show', workflowId]);
    expect(shown).toMatch(new RegExp(`Live controls:\n  \\S+  pause  by \\S+@\\S+\n  \\S+  skipSegment dbid=${pending}  by \\S+@\\S+\n  \\S+  setParallelism hostParallelism=2 segmentParallelism=2  by \\S+@\\S+\n  \\S+  resume  by \\S+@\\S+`));
    // The skipped segment is still down; a run of its own recovers it.
    expect(byDbid(await cluster.segments(), pending).status).toBe('d');
    await ok(['start-recovery', '--wait', '--no-progress']);
    await cluster.waitFor(healthy, 60_000, 'every segment up and in sync');
  });

  it('warns when no worker polls the task queue (the run waits for one)', async () => {
    const r = await runCli(['start-recovery', '--cluster', 'ghost', '--json'], { ...env, GPRECOVER_TASK_QUEUE: 'nobody-polls-this' });
    expect(r.code).toBe(0);
    expect(r.stderr.trim()).toBe("gprecover: warning: no worker is polling task queue 'nobody-polls-this'; the run waits until one does (start one with 'bin/gprecover worker', or 'npm start' for the local setup)");
    await h.client.workflow.getHandle(JSON.parse(r.stdout).workflowId).terminate('test over');
  });
});
