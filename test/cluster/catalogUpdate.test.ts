import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { ActivityContext } from '../../activities/context';
import { coordinatorConnection, CoordinatorUnavailableError, coordinatorUnreachable, readSegments } from '../../cluster/catalog';
import { loadClusterConfig } from '../../cluster/config';
import { KeptSessions } from '../../cluster/keptSessions';
import { GPRECOVER_APPLICATION_NAME } from '../../domain/names';
import type { SegmentRow } from '../../domain/segment';
import { applyRecoveryCatalogUpdate, backOutRecoveryCatalogUpdate } from '../../cluster/catalogUpdate';
import type { DemoCluster } from '../../demo';
import { byDbid, createTestCluster } from '../helpers/demo';
import { until } from '../helpers/until';

describe('catalog update and back-out on a real coordinator', () => {
  let cluster: DemoCluster;
  let clustersFile: string;

  beforeAll(async () => {
    ({ cluster, clustersFile } = await createTestCluster('catalog', '127.0.121', { ftsIntervalSec: 60 }));
    await cluster.kill(6);
    await cluster.requestProbe();
    await cluster.waitFor((rows) => byDbid(rows, 6).status === 'd', 30_000, 'dbid 6 down');
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  it('a move keeps the dbid, writes history once even when retried, and backs out to the old location', async () => {
    const before = byDbid(await cluster.segments(), 6);
    const target = { hostname: before.hostname, address: before.address, port: before.port + 500, datadir: `${before.datadir}-moved` };
    const change = { dbid: 6, content: before.content, type: 'full' as const, target, moved: true, runTag: 'run test/1' };
    const first = await cluster.coordinator((c) => applyRecoveryCatalogUpdate(c, change));
    const again = await cluster.coordinator((c) => applyRecoveryCatalogUpdate(c, change));
    expect(first.rewritten).toBe(true);
    expect(again.rewritten).toBe(false);
    expect(byDbid(await cluster.segments(), 6)).toMatchObject({ ...target, dbid: 6, role: 'm', preferredRole: before.preferredRole, status: 'd', mode: 'n' });
    const moves = (await cluster.history(100)).filter((h) => h.desc.includes('moves it to') && h.desc.includes('run test/1'));
    expect(moves).toHaveLength(1);

    expect(await cluster.coordinator((c) => backOutRecoveryCatalogUpdate(c, before, 'run test/1', 'copy failed'))).toBe(true);
    expect(await cluster.coordinator((c) => backOutRecoveryCatalogUpdate(c, before, 'run test/1', 'copy failed'))).toBe(false);
    expect(byDbid(await cluster.coordinator(readSegments), 6)).toEqual(before);
    expect((await cluster.history(100)).filter((h) => h.desc.startsWith('gprecover: backed out') && h.dbid === 6)).toHaveLength(1);
  });

  it('refuses to rewrite a segment the catalog marks up', async () => {
    const up = byDbid(await cluster.segments(), 7);
    const change = { dbid: 7, content: up.content, type: 'full' as const, target: { ...up, port: up.port + 1 }, moved: true, runTag: 'run test/2' };
    await expect(cluster.coordinator((c) => applyRecoveryCatalogUpdate(c, change))).rejects.toThrow(/dbid 7 is marked up in the catalog; refusing to change it/);
    expect(byDbid(await cluster.segments(), 7)).toEqual(up);
  });

  const catalogSessions = (idleMs: number) => {
    const cfg = loadClusterConfig('catalog', clustersFile);
    return new KeptSessions({ connection: coordinatorConnection(cfg), max: 4, unreachable: (err) => coordinatorUnreachable(cfg, err), idleMs });
  };

  /** The worker's sessions on the coordinator (the demo's own helpers connect under other names). */
  const workerSessions = async () => (await cluster.coordinator((c) => c.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid() ORDER BY pid', [GPRECOVER_APPLICATION_NAME]))).rows.map((r) => r.pid);

  /** Closed sessions are gone once their backends have seen the end (a close does not wait for that). */
  const noWorkerSessions = () => until('no worker session on the coordinator', async () => (await workerSessions()).length === 0, 5_000);

  it("an activity's catalog reads share the worker's kept session, which ends once idle", async () => {
    const actx = new ActivityContext(clustersFile);
    try {
      const ctx = await actx.cluster('catalog');
      const reads: SegmentRow[][] = [];
      for (let i = 0; i < 10; i++) reads.push(await actx.segments(ctx));
      expect(reads.every((r) => r.length === reads[0].length && r.length > 0)).toBe(true);
      expect(await workerSessions()).toHaveLength(1);
      await Promise.all(Array.from({ length: 12 }, () => actx.segments(ctx)));
      expect((await workerSessions()).length).toBeLessThanOrEqual(4);
    } finally {
      await actx.close();
    }
    await noWorkerSessions();

    const idle = catalogSessions(300);
    await idle.use(readSegments);
    expect(await workerSessions()).toHaveLength(1);
    await sleep(1_500);
    await noWorkerSessions();
    await idle.close();
  });

  it('a kept session the coordinator ended is replaced within the read; a refused query keeps it and fails as itself', async () => {
    const session = catalogSessions(60_000);
    try {
      const rows = await session.use(readSegments);
      const [first] = await workerSessions();
      await cluster.coordinator((c) => c.query('SELECT pg_terminate_backend($1)', [first]));
      expect(await session.use(readSegments)).toEqual(rows);
      const [second] = await workerSessions();
      expect(second).toBeDefined();
      expect(second).not.toBe(first);
      // Ended while a read holds it: that read is made again on a new session.
      let attempts = 0;
      const read = await session.use(async (c) => {
        if (++attempts === 1) {
          await cluster.coordinator((o) => o.query('SELECT pg_terminate_backend($1)', [second]));
          await sleep(200);
        }
        return readSegments(c);
      });
      expect({ read, attempts }).toEqual({ read: rows, attempts: 2 });
      const [third] = await workerSessions();
      expect([first, second]).not.toContain(third);

      await expect(session.use((c) => c.query('SELECT * FROM no_such_table'))).rejects.toMatchObject({ code: '42P01' });
      expect(await workerSessions()).toEqual([third]);
    } finally {
      await session.close();
    }
    await noWorkerSessions();
  });

  it('uses waiting for a session when the sessions in use are found dead go on at once on the new ones', async () => {
    const cfg = loadClusterConfig('catalog', clustersFile);
    const session = new KeptSessions({ connection: coordinatorConnection(cfg), max: 2, unreachable: (err) => coordinatorUnreachable(cfg, err) });
    try {
      // Two sessions that have served: found dead, they are replaced (a new session that fails is the coordinator's failure).
      await Promise.all([1, 2].map(() => session.use((c) => c.query('SELECT pg_sleep(0.2)'))));
      const holding = [1, 2].map(() => {
        let attempts = 0;
        return session.use(async (c) => {
          if (++attempts === 1) await c.query('SELECT pg_sleep(2)');
          return readSegments(c);
        });
      });
      await until('both sessions in use', async () => (await workerSessions()).length === 2, 5_000);
      const t0 = Date.now();
      const waiting = [session.use(readSegments), session.use(readSegments)];
      await sleep(100);
      // A coordinator restart, as it reaches the worker: both sessions end in the middle of their statements.
      await cluster.coordinator((o) => o.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', [GPRECOVER_APPLICATION_NAME]));
      const reads = await Promise.allSettled([...holding, ...waiting]);
      expect(reads.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      // Before, a use still queued in the pool the first failure ended waited out its 10 s connect timeout, then failed
      // as the coordinator being unavailable.
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      await session.close();
    }
  });

  it('a kept session whose backend hangs is given up after its statement timeout, and the use made on a new session', async () => {
    const cfg = loadClusterConfig('catalog', clustersFile);
    const session = new KeptSessions({ connection: coordinatorConnection(cfg), max: 1, unreachable: (err) => coordinatorUnreachable(cfg, err), statementTimeoutMs: 1_000 });
    let stopped: number | undefined;
    try {
      const rows = await session.use(readSegments);
      [stopped] = await workerSessions();
      // Its backend alone stops answering, as a hung server's would; the postmaster still accepts new sessions.
      process.kill(stopped, 'SIGSTOP');
      const t0 = Date.now();
      expect(await session.use(readSegments)).toEqual(rows);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      if (stopped) process.kill(stopped, 'SIGCONT');
      await session.close();
    }
  });

  it('a new session that does not answer within its statement timeout is the coordinator being unavailable', async () => {
    const cfg = loadClusterConfig('catalog', clustersFile);
    const session = new KeptSessions({ connection: coordinatorConnection(cfg), max: 1, unreachable: (err) => coordinatorUnreachable(cfg, err), statementTimeoutMs: 1_000 });
    let stopped: number | undefined;
    try {
      const hung = session.use(async (c) => {
        stopped = Number((await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid);
        process.kill(stopped, 'SIGSTOP');
        return readSegments(c);
      });
      await expect(hung).rejects.toBeInstanceOf(CoordinatorUnavailableError);
      await expect(hung).rejects.toThrow(/Query read timeout/);
    } finally {
      if (stopped) process.kill(stopped, 'SIGCONT');
      await session.close();
    }
  });
});
