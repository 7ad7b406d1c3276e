// Section: the sync wait against the coordinator, with 4 and with 16 recovered mirrors waiting for sync at once.
// The demo's FTS is frozen meanwhile (it answers probe requests but marks nothing up), so the mirrors stay waiting
// for exactly as long as the counting window.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { fetchRunView } from '../client/progress';
import type { DemoCluster } from '../demo';
import { connect, loginOf } from '../demo/sql';
import { SYNC_WATCH_APPLICATION_NAME } from '../domain/names';
import { recoveryWorkflow } from '../workflows';
import { progress, type BenchConfig } from './config';
import { expectSynced, killAndWaitDown, spreadOverHosts, withClusterAndWorker } from './demoCluster';
import type { BenchTemporal } from './temporal';
import { KEPT_SESSION_IDLE_MS } from '../cluster/keptSessions';

export interface SyncWindow {
  /** Mirrors waiting for sync during the window. */
  waiting: number;
  windowMs: number;
  /** Sessions the coordinator accepted during the window (pg_stat_database.sessions), the counter's own excluded. */
  coordinatorSessionsOpened: number;
  /** Most client sessions on the coordinator at one time (sampled every 100 ms), the counter and the FTS prober excluded. */
  peakCoordinatorBackends: number;
  /** Most sessions of the sync watcher on the coordinator at one time. */
  peakWatcherSessions: number;
  /** Sessions the primaries of the waiting mirrors accepted during the window, summed. */
  primarySessionsOpened: number;
  /** Transactions committed on the coordinator during the window, every session's (the watcher's catalog reads among them). */
  coordinatorTransactions: number;
}

export interface SyncSection {
  contents: number;
  windows: SyncWindow[];
}

const counter = (cluster: DemoCluster, address: string, port: number) =>
  connect({ address, port }, { ...loginOf(cluster.layout), applicationName: 'bench-counter' });

const sessions = async (c: pg.Client) => Number((await c.query('SELECT sum(sessions)::bigint AS n FROM pg_stat_database')).rows[0].n);
const commits = async (c: pg.Client) => Number((await c.query('SELECT sum(xact_commit)::bigint AS x FROM pg_stat_database')).rows[0].x);

export async function benchSyncWatch(cfg: BenchConfig, t: BenchTemporal, workDir: string): Promise<SyncSection> {
  const name = `bench-sync-${process.pid}`;
  progress(`section sync: creating demo cluster '${name}' (4 hosts x 4 primaries, 127.0.93.x)`);
  return withClusterAndWorker(t, workDir, name, '127.0.93', 4, 4, async (cluster, taskQueue) => {
    const windows: SyncWindow[] = [];
    const c = cluster.layout.coordinator;
    for (const [i, n] of cfg.syncCounts.entries()) {
      const rows = await cluster.segments();
      const mirrors = spreadOverHosts(rows.filter((r) => r.content >= 0 && r.role === 'm'), n);
      progress(`${n} mirrors waiting for sync: kill ${mirrors.map((m) => m.dbid).join(',')}, freeze FTS, recover (incremental)`);
      await killAndWaitDown(cluster, mirrors.map((m) => m.dbid));
      await cluster.freezeFts(true);
      try {
        const workflowId = `${name}-sync-${i}`;
        const handle = await t.client.workflow.start(recoveryWorkflow, { taskQueue, workflowId, args: [{ cluster: name }] });
        const deadline = Date.now() + 300_000;
        for (;;) {
          const view = await fetchRunView(t.client, workflowId);
          if (view.segments.length === n && view.segments.every((s) => s.phase === 'syncing')) break;
          if (view.status !== 'RUNNING' || Date.now() > deadline) throw new Error(`the ${n} segments did not all reach the sync wait (${view.status})`);
          await sleep(250);
        }
        // The sessions the steps before the wait kept (cluster/keptSessions.ts) end once idle: what is counted is
        // what the waiting itself holds and opens.
        await sleep(KEPT_SESSION_IDLE_MS + 1_000);
        const primaries = rows.filter((r) => r.role === 'p' && mirrors.some((m) => m.content === r.content));
        const coordinator = await counter(cluster, c.address, c.port);
        const onPrimaries = await Promise.all(primaries.map((p) => counter(cluster, p.address, p.port)));
        try {
          const s0 = await sessions(coordinator);
          const x0 = await commits(coordinator);
          const p0 = await Promise.all(onPrimaries.map(sessions));
          let peakBackends = 0;
          let peakWatcher = 0;
          const t0 = Date.now();
          const windowMs = cfg.syncWindowSec * 1000;
          while (Date.now() - t0 < windowMs) {
            const r = await coordinator.query(`SELECT count(*) FILTER (WHERE application_name NOT IN ('bench-counter', 'gp_fts_prober'))::int AS all,
              count(*) FILTER (WHERE application_name = $1)::int AS watcher FROM pg_stat_activity WHERE backend_type = 'client backend'`, [SYNC_WATCH_APPLICATION_NAME]);
            peakBackends = Math.max(peakBackends, r.rows[0].all);
            peakWatcher = Math.max(peakWatcher, r.rows[0].watcher);
            await sleep(100);
          }
          const elapsed = Date.now() - t0;
          const opened = await sessions(coordinator) - s0;
          const x1 = await commits(coordinator);
          const p1 = await Promise.all(onPrimaries.map(sessions));
          windows.push({
            waiting: n,
            windowMs: elapsed,
            coordinatorSessionsOpened: opened,
            peakCoordinatorBackends: peakBackends,
            peakWatcherSessions: peakWatcher,
            primarySessionsOpened: p1.reduce((a, v, k) => a + v - p0[k], 0),
            coordinatorTransactions: x1 - x0,
          });
          progress(`  ${n} waiting: ${opened} coordinator sessions opened in ${(elapsed / 1000).toFixed(1)} s, peak ${peakBackends} backends (${peakWatcher} of the watcher)`);
        } finally {
          await coordinator.end();
          await Promise.all(onPrimaries.map((x) => x.end()));
        }
        await cluster.freezeFts(false);
        const result = await handle.result();
        if (result.succeeded !== n) throw new Error(`${result.succeeded} of ${n} recovered`);
        await expectSynced(cluster);
      } finally {
        await cluster.freezeFts(false).catch(() => undefined);
      }
    }
    return { contents: 16, windows };
  });
}
