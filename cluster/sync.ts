import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { SyncState } from '../domain/activities';
import { SYNC_WATCH_APPLICATION_NAME, WALRECEIVER_APPLICATION_NAME } from '../domain/names';
import type { SegmentRow } from '../domain/segment';
import { coordinatorClient, CoordinatorUnavailableError, coordinatorUnreachable, readSegments, requestFtsProbe } from './catalog';
import type { ClusterContext } from './context';
import { segmentClient } from './segment/sql';
import { shortError } from '../domain/failures';

export type { SyncState } from '../domain/activities';

/**
 * Rounds that read the catalog are this far apart, however early new waiters wake them: a burst of starts is one
 * round, not hundreds (quick rounds, which ask only a few primaries, come between them).
 */
const MIN_ROUND_GAP_MS = 100;
/**
 * FTS is asked no sooner than this after its last answer, however many mirrors start waiting or catch up: each
 * request is a probe of every primary (Greenplum runs one at a time and folds requests into the next).
 */
const MIN_PROBE_GAP_MS = 90;
/**
 * A mirror's first seconds, while it has not caught up, its primary is asked every this many ms (quick rounds: no
 * catalog read, which comes every MIN_ROUND_GAP_MS): a freshly copied mirror streams a few tens of ms after its start,
 * and FTS is asked about it only once a look has seen that.
 */
const QUICK_ROUND_GAP_MS = 20;

interface Waiter {
  dbid: number;
  /** When it started waiting, and when its primary was last asked how far behind it is (epoch ms). */
  since: number;
  lookedAt: number;
  /** When it started waiting on the monotonic clock: FTS is asked every probeEveryRounds intervals after that. */
  registeredAt: number;
  /** Seen with its walsender streaming: the round that asks FTS about it comes at once, once. */
  caughtUp: boolean;
  /** What its primary said the last time it was asked: its walsender streaming. */
  caughtUpAtLastLook: boolean;
  update: (state: SyncState) => void;
  resolve: (state: SyncState) => void;
  reject: (err: Error) => void;
}

export interface SyncWatcherOptions {
  intervalMs?: number;
  /** Quick rounds this far apart while a mirror that started waiting less than quickWindowMs ago has not caught up. */
  quickIntervalMs?: number;
  quickWindowMs?: number;
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
  quickIntervalMs: number;
  quickWindowMs: number;
  /** Above this many mirrors in their quick window, there are no quick rounds: each asks every one's primary. */
  maxQuick: number;
  settleIntervalMs: number;
  settleWindowMs: number;
  /** Above this many settling mirrors, rounds stay intervalMs apart: the worker's queries, not FTS, would dominate. */
  maxSettling: number;
}

/** A mirror in its first seconds that has not caught up yet. */
export function settling(w: Pick<Waiter, 'since' | 'caughtUp'>, now: number, t: RoundTiming): boolean {
  return !w.caughtUp && now - w.since < t.settleWindowMs;
}

/** A mirror in its first moments that has not caught up yet: its primary is asked every quick round. */
export function quick(w: Pick<Waiter, 'since' | 'caughtUp'>, now: number, t: RoundTiming): boolean {
  return !w.caughtUp && now - w.since < t.quickWindowMs;
}

/** Quick rounds run while some mirrors, and no more than maxQuick, are in their quick window. */
export function quickRoundsRun(waiters: Array<Pick<Waiter, 'since' | 'caughtUp'>>, now: number, t: RoundTiming): boolean {
  const n = waiters.filter((w) => quick(w, now, t)).length;
  return n > 0 && n <= t.maxQuick;
}

/**
 * The wait before the next round. A mirror just started is usually streaming within a second, and FTS marks it in
 * sync only after a round has seen that and asked it to probe: those first seconds are looked at every
 * settleIntervalMs, so the run ends a fraction of a second after the mirror caught up, not up to a whole interval
 * later. A mirror that has been catching up for longer (hours of WAL on a real cluster) is looked at every intervalMs.
 */
export function roundGapMs(waiters: Array<Pick<Waiter, 'since' | 'caughtUp'>>, now: number, t: RoundTiming): number {
  if (quickRoundsRun(waiters, now, t)) return Math.max(QUICK_ROUND_GAP_MS, t.quickIntervalMs);
  const n = waiters.filter((w) => settling(w, now, t)).length;
  return Math.max(MIN_ROUND_GAP_MS, n > 0 && n <= t.maxSettling ? t.settleIntervalMs : t.intervalMs);
}

/**
 * A mirror as its primary sees it: its walsender's state, and the WAL it has still to replay (the progress shown).
 * Caught up is the walsender streaming: the state it reaches once it has sent everything, and keeps while the primary
 * goes on writing. It is what Greenplum's FTS marks a mirror in sync on (GetMirrorStatus: in sync = up and streaming);
 * the WAL behind is never 0 for long on a busy primary, and a mirror reports replay only on its next status message.
 */
interface ReplicationLag {
  streaming: boolean;
  walBytesBehind?: number;
}

const inSync = (row: SegmentRow) => row.status === 'u' && row.mode === 's';
const resolveInSync = (w: Waiter, row: SegmentRow) => w.resolve({ status: row.status, mode: row.mode, streaming: true, walBytesBehind: 0 });

/**
 * A quick round looks at mirrors in their first moments by the last catalog read, made less than the minimum gap
 * ago: only a fresh read decides that a mirror is missing or in sync. A probe held back, or due by time, comes first,
 * in a round that reads the catalog after it: not after a quick round's looks, one of which may wait for a primary
 * that does not answer.
 */
export function isQuickRound(r: { lastReadAgeMs: number; probeHeldBack: boolean; probeDue: boolean }): boolean {
  return r.lastReadAgeMs < MIN_ROUND_GAP_MS && !r.probeHeldBack && !r.probeDue;
}

/**
 * The waiters whose primary a round asks: the settling ones (while no more than maxSettling settle, as roundGapMs),
 * and the others once per interval (the catalog read covers all). A round woken early by a new waiter asks no more.
 * A quick round (one between two catalog reads) asks only the mirrors in their quick window, while quick rounds run.
 */
export function dueForALook(waiters: Array<Pick<Waiter, 'since' | 'caughtUp' | 'lookedAt'>>, now: number, t: RoundTiming, quickRound = false): boolean[] {
  if (quickRound) {
    const run = quickRoundsRun(waiters, now, t);
    return waiters.map((w) => run && quick(w, now, t));
  }
  const fewSettle = waiters.filter((w) => settling(w, now, t)).length <= t.maxSettling;
  return waiters.map((w) => (fewSettle && settling(w, now, t)) || now - w.lookedAt >= t.intervalMs - MIN_ROUND_GAP_MS);
}

/**
 * One look per second (every 100 ms in a mirror's first seconds, and its primary every 20 ms in its first two, until
 * it has caught up) at every recovered mirror waiting for FTS to mark it up and in sync (u/s), whatever their number:
 * one coordinator session (catalog read, FTS probe requests) and one session per primary (its pg_stat_replication),
 * all kept open between rounds. FTS is asked to probe when a mirror has caught up without being marked in sync yet (in
 * the round that saw it, whose catalog read then follows that probe, or as soon as MIN_PROBE_GAP_MS after FTS's last
 * answer), and every ten seconds; never once per mirror. A mirror that starts waiting is looked at at once (within
 * the minimum gap after the last round), and FTS not asked about it before it streams: FTS would not mark it yet, and
 * the next answer would come no sooner than MIN_PROBE_GAP_MS after that one.
 */
export class SyncWatcher {
  private readonly waiters = new Set<Waiter>();
  private coordinator: pg.Client | undefined;
  private readonly primaries = new Map<string, pg.Client>();
  private loop: Promise<void> | undefined;
  private caughtUp = false;
  /** A mirror has just caught up: FTS is asked at once, however recently it last was. */
  private probeNow = false;
  private wake: (() => void) | undefined;
  /** When the last round ended: a new waiter's round comes no sooner than the minimum gap after it. */
  private lastRoundEnd = -Infinity;
  /** The last catalog read and when it was made: quick rounds between two reads go by it. */
  private lastRead: { ctx: ClusterContext; segments: SegmentRow[] } | undefined;
  private lastReadAt = -Infinity;
  /** The worker is shutting down: the loop ends as soon as nobody waits, not after idleMs. */
  private closing = false;
  private readonly intervalMs: number;
  private readonly idleMs: number;
  private readonly probeEveryRounds: number;
  private readonly timing: RoundTiming;
  /** On the monotonic clock (performance.now): a step of the wall clock neither holds probes back nor hurries them. */
  private lastProbeAt = -Infinity;
  private lastProbeAnswered = -Infinity;
  /** The loop runs, or is about to: a new waiter starts one otherwise. */
  private running = false;

  constructor(private readonly context: () => Promise<ClusterContext>, opts: SyncWatcherOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.idleMs = opts.idleMs ?? 5000;
    this.probeEveryRounds = opts.probeEveryRounds ?? 10;
    this.timing = {
      intervalMs: this.intervalMs,
      quickIntervalMs: Math.max(QUICK_ROUND_GAP_MS, opts.quickIntervalMs ?? QUICK_ROUND_GAP_MS),
      quickWindowMs: opts.quickWindowMs ?? 2_000,
      maxQuick: 8,
      settleIntervalMs: opts.settleIntervalMs ?? 100,
      settleWindowMs: opts.settleWindowMs ?? 10_000,
      maxSettling: 32,
    };
  }

  /** Resolves when the catalog says u/s for dbid; `update` hears every round's look at it. */
  wait(dbid: number, update: (state: SyncState) => void, signal: AbortSignal): Promise<SyncState> {
    return new Promise<SyncState>((resolve, reject) => {
      const waiter: Waiter = {
        dbid,
        since: Date.now(),
        registeredAt: performance.now(),
        lookedAt: 0,
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
      if (!this.running) {
        this.running = true;
        this.loop = this.run();
      }
      // A mirror that has just started is looked at now, not at the next tick.
      this.wake?.();
    });
  }

  /** Ends the loop's connections (the worker is shutting down); waiters still registered are rejected. */
  async close(): Promise<void> {
    this.closing = true;
    for (const w of [...this.waiters]) w.reject(new Error('the worker is shutting down'));
    this.wake?.();
    await this.loop;
    await this.disconnect();
  }

  private async run(): Promise<void> {
    try {
      // A waiter registered while the connections close (the loop still counts as running) starts the rounds again.
      do {
        await this.rounds();
        await this.disconnect();
      } while (this.waiters.size);
    } finally {
      // In the same step as the check above: a waiter registered after it starts a loop of its own.
      this.running = false;
    }
  }

  private async rounds(): Promise<void> {
    let idleSince: number | undefined;
    for (;;) {
      if (this.waiters.size) {
        idleSince = undefined;
        await this.tick();
        this.lastRoundEnd = performance.now();
      } else {
        // Nobody is left for a probe held back.
        this.probeNow = false;
        idleSince ??= Date.now();
        if (Date.now() - idleSince >= this.idleMs) return;
      }
      if (this.closing && !this.waiters.size) return;
      // A probe held back by MIN_PROBE_GAP_MS is made by the next round, as soon as the gap allows, not an interval.
      const gap = roundGapMs([...this.waiters], Date.now(), this.timing);
      await this.pause(this.probeNow ? Math.min(gap, Math.max(0, this.lastProbeAnswered + MIN_PROBE_GAP_MS - performance.now())) : gap);
    }
  }

  /**
   * The gap before the next round; a new waiter cuts it short, to no less than the minimum gap after the last round
   * (the quick rounds' gap while they run).
   */
  private pause(gapMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.wake = undefined;
        resolve();
      };
      const due = performance.now() + gapMs;
      let timer = setTimeout(done, gapMs);
      this.wake = () => {
        clearTimeout(timer);
        const minGap = quickRoundsRun([...this.waiters], Date.now(), this.timing) ? this.timing.quickIntervalMs : MIN_ROUND_GAP_MS;
        // Sooner for the new waiter, never later than the round already due (a probe held back may be waiting for it).
        timer = setTimeout(done, Math.max(0, Math.min(due, this.lastRoundEnd + minGap) - performance.now()));
      };
    });
  }

  /**
   * FTS due to be asked by time: every probeEveryRounds intervals for a mirror waiting that long, whatever its
   * primary says (one this worker cannot reach may stream all the same), and every interval while a mirror is caught up.
   */
  private probeDue(): boolean {
    const now = performance.now();
    const since = now - this.lastProbeAt;
    const every = this.probeEveryRounds * this.intervalMs;
    return [...this.waiters].some((w) => now - Math.max(w.registeredAt, this.lastProbeAt) >= every) || (this.caughtUp && since >= this.intervalMs);
  }

  /** Not within MIN_PROBE_GAP_MS of FTS's last answer; a request held back waits for the next round. */
  private mayProbe(): boolean {
    return performance.now() - this.lastProbeAnswered >= MIN_PROBE_GAP_MS;
  }

  /**
   * The round's catalog read, FTS asked to probe first when `probe` says so. A failure fails every waiter of the
   * round (each waiting activity is retried by its own policy) and the next round connects afresh.
   */
  private async readCatalog(waiting: Waiter[], probe: boolean): Promise<{ ctx: ClusterContext; segments: SegmentRow[] } | undefined> {
    try {
      const ctx = await this.context();
      const coordinator = await this.coordinatorSession(ctx);
      if (probe && this.mayProbe()) {
        this.probeNow = false;
        this.lastProbeAt = performance.now();
        try {
          await requestFtsProbe(coordinator);
        } finally {
          this.lastProbeAnswered = performance.now();
        }
      }
      this.lastRead = { ctx, segments: await readSegments(coordinator) };
      this.lastReadAt = performance.now();
      return this.lastRead;
    } catch (err) {
      await this.disconnect();
      const e = err instanceof CoordinatorUnavailableError ? err : new CoordinatorUnavailableError('the coordinator', shortError(err), `reading the catalog for the sync wait: ${(err as Error).message}`);
      for (const w of waiting) w.reject(e);
      return undefined;
    }
  }

  private async tick(): Promise<void> {
    const waiting = [...this.waiters];
    // A mirror caught up at its last look and still waiting (not one that has since stopped waiting) makes FTS due.
    this.caughtUp = waiting.some((w) => w.caughtUpAtLastLook);
    const quickRound = this.lastRead !== undefined
      && isQuickRound({ lastReadAgeMs: performance.now() - this.lastReadAt, probeHeldBack: this.probeNow, probeDue: this.probeDue() });
    // Probes go by time, not rounds: settling rounds come faster, probes do not, but for a mirror that has just
    // caught up. A mirror that starts waiting is looked at first: FTS would not mark it before it streams.
    const read = quickRound ? this.lastRead : await this.readCatalog(waiting, this.probeNow || this.probeDue());
    if (!read) return;
    const { ctx } = read;
    let { segments } = read;
    this.caughtUp = false;
    const now = Date.now();
    const look = dueForALook(waiting, now, this.timing, quickRound);
    const lags = new Map<number, Promise<ReplicationLag>>();
    await Promise.all(waiting.map(async (w, i) => {
      const me = segments.find((s) => s.dbid === w.dbid);
      if (!me) return quickRound ? undefined : w.reject(new Error(`dbid ${w.dbid} is not in gp_segment_configuration`));
      if (inSync(me) && !quickRound) return resolveInSync(w, me);
      if (!look[i]) {
        if (w.caughtUpAtLastLook) this.caughtUp = true;
        return;
      }
      w.lookedAt = now;
      const primary = segments.find((s) => s.content === me.content && s.dbid !== me.dbid && s.role === 'p');
      if (!primary) return w.update({ status: me.status, mode: me.mode, streaming: false });
      if (!lags.has(primary.dbid)) lags.set(primary.dbid, this.replicationLag(ctx, primary));
      const lag = await lags.get(primary.dbid)!;
      // Streaming, but not marked in sync: FTS has not looked since; ask it to.
      w.caughtUpAtLastLook = lag.streaming;
      if (w.caughtUpAtLastLook) {
        this.caughtUp = true;
        if (!w.caughtUp) this.probeNow = true;
        w.caughtUp = true;
      }
      w.update({ status: me.status, mode: me.mode, ...lag });
    }));
    if (this.probeNow && this.mayProbe()) {
      // A mirror has just caught up: FTS is asked now, and the catalog read after it, not a round later.
      const left = waiting.filter((w) => this.waiters.has(w));
      const again = await this.readCatalog(left, true);
      if (!again) return;
      segments = again.segments;
      for (const w of left) {
        const me = segments.find((s) => s.dbid === w.dbid);
        if (me && inSync(me)) resolveInSync(w, me);
      }
    }
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

  private async replicationLag(ctx: ClusterContext, primary: SegmentRow): Promise<ReplicationLag> {
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
      const row = r.rows[0];
      if (!row) return { streaming: false };
      return {
        streaming: row.state === 'streaming',
        walBytesBehind: row.behind === null ? undefined : Number(row.behind),
      };
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
    this.lastRead = undefined;
    const all = [this.coordinator, ...this.primaries.values()];
    this.coordinator = undefined;
    this.primaries.clear();
    await Promise.all(all.map((c) => c?.end().catch(() => undefined)));
  }
}
