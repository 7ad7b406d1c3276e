import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import type { DemoCluster } from '../../demo';
import type { RecoveryInput } from '../../domain/recovery';
import { recoveryWorkflow } from '../../workflows';
import { buildRunTimeline } from '../../client/timeline/fromHistory';
import { childIds } from '../replay/scenarios';
import { byDbid, createTestCluster, expectMirrorsIdentical, healthy, killAndWaitDown } from '../helpers/demo';
import { connectHarness, type RunningWorker, type TemporalHarness } from '../helpers/temporal';

/** A demo cluster of one flavour with its own worker. */
function useFlavor(flavor: 'postgres' | 'cloudberry', ipPrefix: string) {
  const it = { cluster: undefined as unknown as DemoCluster, h: undefined as unknown as TemporalHarness, w: undefined as RunningWorker | undefined };
  let seq = 0;
  beforeAll(async () => {
    it.cluster = (await createTestCluster(`fl-${flavor}`, ipPrefix, { flavor })).cluster;
    it.h = await connectHarness();
    it.w = await it.h.startWorker({ clustersFile: it.cluster.clustersFile, taskQueue: `flavor-${flavor}` });
    await it.cluster.loadData(2000);
  });
  afterAll(async () => {
    await it.w?.stop();
    await it.h?.close();
    await it.cluster?.destroy();
  });
  let lastRun = '';
  const recover = (input: Omit<RecoveryInput, 'cluster'> = {}) => it.h.client.workflow.execute(recoveryWorkflow, {
    taskQueue: `flavor-${flavor}`, workflowId: (lastRun = `gprecover-fl-${flavor}-${++seq}-${Date.now()}`), args: [{ cluster: it.cluster.name, ...input }],
  });
  /** The wipe steps of the last run's only child: local or an activity task, and what each said. */
  const lastWipes = async () => {
    const [child] = await childIds(it.h.client, it.h.client.workflow.getHandle(lastRun));
    const timeline = buildRunTimeline(await it.h.client.workflow.getHandle(child).fetchHistory());
    return timeline.steps.filter((s) => s.activity === 'wipeTarget').map((s) => ({ local: !!s.local, cleared: (s.result as { cleared?: boolean } | undefined)?.cleared }));
  };
  /** A fresh worker: a worker trusts the flavour it detected for a minute. */
  const restartWorker = async () => {
    await it.w?.stop();
    it.w = await it.h.startWorker({ clustersFile: it.cluster.clustersFile, taskQueue: `flavor-${flavor}` });
  };
  return { get cluster() { return it.cluster; }, recover, restartWorker, lastWipes };
}

describe('plain PostgreSQL tools (flavour postgres): no Greenplum flag reaches them', () => {
  const f = useFlavor('postgres', '127.0.121');

  it('incremental and full recovery work with the tools as PostgreSQL ships them', async () => {
    await killAndWaitDown(f.cluster, 6);
    await f.cluster.loadData(500);
    expect((await f.recover()).segments.map((s) => [s.dbid, s.type, s.state])).toEqual([[6, 'incremental', 'succeeded']]);
    await killAndWaitDown(f.cluster, 7);
    // PostgreSQL's pg_basebackup refuses --target-gp-dbid, --force-overwrite and -E: a full copy proves none was sent.
    expect((await f.recover({ full: true })).segments.map((s) => [s.dbid, s.type, s.state])).toEqual([[7, 'full', 'succeeded']]);
    // PostgreSQL's pg_basebackup needs the directory empty: the short step checks it, an activity task (which
    // heartbeats through a removal of hours) empties it.
    expect(await f.lastWipes()).toEqual([{ local: true, cleared: false }, { local: false, cleared: true }]);
    expect(healthy(await f.cluster.segments())).toBe(true);
    await expectMirrorsIdentical(f.cluster);
  });

  it('a coordinator whose version() reports Greenplum 6 is refused in one sentence, nothing changed', async () => {
    await killAndWaitDown(f.cluster, 8);
    const coordinator = (await f.cluster.segments()).find((r) => r.content === -1)!;
    // What a Greenplum 6 coordinator answers, in place of PostgreSQL 15's own version() (found first on the search path).
    const gp6 = 'PostgreSQL 9.4.26 (Greenplum Database 6.25.3 build commit:367edc6) on x86_64-unknown-linux-gnu';
    await f.cluster.query(coordinator.dbid, `CREATE FUNCTION public.version() RETURNS text LANGUAGE sql AS $$ SELECT '${gp6}'::text $$`);
    await f.cluster.query(coordinator.dbid, `ALTER DATABASE postgres SET search_path = "$user", public, pg_catalog`);
    const cfgFile = f.cluster.clustersFile;
    const saved = fs.readFileSync(cfgFile, 'utf8');
    const auto = JSON.parse(saved);
    auto.clusters[f.cluster.name].flavor = 'auto';
    fs.writeFileSync(cfgFile, JSON.stringify(auto));
    try {
      const before = JSON.stringify(await f.cluster.segments());
      await f.restartWorker();
      const err = await f.recover().catch((e) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toMatchObject({
        type: 'InvalidRequest',
        message: `cluster '${f.cluster.name}' runs Greenplum 6.25.3, which gprecover does not support (gprecover speaks Greenplum 7 and Apache Cloudberry); use that release's own gprecoverseg`,
      });
      expect(JSON.stringify(await f.cluster.segments())).toBe(before);
    } finally {
      fs.writeFileSync(cfgFile, saved);
      await f.cluster.query(coordinator.dbid, 'ALTER DATABASE postgres RESET search_path');
      await f.cluster.query(coordinator.dbid, 'DROP FUNCTION public.version()');
      await f.restartWorker();
    }
    expect((await f.recover()).segments.map((s) => [s.dbid, s.state])).toEqual([[8, 'succeeded']]);
  });
});

describe('Apache Cloudberry (flavour cloudberry): its own start, no differential recovery', () => {
  const f = useFlavor('cloudberry', '127.0.122');

  it('full and incremental recovery keep each segment\'s identity; the port travels on pg_ctl -o, as Cloudberry passes it', async () => {
    await killAndWaitDown(f.cluster, 6);
    expect((await f.recover({ full: true })).segments.map((s) => [s.dbid, s.type, s.state])).toEqual([[6, 'full', 'succeeded']]);
    // Cloudberry's pg_basebackup --force-overwrite writes over the directory: the wipe is its checks, one short step.
    expect(await f.lastWipes()).toEqual([{ local: true, cleared: false }]);
    const m = byDbid(await f.cluster.segments(), 6);
    expect(fs.readFileSync(path.join(m.datadir, 'postmaster.opts'), 'utf8')).toContain(`"-p" "${m.port}"`);
    expect(fs.existsSync(path.join(m.datadir, 'postgresql.conf.bak'))).toBe(false);
    await killAndWaitDown(f.cluster, 7);
    await f.cluster.loadData(500);
    expect((await f.recover()).segments.map((s) => [s.dbid, s.type, s.state])).toEqual([[7, 'incremental', 'succeeded']]);
    await expectMirrorsIdentical(f.cluster);
  });

  it('--differential is refused in one line: Cloudberry\'s gprecoverseg has none', async () => {
    await killAndWaitDown(f.cluster, 8);
    const err = await f.recover({ differential: true }).catch((e) => e);
    expect((err as WorkflowFailedError).cause).toMatchObject({
      type: 'InvalidRequest',
      message: expect.stringMatching(/^Apache Cloudberry \(configured\) has no differential recovery \(gprecoverseg --differential is Greenplum 7 only\); use incremental or -F \(full\)$/),
    });
    expect((await f.recover()).segments.map((s) => [s.dbid, s.state])).toEqual([[8, 'succeeded']]);
  });
});
