import pg from 'pg';

/** Sessions nobody used for this long are ended: the next use connects again. */
export const KEPT_SESSION_IDLE_MS = 5_000;
/**
 * A statement on a kept session unanswered this long is taken for a hung server (a SIGSTOPped postgres still accepts
 * TCP): the session is ended, and the use made again on a new one (10 s to connect) if it had served before, else the
 * instance is unavailable. A fresh connection per statement was bounded by that connect timeout alone, and nothing
 * bounded its statement; the statements made here take milliseconds.
 */
export const KEPT_STATEMENT_TIMEOUT_MS = 60_000;

export interface KeptSessionsOptions {
  /** How a session connects (the worker's configuration, never the workflow's input). */
  connection: pg.ClientConfig;
  /** Sessions at once: more uses wait their turn (each is a short query or two) rather than each fork a backend. */
  max: number;
  /** A new session that cannot be opened or fails, as the run reports it (the coordinator or a segment that does not answer). */
  unreachable: (err: unknown) => Error;
  idleMs?: number;
  statementTimeoutMs?: number;
}

/**
 * Sessions a worker keeps on one instance (the coordinator, a segment) for its short statements, ended once idle. A
 * step re-reads the catalog before it acts and asks a source before it copies, and each ask was a connection of its
 * own: a backend forked on the instance, and on a real cluster a password exchange, for one query. A use must leave
 * no state in its session: no transaction left open, no setting, nothing that waits on FTS (those connect on their
 * own, see withCoordinator).
 */
export class KeptSessions {
  private pool: pg.Pool;
  /**
   * Settles when the pool is replaced or closed: a use still waiting in its queue goes to the new one (pg.Pool serves
   * no waiter once ended, which would leave it to its 10 s connect timeout and an "unavailable" instance).
   */
  private replaced = settledOnce();
  /** Sessions that served a use before: one found dead is replaced once; a new one that fails is the instance's failure. */
  private readonly used = new WeakSet<pg.PoolClient>();
  private closed = false;

  constructor(private readonly opts: KeptSessionsOptions) {
    this.pool = this.newPool();
  }

  /**
   * `fn` over a kept session. A session found dead when used (the server restarted, a firewall dropped it, it did not
   * answer within the statement timeout) is ended with every session kept beside it, likely as dead, and `fn` run once
   * more on a new one. A new session that fails so, or cannot be opened, is the instance being unavailable. Only for
   * statements that may run twice: reads, and writes that are idempotent.
   */
  async use<T>(fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    const first = await this.session();
    try {
      return await this.useOn(first.client, fn);
    } catch (err) {
      if (!(err instanceof SessionFailed)) throw err;
      // Sessions found dead are replaced once, not once more by every use that was on one of them.
      if (!this.closed && first.pool === this.pool) this.renew();
      return await this.useOn((await this.session()).client, fn);
    }
  }

  /** Ends the sessions; one still in use (a hung statement) is ended when its use gives up, not waited for. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.replaced.settle();
    let timer: NodeJS.Timeout | undefined;
    const enough = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 1_000);
      timer.unref();
    });
    await Promise.race([this.pool.end().catch(() => undefined), enough]);
    clearTimeout(timer);
  }

  private newPool(): pg.Pool {
    const pool = new pg.Pool({
      ...this.opts.connection, query_timeout: this.opts.statementTimeoutMs ?? KEPT_STATEMENT_TIMEOUT_MS, max: this.opts.max,
      idleTimeoutMillis: this.opts.idleMs ?? KEPT_SESSION_IDLE_MS, allowExitOnIdle: true,
    });
    // An idle session the server ends leaves the pool by itself; a use in flight hears it as its query's error (an
    // 'error' event without a listener would end the worker).
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    return pool;
  }

  /** The kept sessions go (those in use when they are released): the next use connects anew. */
  private renew(): void {
    const old = this.pool;
    this.pool = this.newPool();
    const waiters = this.replaced;
    this.replaced = settledOnce();
    waiters.settle();
    void old.end().catch(() => undefined);
  }

  /** A session of the current pool, and that pool; a use waiting when the pool is replaced waits in the new one. */
  private async session(): Promise<{ client: pg.PoolClient; pool: pg.Pool }> {
    for (;;) {
      if (this.closed) throw new Error('these sessions are closed (the worker is shutting down)');
      const { pool, replaced } = this;
      const connecting = pool.connect();
      const got = await Promise.race([
        connecting.then((client) => ({ client }), (err: unknown) => ({ err })),
        replaced.settled.then(() => undefined),
      ]);
      if (got && 'client' in got) return { client: got.client, pool };
      if (got) throw this.opts.unreachable(got.err);
      // Served by the old pool after all, or never: not this use's any more.
      connecting.then((client) => client.release(), () => undefined);
    }
  }

  private async useOn<T>(client: pg.PoolClient, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    const reused = this.used.has(client);
    this.used.add(client);
    try {
      const out = await fn(client);
      client.release();
      return out;
    } catch (err) {
      const failed = sessionFailed(err);
      // A session that failed is ended, not handed to the next use.
      client.release(failed ? (err as Error) : undefined);
      if (!failed) throw err;
      throw reused ? new SessionFailed(err) : this.opts.unreachable(err);
    }
  }
}

function settledOnce(): { settled: Promise<void>; settle: () => void } {
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => { settle = resolve; });
  return { settled, settle };
}

class SessionFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('a kept session failed');
  }
}

/** A socket that went away under a session. */
const CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);
/** node-postgres's own words for a session it can no longer use (and the statement timeout above). */
const CONNECTION_MESSAGES = /Connection terminated|Query read timeout|is not queryable/i;

/**
 * The session, not the statement, failed: the server's word that the session is over (57P: shut down, terminated by
 * an administrator; 08: connection exception), its socket gone, or node-postgres giving it up. A statement the server
 * refused, or the use's own verdict (a slot still in use, a refusal), leaves the session usable and fails the use as
 * it would have on a connection of its own: it is not run again.
 */
export function sessionFailed(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown; message?: unknown } | undefined;
  if (typeof e?.severity === 'string' && typeof e.code === 'string') return e.code.startsWith('57P') || e.code.startsWith('08');
  if (typeof e?.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  return typeof e?.message === 'string' && CONNECTION_MESSAGES.test(e.message);
}
