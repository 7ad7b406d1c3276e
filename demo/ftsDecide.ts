import type { Mode, Role, SegmentRow, Status } from '../domain/segment';

/** What one probe learned about one instance. */
export interface InstanceObservation {
  /** Answered `SELECT pg_is_in_recovery()` within the retries. */
  reachable: boolean;
  inRecovery?: boolean;
  error?: string;
  /**
   * Only on an instance answering as a primary: its gp_walreceiver walsender, null when no mirror is connected. Its
   * flush lag is seen and, as by Greenplum's FTS, not judged: a streaming mirror is in sync whatever is in flight.
   */
  walsender?: { state: string; flushLagBytes: number; replyAgeMs?: number } | null;
  /** Only on an instance answering as a primary: synchronous_standby_names is set. */
  syncRepOn?: boolean;
  /** Greenplum flavours: the gp_dbid in its internal.auto.conf and where its tablespace links point. */
  identity?: { gpDbid?: number; tablespaceLinks: string[] };
}

export interface FtsContext {
  /** Contents whose double fault already has its history row; it is written once. */
  reportedDoubleFaults: ReadonlySet<number>;
  /** Per content: how long its primary has had no connected mirror (ms). */
  mirrorDisconnectedMs: ReadonlyMap<number, number>;
  /** A reachable mirror that stays unconnected this long is marked down (gp_fts_mark_mirror_down_grace_period). */
  mirrorDownGraceMs: number;
  /** Greenplum flavours: a mirror whose identity is not its own is never marked up. */
  checkIdentity?: boolean;
  /** `dbid:problem` already written to the history once. */
  reportedIdentityProblems?: ReadonlySet<string>;
}

export interface SegmentUpdate {
  dbid: number;
  role?: Role;
  mode?: Mode;
  status?: Status;
}

export type FtsActionKind = 'failover' | 'mirrorDown' | 'mirrorUp' | 'inSync' | 'normalizeMode' | 'syncRep' | 'doubleFault' | 'identityRefused';

export interface FtsAction {
  kind: FtsActionKind;
  content: number;
  /** The content's catalog rows as decided on; the change is dropped if they moved meanwhile (a recovery ran). */
  expected: SegmentRow[];
  /** pg_promote() on this dbid before the catalog changes, unless it already left recovery. */
  promote?: number;
  updates: SegmentUpdate[];
  history: Array<{ dbid: number; desc: string }>;
  /** synchronous_standby_names on this acting primary: turned on before the catalog change, off after it. */
  syncRep?: { dbid: number; on: boolean };
  /** identityRefused: the `dbid:problem` key its history row is written once under. */
  identityKey?: string;
}

/**
 * Why a segment is not who the catalog says: a gp_dbid other than its dbid (a copy that kept its primary's
 * internal.auto.conf), or a tablespace linked into another dbid's <location>/<dbid> directory. Real Greenplum finds
 * out only when such a mirror is promoted; the demo refuses to mark it up at all.
 */
export function identityProblem(o: InstanceObservation | undefined, dbid: number): string | undefined {
  if (!o?.identity) return 'its identity (internal.auto.conf) could not be read';
  if (o.identity.gpDbid !== dbid) return `carries gp_dbid=${o.identity.gpDbid ?? 'nothing'} in internal.auto.conf, not its own dbid ${dbid}`;
  const foreign = o.identity.tablespaceLinks.find((l) => !l.replace(/\/+$/, '').endsWith(`/${dbid}`));
  if (foreign) return `has a tablespace linked to ${foreign}, not to a directory of its own dbid ${dbid}`;
  return undefined;
}

/**
 * Greenplum's primary answers FTS that its mirror is down once the walsender has heard nothing from it for
 * gp_fts_mark_mirror_down_grace_period, even while the walsender itself lingers until wal_sender_timeout (a hung
 * mirror host): connected means streaming (or catching up) and replying.
 */
export const isConnected = (o: InstanceObservation, graceMs = Infinity) =>
  (o.walsender?.state === 'streaming' || o.walsender?.state === 'catchup') && (o.walsender.replyAgeMs ?? 0) < graceMs;
/**
 * In sync is Greenplum's GetMirrorStatus (gp_replication.c): IsInSync = is_up && walsender state STREAMING. The
 * walsender streams once it has sent the primary's WAL end, and stays so while WAL flows: the flush lag of a busy
 * primary's mirror is seldom 0, and Greenplum does not wait for it.
 */
const isCaughtUp = (o: InstanceObservation) => o.walsender?.state === 'streaming';

/**
 * Greenplum FTS for one probe cycle: from catalog rows and what the probes saw, the changes to make.
 * A content whose primary and mirror are both up and healthy is left alone (apart from the sync-rep switch,
 * which never touches the catalog).
 */
export function decideFtsActions(
  rows: SegmentRow[],
  observations: ReadonlyMap<number, InstanceObservation>,
  ctx: FtsContext,
): FtsAction[] {
  const actions: FtsAction[] = [];
  const contents = [...new Set(rows.filter((r) => r.content >= 0).map((r) => r.content))].sort((a, b) => a - b);
  for (const content of contents) {
    const expected = rows.filter((r) => r.content === content);
    const primaries = expected.filter((r) => r.role === 'p');
    const mirrors = expected.filter((r) => r.role === 'm');
    // Only pairs FTS can reason about; anything else is a recovery in progress or a hand-edited catalog.
    if (primaries.length !== 1 || mirrors.length !== 1) continue;
    const action = decideContent(content, primaries[0], mirrors[0], expected, observations, ctx);
    if (action) actions.push(action);
  }
  return actions;
}

function decideContent(
  content: number,
  p: SegmentRow,
  m: SegmentRow,
  expected: SegmentRow[],
  observations: ReadonlyMap<number, InstanceObservation>,
  ctx: FtsContext,
): FtsAction | undefined {
  const op = observations.get(p.dbid) ?? { reachable: false, error: 'not probed' };
  const om = observations.get(m.dbid);
  const base = { content, expected };
  if (p.status !== 'u') return undefined;

  if (!op.reachable || op.inRecovery !== false) {
    const why = op.reachable ? 'answers as a standby' : `unreachable${op.error ? `: ${op.error}` : ''}`;
    const inSync = m.status === 'u' && m.mode === 's' && p.mode === 's';
    if (inSync && om?.reachable) {
      return {
        ...base,
        kind: 'failover',
        promote: m.dbid,
        updates: [
          { dbid: m.dbid, role: 'p', status: 'u', mode: 'n' },
          { dbid: p.dbid, role: 'm', status: 'd', mode: 'n' },
        ],
        history: [
          { dbid: p.dbid, desc: `FTS: content ${content} fault marking status down dbid ${p.dbid} (primary ${why})` },
          { dbid: m.dbid, desc: `FTS: content ${content} promoted mirror dbid ${m.dbid} to primary` },
        ],
        syncRep: { dbid: m.dbid, on: false },
      };
    }
    if (ctx.reportedDoubleFaults.has(content)) return undefined;
    const mirrorWhy = m.status === 'd' ? 'is marked down' : m.mode !== 's' || p.mode !== 's' ? 'is not in sync' : `is unreachable${om?.error ? `: ${om.error}` : ''}`;
    return {
      ...base,
      kind: 'doubleFault',
      updates: [],
      history: [{ dbid: p.dbid, desc: `FTS: content ${content} double fault: primary dbid ${p.dbid} ${why} and mirror dbid ${m.dbid} ${mirrorWhy}; no action` }],
    };
  }

  const connected = isConnected(op, ctx.mirrorDownGraceMs);
  const caughtUp = isCaughtUp(op);
  if (m.status === 'u') {
    const disconnectedMs = ctx.mirrorDisconnectedMs.get(content) ?? 0;
    if (!connected && (!om?.reachable || disconnectedMs >= ctx.mirrorDownGraceMs)) {
      const why = om?.reachable ? `not connected to its primary for ${Math.round(disconnectedMs / 1000)} s` : `unreachable${om?.error ? `: ${om.error}` : ''}`;
      return {
        ...base,
        kind: 'mirrorDown',
        updates: [{ dbid: m.dbid, status: 'd', mode: 'n' }, { dbid: p.dbid, mode: 'n' }],
        history: [{ dbid: m.dbid, desc: `FTS: content ${content} fault marking status down dbid ${m.dbid} (mirror ${why})` }],
        syncRep: { dbid: p.dbid, on: false },
      };
    }
    const pairMode = p.mode === 's' && m.mode === 's' ? 's' : 'n';
    if (pairMode === 'n' && caughtUp) {
      return {
        ...base,
        kind: 'inSync',
        updates: [{ dbid: p.dbid, mode: 's' }, { dbid: m.dbid, mode: 's' }],
        history: [{ dbid: m.dbid, desc: `FTS: content ${content} mirror dbid ${m.dbid} caught up with primary dbid ${p.dbid}, marking mode s` }],
        syncRep: { dbid: p.dbid, on: true },
      };
    }
    if (pairMode === 's' && caughtUp && op.syncRepOn === false) return syncRepOnly(base, p.dbid, true);
    if (pairMode === 'n' && op.syncRepOn === true) return syncRepOnly(base, p.dbid, false);
    return undefined;
  }

  if (connected && ctx.checkIdentity) {
    const problem = identityProblem(om, m.dbid);
    if (problem) {
      const key = `${m.dbid}:${problem}`;
      const desc = `FTS: content ${content} mirror dbid ${m.dbid} ${problem}; not marking it up`;
      return { ...base, kind: 'identityRefused', updates: [], identityKey: key, history: ctx.reportedIdentityProblems?.has(key) ? [] : [{ dbid: m.dbid, desc }] };
    }
  }
  if (connected) {
    return {
      ...base,
      kind: 'mirrorUp',
      updates: caughtUp
        ? [{ dbid: m.dbid, status: 'u', mode: 's' }, { dbid: p.dbid, mode: 's' }]
        : [{ dbid: m.dbid, status: 'u', mode: 'n' }, { dbid: p.dbid, mode: 'n' }],
      history: [{
        dbid: m.dbid,
        desc: `FTS: content ${content} mirror dbid ${m.dbid} connected to primary dbid ${p.dbid}, marking status up${caughtUp ? ' and mode s' : ' (catching up)'}`,
      }],
      syncRep: caughtUp ? { dbid: p.dbid, on: true } : undefined,
    };
  }
  // A mirror that is down leaves the pair unsynchronized, whatever the catalog says.
  if (p.mode === 's' || m.mode === 's') {
    return {
      ...base,
      kind: 'normalizeMode',
      updates: [{ dbid: p.dbid, mode: 'n' }, { dbid: m.dbid, mode: 'n' }],
      history: [{ dbid: m.dbid, desc: `FTS: content ${content} mirror dbid ${m.dbid} is down, marking mode n` }],
      syncRep: { dbid: p.dbid, on: false },
    };
  }
  if (op.syncRepOn === true) return syncRepOnly(base, p.dbid, false);
  return undefined;
}

function syncRepOnly(base: { content: number; expected: SegmentRow[] }, dbid: number, on: boolean): FtsAction {
  return { ...base, kind: 'syncRep', updates: [], history: [], syncRep: { dbid, on } };
}
