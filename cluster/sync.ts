import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { SyncState } from '../domain/activities';
import { SYNC_WATCH_APPLICATION_NAME, WALRECEIVER_APPLICATION_NAME } from '../domain/names';
import type { SegmentRow } from '../domain/segment';
import { coordinatorClient, CoordinatorUnavailableError, coordinatorUnreachable, readSegments, requestFtsProbe } from './catalog';
import type { ClusterContext } from './context';
import { segmentClient } from './segment/sql';
import { shortError } from '../domain/failures';

export type { SyncState } from '../domain/activities';

/** Rounds woken early by new waiters are still this far apart: a burst of starts is one round, not hundreds. */
const MIN_ROUND_GAP_MS = 200;

interface Waiter {
  dbid: number;
  /** When it started waiting, and when its primary was last asked how far behind it is (epoch ms). */
  since: number;
  lookedAt: number;
  /** Registered since the last probe request: FTS is asked to look at it at once. */
  fresh: boolean;
  /** Seen streaming with nothing left to replay: the round that asks FTS about it comes at once, once. */
  caughtUp: boolean;
  /** What its primary said the last time it was asked: streaming, nothing left to replay. */
  caughtUpAtLastLook: boolean;
  update: (state: SyncState) => void;
  resolve: (state: SyncState) => void;
  reject: (err: Error) => void;
}

export interface SyncWatcherOptions {
  intervalMs?: number;
  /** The loop and its connections stay this long after the last waiter, for the next one. */
  idleMs?: number;
  /** With waiters left, FTS is asked to probe at least every this many rounds' time (intervalMs each). */
  probeEveryRounds?: number;
  /** Rounds this far apart while a mirror that started waiting less than settleWindowMs ago has not caught up. */
  settleIntervalMs?: number;
  settleWindowMs?: number;
}

export interface RoundTiming {
  intervalMs: number;
  settleIntervalMs: number;
  settleWindowMs: number;
  /** Above this many settling mirrors, rounds stay intervalMs apart: the worker's queries, not FTS, would dominate. */
  maxSettling: number;
}

/** A mirror in its first seconds that has not caught up yet. */
export function settling(w: Pick<Waiter, 'since' | 'caughtUp'>, now: number, t: RoundTiming): boolean {
  return !w.caughtUp && now - w.since < t.settleWindowMs;
}

/**
 * The wait before the next round. A mirror just started is usually streaming within a second, and FTS marks it in
 * sync only after a round has seen that and asked it to probe: those first seconds are looked at every
 * settleIntervalMs, so the run ends a fraction of a second after the mirror caught up, not up to a whole interval
 * later. A mirror that has been catching up for longer (hours of WAL on a real cluster) is looked at every intervalMs.
 */
export function roundGapMs(waiters: Array<Pick<Waiter, 'since' | 'caughtUp'>>, now: number, t: RoundTiming): number {
  const n = waiters.filter((w) => settling(w, now, t)).length;
  return Math.max(MIN_ROUND_GAP_MS, n > 0 && n <= t.maxSettling ? t.settleIntervalMs : t.intervalMs);
}

/** The waiters whose primary a round asks: the settling ones, and the others once per interval (the catalog read covers all). */
export function dueForALook(waiters: Array<Pick<Waiter, 'since' | 'caughtUp' | 'lookedAt'>>, now: number, t: RoundTiming): boolean[] {
  return waiters.map((w) => settling(w, now, t) || now - w.lookedAt >= t.intervalMs - MIN_ROUND_GAP_MS);
}

/**
 * One look per second (every 250 ms in a mirror's first seconds, until it has caught up) at every recovered mirror
 * waiting for FTS to mark it up and in sync (u/s), whatever their number: one coordinator session (catalog read, FTS
 * probe requests) and one session per primary (its pg_stat_replication), all kept open between rounds. FTS is asked
 * to probe when a mirror starts waiting, when one has caught up without being marked in sync yet (the first such
 * round follows at once), and every ten seconds; never once per mirror.
 */
export class SyncWatcher {
  private readonly waiters = new Set<Waiter>();
  private coordinator: pg.Client | undefined;
  private readonly primaries = new Map<string, pg.Client>();
  private loop: Promise<void> | undefined;
  private caughtUp = false;
  /** A mirror has just caught up: the next round (FTS probe, catalog read) follows after the minimum gap only. */
  private hurry = false;
  /** That next round asks FTS at once, however recently it last asked. */
  private probeNow = false;
  private wake: (() => void) | undefined;
  private readonly intervalMs: number;
  private readonly idleMs: number;
  private readonly probeEveryRounds: number;
  private readonly timing: RoundTiming;
  private lastProbeAt = 0;

  constructor(private readonly context: () => Promise<ClusterContext>, opts: SyncWatcherOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.idleMs = opts.idleMs ?? 5000;
    this.probeEveryRounds = opts.probeEveryRounds ?? 10;
    this.timing = { intervalMs: this.intervalMs, settleIntervalMs: opts.settleIntervalMs ?? 250, settleWindowMs: opts.settleWindowMs ?? 10_000, maxSettling: 32 };
  }

  /** Resolves when the catalog says u/s for dbid; `update` hears every round's look at it. */
  wait(dbid: number, update: (state: SyncState) => void, signal: AbortSignal): Promise<SyncState> {
    return new Promise<SyncState>((resolve, reject) => {
      const waiter: Waiter = {
        dbid,
        since: Date.now(),
        lookedAt: 0,
        fresh: true,
        caughtUp: false,
        caughtUpAtLastLook: false,
        update,
        resolve: (s) => { done(); resolve(s); },
        reject: (e) => { done(); reject(e); },
      };
      const onAbort = () => waiter.reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
      const done = () => {
        this.waiters.delete(waiter);
        signal.removeEventListener('abort', onAbort);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort);
      this.waiters.add(waiter);
      this.loop ??= this.run().finally(() => { this.loop = undefined; });
      // A mirror that has just started is looked at (and FTS asked about it) now, not at the next tick.
      this.wake?.();
    });
  }

  /** Ends the loop's connections (the worker is shutting down); waiters still registered are rejected. */
  async close(): Promise<void> {
    for (const w of [...this.waiters]) w.reject(new Error('the worker is shutting down'));
    await this.loop;
    await this.disconnect();
  }

  private async run(): Promise<void> {
    let idleSince: number | undefined;
    for (;;) {
      if (this.waiters.size) {
        idleSince = undefined;
        await this.tick();
      } else {
        idleSince ??= Date.now();
        if (Date.now() - idleSince >= this.idleMs) break;
      }
      await sleep(MIN_ROUND_GAP_MS);
      if (this.hurry) {
        this.hurry = false;
        continue;
      }
      const gap = roundGapMs([...this.waiters], Date.now(), this.timing);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, gap - MIN_ROUND_GAP_MS);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
      this.wake = undefined;
    }
    await this.disconnect();
  }

  private async tick(): Promise<void> {
    const waiting = [...this.waiters];
    let ctx: ClusterContext;
    let segments: SegmentRow[];
    try {
      ctx = await this.context();
      const coordinator = await this.coordinatorSession(ctx);
      // Probes go by time, not rounds: settling rounds come faster, probes do not, but for a new waiter and the first
      // round after one caught up.
      const since = Date.now() - this.lastProbeAt;
      const due = since >= this.probeEveryRounds * this.intervalMs || (this.caughtUp && since >= this.intervalMs);
      if (waiting.some((w) => w.fresh) || this.probeNow || due) {
        this.probeNow = false;
        for (const w of waiting) w.fresh = false;
        this.lastProbeAt = Date.now();
        await requestFtsProbe(coordinator);
      }
      segments = await readSegments(coordinator);
    } catch (err) {
      // Each waiting activity fails and is retried by its own policy; the next round connects afresh.
      await this.disconnect();
      const e = err instanceof CoordinatorUnavailableError ? err : new CoordinatorUnavailableError('the coordinator', shortError(err), `reading the catalog for the sync wait: ${(err as Error).message}`);
      for (const w of waiting) w.reject(e);
      return;
    }
    this.caughtUp = false;
    const now = Date.now();
    const look = dueForALook(waiting, now, this.timing);
    const lags = new Map<number, Promise<{ streaming: boolean; walBytesBehind?: number }>>();
    await Promise.all(waiting.map(async (w, i) => {
      const me = segments.find((s) => s.dbid === w.dbid);
      if (!me) return w.reject(new Error(`dbid ${w.dbid} is not in gp_segment_configuration`));
      if (me.status === 'u' && me.mode === 's') return w.resolve({ status: me.status, mode: me.mode, streaming: true, walBytesBehind: 0 });
      if (!look[i]) {
        if (w.caughtUpAtLastLook) this.caughtUp = true;
        return;
      }
      w.lookedAt = now;
      const primary = segments.find((s) => s.content === me.content && s.dbid !== me.dbid && s.role === 'p');
      if (!primary) return w.update({ status: me.status, mode: me.mode, streaming: false });
      if (!lags.has(primary.dbid)) lags.set(primary.dbid, this.replicationLag(ctx, primary));
      const lag = await lags.get(primary.dbid)!;
      // Streaming with nothing left to replay, but not marked in sync: FTS has not looked since; ask it to.
      w.caughtUpAtLastLook = lag.streaming && lag.walBytesBehind === 0;
      if (w.caughtUpAtLastLook) {
        this.caughtUp = true;
        if (!w.caughtUp) this.hurry = this.probeNow = true;
        w.caughtUp = true;
      }
      w.update({ status: me.status, mode: me.mode, ...lag });
    }));
    await this.dropUnusedPrimaries(segments);
  }

  private async coordinatorSession(ctx: ClusterContext): Promise<pg.Client> {
    if (this.coordinator) return this.coordinator;
    const client = coordinatorClient(ctx.cfg, SYNC_WATCH_APPLICATION_NAME);
    client.on('error', () => { if (this.coordinator === client) this.coordinator = undefined; });
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw coordinatorUnreachable(ctx.cfg, err);
    }
    this.coordinator = client;
    return client;
  }

  private async replicationLag(ctx: ClusterContext, primary: SegmentRow): Promise<{ streaming: boolean; walBytesBehind?: number }> {
    const key = `${primary.address}:${primary.port}`;
    try {
      let client = this.primaries.get(key);
      if (!client) {
        const c = segmentClient(ctx, primary, SYNC_WATCH_APPLICATION_NAME);
        c.on('error', () => { if (this.primaries.get(key) === c) this.primaries.delete(key); });
        await c.connect();
        this.primaries.set(key, c);
        client = c;
      }
      const r = await client.query(`SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS behind
        FROM pg_stat_replication WHERE application_name = $1 ORDER BY backend_start DESC LIMIT 1`, [WALRECEIVER_APPLICATION_NAME]);
      if (!r.rows[0]) return { streaming: false };
      return { streaming: r.rows[0].state === 'streaming', walBytesBehind: r.rows[0].behind === null ? undefined : Number(r.rows[0].behind) };
    } catch {
      const c = this.primaries.get(key);
      this.primaries.delete(key);
      await c?.end().catch(() => undefined);
      return { streaming: false };
    }
  }

  /** Sessions to primaries no waiting mirror streams from any more. */
  private async dropUnusedPrimaries(segments: SegmentRow[]): Promise<void> {
    const wanted = new Set<string>();
    for (const w of this.waiters) {
      const me = segments.find((s) => s.dbid === w.dbid);
      const primary = me && segments.find((s) => s.content === me.content && s.dbid !== me.dbid && s.role === 'p');
      if (primary) wanted.add(`${primary.address}:${primary.port}`);
    }
    for (const [key, c] of [...this.primaries]) {
      if (wanted.has(key)) continue;
      this.primaries.delete(key);
      await c.end().catch(() => undefined);
    }
  }

  private async disconnect(): Promise<void> {
    const all = [this.coordinator, ...this.primaries.values()];
    this.coordinator = undefined;
    this.primaries.clear();
    await Promise.all(all.map((c) => c?.end().catch(() => undefined)));
  }
}
