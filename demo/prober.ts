import type pg from 'pg';
import { readSegments } from '../cluster/catalog';
import type { Endpoint } from '../domain/segment';
import { applyFtsAction } from './ftsApply';
import { decideFtsActions, isConnected } from './ftsDecide';
import { DEFAULT_PROBE, probeSegments } from './ftsProbe';
import { connect, errorText, sleep, type Login } from './sql';

export interface ProberOptions {
  coordinator: Endpoint;
  login: Login;
  intervalMs: number;
  /**
   * How often gp_fts_probe_requested is polled; a probe request is answered within about this plus one cycle.
   * Greenplum's FTS process is woken at once by a request (PMSIGNAL_WAKEN_FTS), so this is kept short: a request
   * waits here for the demo's poll, not for anything a real coordinator makes it wait for.
   */
  requestPollMs?: number;
  mirrorDownGraceMs?: number;
  log: (line: string) => void;
  /** Checked between cycles; the prober returns when it says so. */
  shouldStop: () => boolean;
  /** Greenplum flavours: never mark up a mirror whose gp_dbid or tablespace links are not its own. */
  checkIdentity?: boolean;
  /** While it says so, cycles change nothing in the catalog but still answer probe requests (benchmarks, tests). */
  frozen?: () => boolean;
}

/** Sequences start unused; until nextval() has run, no ticket exists. */
async function readTicket(coord: pg.Client, sequence: string): Promise<number> {
  const { rows } = await coord.query(`SELECT last_value, is_called FROM ${sequence}`);
  return rows[0].is_called ? Number(rows[0].last_value) : 0;
}

/** The FTS loop of a Greenplum coordinator, run against the demo catalog until told to stop. */
export class FtsProber {
  private coord: pg.Client | undefined;
  private readonly reportedDoubleFaults = new Set<number>();
  private readonly reportedIdentityProblems = new Set<string>();
  private readonly lastConnectedAt = new Map<number, number>();
  private readonly startedAt = Date.now();
  private coordinatorDownLogged = false;

  constructor(private readonly opts: ProberOptions) {}

  private async coordinator(): Promise<pg.Client> {
    if (this.coord) return this.coord;
    const c = await connect(this.opts.coordinator, { ...this.opts.login, connectTimeoutMs: 2_000, applicationName: 'gp_fts_prober' });
    c.on('error', () => {
      if (this.coord === c) this.coord = undefined;
    });
    this.coord = c;
    return c;
  }

  private dropCoordinator(): void {
    this.coord?.end().catch(() => undefined);
    this.coord = undefined;
  }

  async run(): Promise<void> {
    const poll = this.opts.requestPollMs ?? 20;
    let nextCycleAt = 0;
    let handledTicket = -1;
    while (!this.opts.shouldStop()) {
      try {
        const coord = await this.coordinator();
        if (this.coordinatorDownLogged) this.opts.log('coordinator reachable again');
        this.coordinatorDownLogged = false;
        const requested = await readTicket(coord, 'gp_fts_probe_requested');
        if (Date.now() >= nextCycleAt || requested > handledTicket) {
          await this.cycle(coord, requested);
          handledTicket = requested;
          nextCycleAt = Date.now() + this.opts.intervalMs;
          continue;
        }
      } catch (err) {
        if (!this.coordinatorDownLogged) this.opts.log(`probe cycle failed: ${errorText(err)}`);
        this.coordinatorDownLogged = true;
        this.dropCoordinator();
        await sleep(1_000);
        continue;
      }
      await sleep(poll);
    }
    this.dropCoordinator();
  }

  /** One full probe of every content; then every request ticketed before it started counts as answered. */
  async cycle(coord: pg.Client, ticket: number): Promise<void> {
    if (this.opts.frozen?.()) {
      if (ticket > 0) await coord.query(`SELECT setval('gp_fts_probe_completed', $1) WHERE $1 > (SELECT last_value FROM gp_fts_probe_completed)`, [ticket]);
      return;
    }
    const rows = await readSegments(coord);
    const observations = await probeSegments(rows, { ...DEFAULT_PROBE, login: this.opts.login, identity: this.opts.checkIdentity });
    const now = Date.now();
    const disconnected = new Map<number, number>();
    const graceMs = this.opts.mirrorDownGraceMs ?? Math.max(10_000, 3 * this.opts.intervalMs);
    for (const p of rows.filter((r) => r.role === 'p' && r.content >= 0)) {
      const o = observations.get(p.dbid);
      const connected = !!o && isConnected(o, graceMs);
      if (connected) this.lastConnectedAt.set(p.content, now);
      disconnected.set(p.content, connected ? 0 : now - (this.lastConnectedAt.get(p.content) ?? this.startedAt));
      if (o?.reachable && o.inRecovery === false) this.reportedDoubleFaults.delete(p.content);
    }
    const actions = decideFtsActions(rows, observations, {
      reportedDoubleFaults: this.reportedDoubleFaults,
      mirrorDisconnectedMs: disconnected,
      mirrorDownGraceMs: graceMs,
      checkIdentity: this.opts.checkIdentity,
      reportedIdentityProblems: this.reportedIdentityProblems,
    });
    for (const action of actions) {
      try {
        const outcome = await applyFtsAction(coord, action, this.opts.login);
        if (action.kind === 'doubleFault') this.reportedDoubleFaults.add(action.content);
        if (action.identityKey) {
          if (!action.history.length) continue;
          this.reportedIdentityProblems.add(action.identityKey);
        }
        const what = action.history.map((h) => h.desc).join('; ') || `content ${action.content}: synchronous replication ${action.syncRep?.on ? 'on' : 'off'} on primary dbid ${action.syncRep?.dbid}`;
        this.opts.log(outcome === 'applied' ? what : `content ${action.content}: catalog changed while probing, left for the next cycle (${action.kind})`);
      } catch (err) {
        this.opts.log(`content ${action.content}: ${action.kind} failed: ${errorText(err)}`);
      }
    }
    if (ticket > 0) await coord.query(`SELECT setval('gp_fts_probe_completed', $1) WHERE $1 > (SELECT last_value FROM gp_fts_probe_completed)`, [ticket]);
  }
}
