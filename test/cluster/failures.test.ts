import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DemoCluster } from '../../demo';
import { osIdentity } from '../../cluster/exec/local';
import { runCli } from '../helpers/cli';
import { byDbid, createTestCluster, healthy, killAndWaitDown } from '../helpers/demo';
import { eventually } from '../helpers/stubRuns';
import { connectHarness, type RunningWorker, type TemporalHarness } from '../helpers/temporal';

const TASK_QUEUE = 'gp-recovery-failures';

/** One line on stderr, no stack trace. */
const oneLine = (stderr: string) => {
  expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return stderr.trim();
};

describe('failures a DBA can act on: fast, typed, explained where the DBA looks', () => {
  let cluster: DemoCluster;
  let dir: string;
  let h: TemporalHarness;
  let w: RunningWorker;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const made = await createTestCluster('fail', '127.0.131');
    ({ cluster, dir } = made);
    h = await connectHarness();
    w = await h.startWorker({ clustersFile: made.clustersFile, taskQueue: TASK_QUEUE });
    env = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), GPRECOVER_TASK_QUEUE: TASK_QUEUE, GPRECOVER_CLUSTER: cluster.name };
    await cluster.loadData(1000);
  });

  afterAll(async () => {
    await w?.stop();
    await h?.close();
    await cluster?.destroy();
  });

  it('a copy that fails for a reason retrying cannot fix fails at its first attempt, in seconds, and its move is backed out', async () => {
    await killAndWaitDown(cluster, 6);
    const m = byDbid(await cluster.segments(), 6);
    // The move's tablespace directory <location>/6 belongs to root: the segments' OS user cannot copy into it.
    const ts6 = path.join(cluster.layout.tablespaceLocation!, '6');
    const owner = osIdentity(cluster.layout.osUser)!;
    fs.chownSync(ts6, 0, 0);
    const conf = path.join(dir, 'move.conf');
    const newDir = path.join(path.dirname(m.datadir), 'moved-gpseg0');
    fs.writeFileSync(conf, `${m.address}|${m.port}|${m.datadir} ${m.address}|${m.port + 200}|${newDir}\n`);
    try {
      const began = Date.now();
      const r = await runCli(['start-recovery', '-i', conf, '--wait', '-s'], env);
      const took = Date.now() - began;
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toMatch(
        /^gprecover: recovery failed: 1 of 1 segment\(s\) failed: dbid 6: pg_basebackup into sdw2:\S+moved-gpseg0 failed \(exit 1\): .*permission denied.*\(permission denied; retrying cannot fix this\)$/i);
      expect(took, 'no retries of what cannot succeed').toBeLessThan(30_000);
      expect(byDbid(await cluster.segments(), 6)).toMatchObject({ hostname: m.hostname, port: m.port, datadir: m.datadir, status: 'd' });
      expect((await cluster.history(20)).some((row) => row.dbid === 6 && /backed out the catalog change for dbid 6/.test(row.desc))).toBe(true);
      // The run's own timeline: the copy ran once.
      const workflowId = `gprecover-${cluster.name}`;
      const shown = await runCli(['show', workflowId, '--json'], env);
      const timeline = JSON.parse(shown.stdout) as { children: Array<{ steps: Array<{ activity: string; attempts: number }> }> };
      const copies = timeline.children.flatMap((c) => c.steps).filter((s) => s.activity === 'copySegment');
      expect(copies.map((s) => s.attempts)).toEqual([1]);
      const text = await runCli(['show', workflowId], env);
      expect(text.stdout).toMatch(/permission denied/i);
      expect(text.stdout).not.toMatch(/Activity task failed|Child Workflow execution failed/);
    } finally {
      fs.chownSync(ts6, owner.uid, owner.gid);
    }
    const again = await runCli(['start-recovery', '--wait', '-s'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(healthy(await cluster.segments())).toBe(true);
  });

  it('a stopped coordinator is waited for, said so in status, then named in a one-line failure; show and history give the root cause', async () => {
    await killAndWaitDown(cluster, 7);
    const coordinator = `${cluster.layout.coordinator.address}:${cluster.layout.coordinator.port}`;
    await cluster.kill(1);
    try {
      const began = Date.now();
      const run = runCli(['start-recovery', '--wait', '-s', '--outage-wait', '20'], env);
      const waiting = await eventually(async () => {
        const st = await runCli(['status'], env);
        expect(st.stdout).toMatch(new RegExp(`waiting for the coordinator at ${coordinator.replace(/\./g, '\\.')} \\(attempt \\d+, last error ECONNREFUSED\\)`));
        return st.stdout;
      }, 20_000);
      expect(waiting).not.toMatch(/no segments to recover/i);
      const r = await run;
      const took = Date.now() - began;
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`^gprecover: recovery failed: cannot connect to the coordinator of cluster '${cluster.name}' at ${coordinator.replace(/\./g, '\\.')}: .*ECONNREFUSED`));
      // Temporal ends the waiting as soon as the next retry would land past the bound (20 s).
      expect(took).toBeGreaterThanOrEqual(10_000);
      expect(took).toBeLessThan(60_000);

      const status = await runCli(['status'], env);
      expect(status.stdout).toMatch(/phase failed/);
      expect(status.stdout).toMatch(new RegExp(`error: cannot connect to the coordinator of cluster '${cluster.name}' at ${coordinator.replace(/\./g, '\\.')}`));
      expect(status.stdout).not.toMatch(/no segments to recover/i);
      const shown = await runCli(['show', `gprecover-${cluster.name}`], env);
      expect(shown.stdout).toMatch(/Outcome: failed.*cannot connect to the coordinator/);
      expect(shown.stdout).not.toMatch(/Activity task failed/);
      await eventually(async () => {
        const history = await runCli(['history', '--cluster', cluster.name, '--status', 'failed'], env);
        expect(history.stdout).toMatch(/failed\s+\S+\s+\S+@\S+\s+cannot connect to the coordinator/);
      });
    } finally {
      await cluster.start();
    }
    const again = await runCli(['start-recovery', '--wait', '-s'], env);
    expect(again.code, again.stderr).toBe(0);
  });
});
