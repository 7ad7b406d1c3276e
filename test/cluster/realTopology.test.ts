// Issue 20 on the gp7 demo with host-name addresses and two addresses per host: what a real Greenplum 7 cluster does
// that a kind demo forgave. Each test fails on the code before the fix it names.
import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { fetchTimeline } from '../../client/commands/show';
import { saveClusterConfig } from '../../cluster/config';
import type { DemoCluster } from '../../demo';
import type { RecoveryInput } from '../../domain/recovery';
import { rebalanceWorkflow, recoveryWorkflow } from '../../workflows';
import { byDbid, createTestCluster, expectMirrorsIdentical, healthy, killAndWaitDown } from '../helpers/demo';
import { connectHarness, type RunningWorker, type TemporalHarness } from '../helpers/temporal';

const TASK_QUEUE = 'gp-recovery-topology';
const PREFIX = '127.0.191';

describe('a demo that is not kind: host names in the catalog, two addresses per host, hung and busy segments', () => {
  let cluster: DemoCluster;
  let h: TemporalHarness;
  let w: RunningWorker;
  let seq = 0;
  let clustersFile: string;

  const recover = (input: Omit<RecoveryInput, 'cluster'> = {}) => h.client.workflow.execute(recoveryWorkflow, {
    taskQueue: TASK_QUEUE, workflowId: `gprecover-${cluster.name}-${++seq}`, args: [{ cluster: cluster.name, ...input }],
  });

  beforeAll(async () => {
    ({ cluster, clustersFile } = await createTestCluster('htopo', PREFIX));
    h = await connectHarness();
    w = await h.startWorker({ clustersFile, taskQueue: TASK_QUEUE });
    await cluster.loadData(3000);
  });

  afterAll(async () => {
    await w?.stop();
    await h?.close();
    await cluster?.destroy();
  });

  it('the catalog holds resolvable host names, and every host answers on two addresses', async () => {
    const rows = await cluster.segments();
    expect(rows.every((r) => r.address === `htopo-${r.hostname}`)).toBe(true);
    const hosts = fs.readFileSync('/etc/hosts', 'utf8');
    for (const r of rows) {
      const ips = cluster.hostIps(r.hostname);
      expect(ips).toHaveLength(2);
      for (const ip of ips) {
        expect(hosts).toMatch(new RegExp(`^${ip.replace(/\./g, '\\.')} ${r.address} `, 'm'));
        await new Promise<void>((resolve, reject) => net.connect({ host: ip, port: r.port }).once('connect', function (this: net.Socket) { this.destroy(); resolve(); }).once('error', reject));
      }
    }
  });

  // The hole: pg_hba.conf got `host all gpadmin htopo-sdw1/32 trust`: PostgreSQL rejects a host name with a mask, the
  // reload kept the old rules (the copy was refused), and the acting primary would not start again with that file.
  it('a move onto the primary\'s own host, then a restart of the whole cluster (gpstop -ar): every instance comes back', async () => {
    await killAndWaitDown(cluster, 6);
    const m = byDbid(await cluster.segments(), 6);
    const primary = (await cluster.segments()).find((r) => r.content === m.content && r.role === 'p')!;
    const newDir = path.join(path.dirname(primary.datadir), `moved-gpseg${m.content}`);
    const res = await recover({ recoverConfig: `${m.address}|${m.port}|${m.datadir} ${primary.address}|${m.port + 300}|${newDir}\n` });
    expect(res.segments.map((s) => [s.dbid, s.state])).toEqual([[6, 'succeeded']]);
    const hba = fs.readFileSync(path.join(primary.datadir, 'pg_hba.conf'), 'utf8');
    expect(hba).not.toMatch(/htopo-\S+\/\d+/);
    for (const ip of cluster.hostIps(primary.hostname)) {
      expect(hba).toMatch(new RegExp(`^host\\s+replication\\s+${cluster.layout.dbUser}\\s+${ip.replace(/\./g, '\\.')}/32\\s+trust`, 'm'));
    }
    // expectMirrorsIdentical ends as gpstop -ar would: every instance stopped and started, pg_hba.conf clean everywhere.
    await expectMirrorsIdentical(cluster);
  }, 180_000);

  // The hole: a mirror whose host hung keeps its walsender on the primary until wal_sender_timeout (60 s); the active
  // replication slot was taken for a permanent conflict, so -F could not rebuild it.
  it('-F of a hung mirror whose walsender is still attached: stopped with gpsegstop\'s kill sequence and rebuilt', async () => {
    const m = byDbid(await cluster.segments(), 7);
    const primary = (await cluster.segments()).find((r) => r.content === m.content && r.role === 'p')!;
    await cluster.hang(7);
    await cluster.waitFor((rows) => byDbid(rows, 7).status === 'd', 40_000, 'FTS marks the hung mirror down');
    const walsenders = await cluster.query<{ n: number }>(primary.dbid, "SELECT count(*)::int AS n FROM pg_stat_replication WHERE application_name = 'gp_walreceiver'");
    expect(walsenders, 'the hung mirror\'s walsender lingers').toEqual([{ n: 1 }]);
    const started = Date.now();
    const res = await recover({ full: true });
    expect(res.segments.map((s) => [s.dbid, s.type, s.state])).toEqual([[7, 'full', 'succeeded']]);
    expect(Date.now() - started, 'no gpsegstop 120 s wait for a stopped postmaster').toBeLessThan(90_000);
    await expectMirrorsIdentical(cluster);
  }, 180_000);

  // The hole: rsync's exit 24 ("some files vanished": WAL recycled, tables dropped on a busy primary) was success for
  // the data directory's rsync only; the tablespace and pg_wal rsyncs failed whenever a file vanished under them.
  it('--differential while the acting primary writes, drops tables and recycles WAL', async () => {
    await killAndWaitDown(cluster, 8);
    await cluster.loadData(20_000);
    const m = byDbid(await cluster.segments(), 8);
    const busy = await cluster.busy(m.content);
    try {
      await sleep(1000);
      const res = await recover({ differential: true });
      expect(res.segments.map((s) => [s.dbid, s.type, s.state])).toEqual([[8, 'differential', 'succeeded']]);
    } finally {
      await busy.stop();
    }
    expect(busy.rounds).toBeGreaterThan(5);
    await expectMirrorsIdentical(cluster);
  }, 180_000);

  // The hole: a VACUUM that cut a relation file while rsync read it made rsync exit 23 ("read errors mapping ...: No
  // data available (61)"), and the copy failed; on a busy primary every run did (crash.test, clean clone at afc5602).
  // Without the fix the copy fails its first attempt and the assertion on its attempts fails.
  it('--differential while a VACUUM truncates the table rsync is reading: one copy, and the mirror has the rows left', async () => {
    await killAndWaitDown(cluster, 8);
    const m = byDbid(await cluster.segments(), 8);
    const p = (await cluster.segments()).find((r) => r.content === m.content && r.role === 'p')!;
    await cluster.query(p.dbid, 'CREATE TABLE shrinking (id int, pad text) WITH (autovacuum_enabled = false)');
    await cluster.query(p.dbid, "INSERT INTO shrinking SELECT g, repeat('x', 200) FROM generate_series(1, 150000) g");
    const [{ file, bytes }] = await cluster.query<{ file: string; bytes: string }>(p.dbid, "SELECT pg_relation_filepath('shrinking') AS file, pg_relation_size('shrinking') AS bytes");
    expect(Number(bytes)).toBeGreaterThan(30 * 2 ** 20);
    saveClusterConfig({ ...cluster.config(), copyMaxRate: '4M' }, clustersFile);
    const workflowId = `gprecover-${cluster.name}-${seq + 1}`;
    try {
      const run = recover({ differential: true });
      // rsync writes into a temporary file beside the one it copies: once that grows, its sender is reading the source.
      const dir = path.join(m.datadir, path.dirname(file));
      const copying = () => fs.readdirSync(dir).some((f) => f.startsWith(`.${path.basename(file)}.`) && (fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.size ?? 0) > 2 ** 20);
      for (const deadline = Date.now() + 90_000; !copying(); await sleep(50)) {
        if (Date.now() > deadline) throw new Error(`rsync never started copying ${file}`);
      }
      await cluster.query(p.dbid, 'DELETE FROM shrinking WHERE id > 1000');
      await cluster.query(p.dbid, 'VACUUM shrinking');
      const [{ after }] = await cluster.query<{ after: string }>(p.dbid, "SELECT pg_relation_size('shrinking') AS after");
      expect(Number(after), 'the VACUUM cut the file').toBeLessThan(2 ** 20);
      const res = await run;
      expect(res.segments.map((s) => [s.dbid, s.type, s.state])).toEqual([[8, 'differential', 'succeeded']]);
    } finally {
      saveClusterConfig({ ...cluster.config(), copyMaxRate: undefined }, clustersFile);
    }
    const timeline = await fetchTimeline(h.client, workflowId);
    const copies = timeline.children.flatMap((c) => c.steps).filter((st) => st.activity === 'copySegment');
    // The earlier attempt's failure is in the comparison, so that a retry says why.
    expect(copies.map((st) => [st.attempts, st.lastFailure])).toEqual([[1, undefined]]);
    expect((copies[0].result as { note?: string }).note).toMatch(new RegExp(`shrank while rsync read them \\(.*${file.replace(/\//g, '\\/')}`));
    await cluster.waitForMirrorsCaughtUp(60_000);
    expect(await cluster.query(m.dbid, 'SELECT count(*)::int AS n FROM shrinking')).toEqual([{ n: 1000 }]);
    await cluster.query(p.dbid, 'DROP TABLE shrinking');
    await expectMirrorsIdentical(cluster);
  }, 240_000);

  // The hole: gprecoverseg -r ends with `gprecoverseg -a` for the demoted primaries, which adds their pg_hba.conf
  // entries; ours did not, so the demoted primary's pg_rewind from its new primary was refused where each instance's
  // pg_hba.conf names only its peer.
  it('a rebalance where pg_hba.conf is pairwise: the demoted primary is admitted by its new primary', async () => {
    const p = byDbid(await cluster.segments(), 3);
    const m = (await cluster.segments()).find((r) => r.content === p.content && r.role === 'm')!;
    // The mirror trusts only the coordinator and its peer's host, as a DBA may tighten it.
    const mirrorHba = [
      `host all all 127.0.0.1/32 trust # gprecover demo: loopback plumbing, not a host`,
      `host replication all 127.0.0.1/32 trust # gprecover demo: loopback plumbing, not a host`,
      ...cluster.hostIps('cdw').map((ip) => `host all all ${ip}/32 trust`),
      `host replication ${cluster.layout.dbUser} samehost trust`,
      ...cluster.hostIps(p.hostname).flatMap((ip) => [`host all ${cluster.layout.dbUser} ${ip}/32 trust`, `host replication ${cluster.layout.dbUser} ${ip}/32 trust`]),
      '',
    ].join('\n');
    fs.writeFileSync(path.join(m.datadir, 'pg_hba.conf'), mirrorHba);
    await cluster.query(m.dbid, 'SELECT pg_reload_conf()');
    // A failover, and its recovery: pg_rewind gives the old primary its new primary's (the mirror's) pg_hba.conf.
    await cluster.kill(p.dbid);
    await cluster.waitFor((rows) => byDbid(rows, m.dbid).role === 'p' && byDbid(rows, p.dbid).status === 'd', 30_000, 'failover');
    expect((await recover()).segments.map((s) => [s.dbid, s.state])).toEqual([[p.dbid, 'succeeded']]);
    await cluster.waitFor(healthy, 60_000, 'in sync');
    const res = await h.client.workflow.execute(rebalanceWorkflow, { taskQueue: TASK_QUEUE, workflowId: `gprecover-${cluster.name}-${++seq}`, args: [{ cluster: cluster.name }] })
      .catch((e: unknown) => { throw (e as WorkflowFailedError).cause ?? e; });
    expect(res.swapped).toEqual([p.content]);
    const after = await cluster.segments();
    expect(byDbid(after, p.dbid)).toMatchObject({ role: 'p', status: 'u' });
    expect(byDbid(after, m.dbid)).toMatchObject({ role: 'm', status: 'u', mode: 's' });
    await expectMirrorsIdentical(cluster);
  }, 240_000);

  // The hole: a start that failed for a reason of configuration was retried every 30 s for twenty minutes, saying only
  // "Activity failed"; the reason was in the segment's log/startup.log.
  it('a segment that cannot start says why at once: the FATAL line of its log, not retried', async () => {
    await killAndWaitDown(cluster, 9);
    const m = byDbid(await cluster.segments(), 9);
    // Another program holds the mirror's port on every address of its host (on one only, postgres starts on the
    // others, as it does on a real host: it fails only when it can open no socket at all).
    const held: net.Socket[] = [];
    const squatters = cluster.hostIps(m.hostname).map((ip) => net.createServer((sock) => held.push(sock)).listen(m.port, ip));
    await Promise.all(squatters.map((sq) => new Promise((r) => sq.once('listening', r))));
    const started = Date.now();
    try {
      const err = await recover({ full: true }).catch((e: unknown) => e);
      const message = (err as WorkflowFailedError).cause?.message ?? '';
      expect(message).toMatch(/dbid 9: pg_ctl start of .* failed \(exit 1\): .*FATAL: .*(could not create any TCP\/IP sockets|could not bind).*\(the port is in use; a retry of the start cannot fix this\)/);
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      // Whatever connected to the squatters (FTS probing the port) is dropped, or close() would wait for it.
      for (const sock of held) sock.destroy();
      await Promise.all(squatters.map((sq) => new Promise((r) => sq.close(r))));
    }
    expect((await recover()).segments.map((s) => [s.dbid, s.state])).toEqual([[9, 'succeeded']]);
    await cluster.waitFor(healthy, 60_000, 'dbid 9 in sync');
  }, 180_000);
});
