import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { saveClusterConfig, toolsDir } from '../../cluster/config';
import { findPgBin } from '../../cluster/pgBin';
import { jobDirFor, killJob, removeJob, startJob } from '../../cluster/jobs';
import type { DemoCluster } from '../../demo';
import { recoveryWorkflow, rebalanceWorkflow } from '../../workflows';
import type { RecoveryInput, SegmentPlan } from '../../domain/recovery';
import { fetchTimeline } from '../../client/commands/show';
import { connectHarness, type RunningWorker, type TemporalHarness } from '../helpers/temporal';
import { byDbid, createTestCluster, killAndWaitDown, expectMirrorsIdentical, healthy } from '../helpers/demo';

const TASK_QUEUE = 'gp-recovery-it';

describe('recovery on a demo cluster of real PostgreSQL instances', () => {
  let h: TemporalHarness;
  let w: RunningWorker;
  let cluster: DemoCluster;
  let name: string;
  let spare: string;
  let seq = 0;

  const recover = (input: Omit<RecoveryInput, 'cluster'> = {}) =>
    h.client.workflow.execute(recoveryWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: `gprecover-${name}-${++seq}`,
      args: [{ cluster: name, ...input }],
    });

  beforeAll(async () => {
    const made = await createTestCluster('rec', '127.0.51');
    cluster = made.cluster;
    name = cluster.name;
    console.log(`demo cluster up in ${made.startupMs} ms`);
    h = await connectHarness();
    // A spare host for -p; it shares this machine's disk, so a recovered segment must listen on its catalog address.
    spare = await cluster.addSpareHost('sdw3');
    saveClusterConfig({ ...cluster.config(), listenOnCatalogAddress: true }, made.clustersFile);
    w = await h.startWorker({ clustersFile: made.clustersFile, taskQueue: TASK_QUEUE });
    await cluster.loadData(2000);
  });

  afterAll(async () => {
    await w?.stop();
    await h?.close();
    await cluster?.destroy();
  });

  it('dry run plans the recovery of a down mirror and changes nothing', async () => {
    const healthyPlan = await recover({ dryRun: true });
    expect(healthyPlan.plan.items).toEqual([]);
    await killAndWaitDown(cluster, 6);
    const before = await cluster.segments();
    const historyBefore = (await cluster.history(1000)).length;
    const res = await recover({ dryRun: true });
    expect(res.plan.items.map((i) => [i.dbid, i.type, i.source.dbid])).toEqual([[6, 'incremental', 2]]);
    expect(await cluster.segments()).toEqual(before);
    expect((await cluster.history(1000)).length).toBe(historyBefore);
    // Back as it was, without gprecover: the mirror restarts and FTS marks it up.
    await cluster.startInstance(6);
    await cluster.waitFor((rows) => healthy(rows), 30_000, 'dbid 6 back up');
  });

  it('incremental recovery of a killed mirror brings it back u/s with identical rows', async () => {
    await killAndWaitDown(cluster, 6);
    await cluster.loadData(1000); // written while the mirror is down
    const res = await recover();
    expect(res.succeeded).toBe(1);
    expect(healthy(await cluster.segments())).toBe(true);
    await expectMirrorsIdentical(cluster);
  });

  it('recovers a failed-over primary as the mirror of its promoted peer (pg_rewind)', async () => {
    await cluster.kill(3);
    await cluster.waitFor((rows) => byDbid(rows, 7).role === 'p' && byDbid(rows, 3).status === 'd', 30_000, 'FTS failover of content 1');
    await cluster.loadData(1000); // the promoted primary moves ahead on a new timeline
    const res = await recover();
    expect(res.segments.map((s) => [s.dbid, s.type, s.state])).toEqual([[3, 'incremental', 'succeeded']]);
    const rows = await cluster.segments();
    expect(byDbid(rows, 3)).toMatchObject({ role: 'm', preferredRole: 'p', status: 'u', mode: 's' });
    expect(byDbid(rows, 7)).toMatchObject({ role: 'p', status: 'u', mode: 's' });
    await expectMirrorsIdentical(cluster);
  });

  it('full recovery (-F) rebuilds a mirror with pg_basebackup, keeping its dbid and, first, the evidence of its failure', async () => {
    await killAndWaitDown(cluster, 8);
    // What only the failed directory holds: the copy replaces postgresql.conf.
    const failedConf = path.join(byDbid(await cluster.segments(), 8).datadir, 'postgresql.conf');
    fs.appendFileSync(failedConf, '# the clue: a setting someone changed before the crash\n');
    const res = await recover({ full: true });
    expect(res.segments.map((s) => [s.dbid, s.type, s.state])).toEqual([[8, 'full', 'succeeded']]);
    expect(healthy(await cluster.segments())).toBe(true);

    const [host, bundle] = res.segments[0].evidence!.split(':');
    expect(host).toBe(byDbid(await cluster.segments(), 8).hostname);
    expect(bundle.startsWith(cluster.config().evidenceDirectory!)).toBe(true);
    const files = fs.readdirSync(bundle, { recursive: true }).map(String).sort();
    expect(files).toEqual(expect.arrayContaining(['README', 'pg_controldata.txt', 'listing.txt', 'conf/postgresql.conf', 'conf/PG_VERSION']));
    expect(files.some((f) => f.startsWith('log/'))).toBe(true);
    expect(fs.readFileSync(path.join(bundle, 'conf', 'postgresql.conf'), 'utf8')).toContain('# the clue');
    expect(fs.readFileSync(failedConf, 'utf8')).not.toContain('# the clue');
    expect(fs.readFileSync(path.join(bundle, 'pg_controldata.txt'), 'utf8')).toMatch(/Database system identifier:\s+\d+/);
    const bytes = files.map((f) => fs.statSync(path.join(bundle, f))).filter((st) => st.isFile()).reduce((n, st) => n + st.size, 0);
    expect(bytes).toBeLessThan(16 << 20);
    // Greenplum 7 starts a segment without -p: its port is in postgresql.conf, set by gpsegrecovery's perl edit.
    const m = byDbid(await cluster.segments(), 8);
    expect(fs.readFileSync(path.join(m.datadir, 'postmaster.opts'), 'utf8')).not.toContain('"-p"');
    expect(fs.readFileSync(path.join(m.datadir, 'postgresql.conf'), 'utf8')).toMatch(new RegExp(`^port=${m.port}$`, 'm'));
    expect(fs.existsSync(path.join(m.datadir, 'postgresql.conf.bak'))).toBe(true);
    // The copy's job directory, beside the data directory, is gone once the segment started.
    expect(fs.existsSync(jobDirFor(m.datadir, 'copy'))).toBe(false);
    const history = (await cluster.history(50)).map((r) => r.desc);
    expect(history.some((d) => d.includes('full recovery of dbid 8'))).toBe(true);
    await expectMirrorsIdentical(cluster);
  });

  it('differential recovery rsyncs a mirror that fell behind', async () => {
    await killAndWaitDown(cluster, 9);
    await cluster.loadData(1000);
    const res = await recover({ differential: true });
    expect(res.segments.map((s) => [s.dbid, s.type, s.state])).toEqual([[9, 'differential', 'succeeded']]);
    expect(healthy(await cluster.segments())).toBe(true);
    await expectMirrorsIdentical(cluster);
  });

  it('-i moves a failed mirror to another host, its primary\'s, with a new data directory and port: each keeps its own tablespace directory', async () => {
    await killAndWaitDown(cluster, 6);
    const rows = await cluster.segments();
    const old = byDbid(rows, 6);
    const primary = rows.find((r) => r.content === old.content && r.role === 'p')!;
    const newDir = path.join(path.dirname(path.dirname(primary.datadir)), 'mirror-moved', path.basename(old.datadir));
    const res = await recover({ recoverConfig: `# move content 0's mirror next to its primary\n${old.hostname}|${old.address}|${old.port}|${old.datadir} ${primary.hostname}|${primary.address}|${old.port + 100}|${newDir}\n` });
    expect(res.segments.map((s) => [s.dbid, s.type, s.moved, s.state])).toEqual([[6, 'full', true, 'succeeded']]);
    const moved = byDbid(await cluster.segments(), 6);
    expect(moved).toMatchObject({ hostname: primary.hostname, address: primary.address, port: old.port + 100, datadir: newDir, status: 'u', mode: 's', role: 'm' });
    // One host, two tablespace directories: the primary's <location>/2 and the mirror's <location>/6.
    expect(fs.readlinkSync(path.join(newDir, 'pg_tblspc', fs.readdirSync(path.join(newDir, 'pg_tblspc'))[0]))).toBe(path.join(cluster.layout.tablespaceLocation!, '6'));
    await expectMirrorsIdentical(cluster);
  });

  it('recovers four segments at once under -B/-b limits', async () => {
    const mirrors = (await cluster.segments()).filter((r) => r.content >= 0 && r.role === 'm').map((r) => r.dbid);
    expect(mirrors).toHaveLength(4);
    await Promise.all(mirrors.map((d) => cluster.kill(d)));
    await cluster.waitFor((rows) => mirrors.every((d) => byDbid(rows, d).status === 'd'), 30_000, 'all mirrors down');
    await cluster.loadData(500);
    const res = await recover({ hostParallelism: 1, segmentParallelism: 2 });
    expect(res.succeeded).toBe(4);
    // -B 1 -b 2 bound the copies, as gprecoverseg's -b bounds gpsegrecovery's: at any moment one host had copies
    // running, at most two of them (wherever the mirrors live now). A slot frees when its copy ends (0.3.0), so the
    // segments' own spans, which go on to their start and sync, may overlap more.
    const tl = await fetchTimeline(h.client, `gprecover-${name}-${seq}`);
    const spans = tl.children.map((c) => {
      const copy = c.steps.find((st) => st.activity === 'copySegment')!;
      return { host: (c.input as { item: SegmentPlan }).item.target.hostname, from: Date.parse(copy.scheduledAt), to: Date.parse(copy.endedAt!) };
    });
    expect(spans).toHaveLength(4);
    for (const at of spans.map((s) => s.from)) {
      const running = spans.filter((s) => s.from <= at && at < s.to);
      expect(new Set(running.map((s) => s.host)).size, `hosts busy at ${at}`).toBe(1);
      expect(running.length, `segments running at ${at}`).toBeLessThanOrEqual(2);
    }
    expect(healthy(await cluster.segments())).toBe(true);
    await expectMirrorsIdentical(cluster);
  });

  it('refuses a segment that is up with a validation error and changes nothing', async () => {
    const row = (await cluster.segments()).find((r) => r.content >= 0 && r.role === 'm' && r.status === 'u')!;
    const err = await recover({ recoverConfig: `${row.address}|${row.port}|${row.datadir}` }).catch((e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toMatch(new RegExp(`dbid ${row.dbid} .* is already up; nothing to recover`));
  });

  it('rebalance returns every segment to its preferred role', async () => {
    // Its own imbalance: content 0's primary fails over, and the old primary comes back as a mirror.
    const p0 = (await cluster.segments()).find((r) => r.content === 0 && r.preferredRole === 'p')!;
    if (p0.role === 'p') {
      await cluster.kill(p0.dbid);
      await cluster.waitFor((rows) => byDbid(rows, p0.dbid).role === 'm' && byDbid(rows, p0.dbid).status === 'd', 30_000, 'FTS failover of content 0');
      expect((await recover()).segments.map((s) => [s.dbid, s.state])).toEqual([[p0.dbid, 'succeeded']]);
    }
    const unbalanced = [...new Set((await cluster.segments()).filter((r) => r.content >= 0 && r.role !== r.preferredRole).map((r) => r.content))].sort();
    expect(unbalanced).toContain(0);
    const res = await h.client.workflow.execute(rebalanceWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: `gprecover-${name}-rebalance`,
      args: [{ cluster: name }],
    });
    expect([...res.swapped].sort()).toEqual(unbalanced);
    const rows = await cluster.segments();
    expect(rows.filter((r) => r.content >= 0).every((r) => r.role === r.preferredRole && r.status === 'u' && r.mode === 's')).toBe(true);
    await expectMirrorsIdentical(cluster);
  });

  it('-p rebuilds a failed host\'s segment on a spare host (full), same port and path', async () => {
    await killAndWaitDown(cluster, 9);
    const old = byDbid(await cluster.segments(), 9);
    // The spare shares this machine's disk: it starts out without the dead host's directory, as a real spare would.
    fs.rmSync(old.datadir, { recursive: true, force: true });
    const res = await recover({ spareHosts: ['sdw3'] });
    expect(res.segments.map((s) => [s.dbid, s.type, s.moved, s.state])).toEqual([[9, 'full', true, 'succeeded']]);
    expect(byDbid(await cluster.segments(), 9)).toMatchObject({ hostname: 'sdw3', address: spare, port: old.port, datadir: old.datadir, status: 'u', mode: 's' });
    await expectMirrorsIdentical(cluster);
  });

  it('skips a content whose copy is already running (a leftover of a killed run) and says so', async () => {
    await killAndWaitDown(cluster, 7);
    const m = byDbid(await cluster.segments(), 7);
    const primary = (await cluster.segments()).find((r) => r.content === m.content && r.role === 'p')!;
    // What a killed gprecoverseg -F leaves behind: its pg_basebackup --force-overwrite still copying.
    const exec = cluster.executor(m.hostname);
    const leftover = jobDirFor(m.datadir, 'leftover');
    await startJob(exec, leftover, 'a killed earlier run', [`${toolsDir(cluster.config())}/pg_basebackup`, '-D', m.datadir,
      '-h', primary.address, '-p', String(primary.port), '--max-rate=32k', '--wal-method', 'none', '--force-overwrite', '--target-gp-dbid', String(m.dbid)]);
    // The demo's pg_basebackup is a wrapper: wait until the copy itself runs, as a leftover one would be.
    const deadline = Date.now() + 20_000;
    while ((await exec.run(['pgrep', '-f', `^${findPgBin()}/pg_basebackup -D ${m.datadir}`])).code !== 0) {
      if (Date.now() > deadline) throw new Error('the leftover pg_basebackup did not start');
      await sleep(100);
    }
    try {
      const res = await recover({ full: true });
      expect(res.segments).toEqual([]);
      expect(res.skipped).toEqual([{ content: m.content, dbid: 7, reason: expect.stringMatching(/a copy is already running for sdw2:.*pg_basebackup/) }]);
      expect(byDbid(await cluster.segments(), 7).status).toBe('d');
    } finally {
      await killJob(exec, leftover);
      await removeJob(exec, leftover);
    }
    // Its walsender on the primary ends a moment after the copy: until then gprecoverseg's check still sees it.
    await cluster.waitForQuery(primary.dbid, `SELECT count(*)::int AS n FROM pg_stat_replication WHERE application_name = 'pg_basebackup'`, (r) => r[0].n === 0, 20_000);
    const res = await recover({ full: true });
    expect({ skipped: res.skipped, segments: res.segments.map((s) => [s.dbid, s.state, s.error]) }).toEqual({ skipped: [], segments: [[7, 'succeeded', undefined]] });
    expect(healthy(await cluster.segments())).toBe(true);
  });

  it('start-recovery with rebalance recovers the old primary, then returns the pair to its preferred roles', async () => {
    const primary = (await cluster.segments()).find((r) => r.content === 2 && r.preferredRole === 'p')!;
    await cluster.kill(primary.dbid);
    await cluster.waitFor((rows) => byDbid(rows, primary.dbid).status === 'd' && byDbid(rows, primary.dbid).role === 'm', 30_000, 'FTS failover of content 2');
    await cluster.loadData(500);
    const res = await recover({ rebalance: true });
    expect(res.segments.map((s) => [s.dbid, s.state])).toEqual([[primary.dbid, 'succeeded']]);
    expect(res.rebalance?.swapped).toEqual([2]);
    const rows = await cluster.segments();
    expect(rows.filter((r) => r.content >= 0).every((r) => r.role === r.preferredRole && r.status === 'u' && r.mode === 's')).toBe(true);
    await expectMirrorsIdentical(cluster);
  });
});
