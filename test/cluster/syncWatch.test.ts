// The sync wait does not grow with the number of mirrors waiting: one watcher per worker and cluster, one
// coordinator session kept open, one session per primary. Counted, not timed.
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DemoCluster } from '../../demo';
import { SYNC_WATCH_APPLICATION_NAME } from '../../domain/names';
import { runCli } from '../helpers/cli';
import { byDbid, createTestCluster, healthy, killAndWaitDown } from '../helpers/demo';
import { eventually } from '../helpers/stubRuns';
import { connectHarness, type RunningWorker, type TemporalHarness } from '../helpers/temporal';

const TASK_QUEUE = 'gp-recovery-syncwatch';

describe('waiting for sync', () => {
  let cluster: DemoCluster;
  let h: TemporalHarness;
  let w: RunningWorker;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const made = await createTestCluster('sw', '127.0.161');
    cluster = made.cluster;
    h = await connectHarness();
    w = await h.startWorker({ clustersFile: made.clustersFile, taskQueue: TASK_QUEUE });
    env = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), GPRECOVER_TASK_QUEUE: TASK_QUEUE, GPRECOVER_CLUSTER: cluster.name };
  });

  afterAll(async () => {
    await cluster?.freezeFts(false).catch(() => undefined);
    await w?.stop();
    await h?.close();
    await cluster?.destroy();
  });

  it('four mirrors waiting at once cost one coordinator session, opened once, and one session per primary', async () => {
    const mirrors = (await cluster.segments()).filter((s) => s.role === 'm').map((s) => s.dbid);
    expect(mirrors).toHaveLength(4);
    for (const dbid of mirrors) await killAndWaitDown(cluster, dbid);
    // FTS answers probe requests but marks nothing: the recovered mirrors stay waiting for as long as this counts.
    await cluster.freezeFts(true);
    const run = runCli(['start-recovery', '--wait', '--no-progress'], env, 300_000);
    const workflowId = `gprecover-${cluster.name}`;
    await eventually(async () => {
      const st = JSON.parse((await runCli(['status', workflowId, '--json'], env)).stdout) as { segments: Array<{ phase?: string }> };
      expect(st.segments.map((s) => s.phase)).toEqual(['syncing', 'syncing', 'syncing', 'syncing']);
    }, 120_000);
    await sleep(2_000);

    const c = cluster.layout.coordinator;
    const counter = new pg.Client({ host: c.address, port: c.port, user: cluster.layout.dbUser, database: 'postgres', options: '-c gp_role=utility', application_name: 'test-counter' });
    await counter.connect();
    try {
      const sessions = async () => Number((await counter.query('SELECT sum(sessions)::bigint AS n FROM pg_stat_database')).rows[0].n);
      const watchers = async () => Number((await counter.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [SYNC_WATCH_APPLICATION_NAME])).rows[0].n);
      const before = await sessions();
      let peak = 0;
      const windowMs = 8_000;
      for (const end = Date.now() + windowMs; Date.now() < end;) {
        peak = Math.max(peak, await watchers());
        await sleep(100);
      }
      const opened = await sessions() - before;
      expect({ opened, peak }).toEqual({ opened: 0, peak: 1 });
    } finally {
      await counter.end();
    }
    // Each primary: one session of the watcher, whatever the number of rounds.
    for (const p of (await cluster.segments()).filter((s) => s.role === 'p' && s.content >= 0)) {
      const [{ n }] = await cluster.query<{ n: number }>(p.dbid, 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [SYNC_WATCH_APPLICATION_NAME]);
      expect({ primary: p.dbid, sessions: n }).toEqual({ primary: p.dbid, sessions: 1 });
    }
    for (const dbid of mirrors) expect(byDbid(await cluster.segments(), dbid).status).toBe('d');

    await cluster.freezeFts(false);
    const r = await run;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(healthy(await cluster.segments())).toBe(true);
    // The watcher lets its sessions go once nobody waits.
    await eventually(async () => {
      const rows = await cluster.query<{ n: number }>(1, 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [SYNC_WATCH_APPLICATION_NAME]);
      expect(rows[0].n).toBe(0);
    }, 20_000);
  }, 300_000);
});
