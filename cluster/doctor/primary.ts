import dns from 'node:dns/promises';
import type pg from 'pg';
import type { HbaRuleFact, PairFacts, SlotFact } from '../../domain/doctor';
import { errorMessage } from '../../domain/failures';
import { REPLICATION_SLOT, WALRECEIVER_APPLICATION_NAME } from '../../domain/names';
import type { SegmentRow } from '../../domain/segment';
import { isIpLiteral } from '../../domain/values';
import type { ClusterContext } from '../context';
import { segmentClient } from '../segment/sql';

export type PrimaryFacts = Pick<PairFacts, 'answers' | 'answerError' | 'sizeBytes' | 'hba' | 'slot' | 'slotError' | 'walReceiver'>;

/** A primary that accepts the connection and then says nothing (a hung host) costs this much, once. */
const ANSWER_WITHIN_MS = 30_000;
/** Each query; the connection itself is bounded by segmentClient (10 s). */
const QUERY_WITHIN_MS = 5_000;
const RESOLVE_WITHIN_MS = 5_000;

// Every query only reads; pg_hba_file_rules parses the file on disk, as the server would load it at its next reload.
const SIZE = `SELECT ((SELECT sum(pg_database_size(oid)) FROM pg_database) + (SELECT coalesce(sum(size), 0) FROM pg_ls_waldir()))::bigint AS size`;
const HBA = 'SELECT line_number, type, database, user_name, address, netmask, auth_method, error FROM pg_hba_file_rules ORDER BY line_number';
// to_jsonb: wal_status exists from PostgreSQL 13 on (Cloudberry), not in Greenplum 7's PostgreSQL 12.
const SLOT = `SELECT to_jsonb(s) AS slot, pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::float8 AS retained
  FROM pg_replication_slots s WHERE slot_name = $1`;
const WALRECEIVER = `SELECT state FROM pg_stat_replication WHERE application_name = $1 ORDER BY state = 'streaming' DESC LIMIT 1`;

const KEYWORDS = new Set(['all', 'samehost', 'samenet']);

function withTimeout<T>(p: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((resolve) => { timer = setTimeout(() => resolve(fallback()), ms); })]).finally(() => clearTimeout(timer));
}

/** A host-name address of pg_hba.conf as this machine resolves it (PostgreSQL resolves it on the primary's host). */
async function resolveName(name: string): Promise<string[]> {
  const lookup = dns.lookup(name, { all: true }).then((r) => r.map((a) => a.address), () => []);
  return withTimeout(lookup, RESOLVE_WITHIN_MS, () => []);
}

async function hbaRules(c: pg.Client): Promise<HbaRuleFact[]> {
  const rows = (await c.query(HBA)).rows;
  return Promise.all(rows.map(async (r): Promise<HbaRuleFact> => {
    const address = r.address === null ? null : String(r.address);
    const named = address !== null && !KEYWORDS.has(address) && !isIpLiteral(address);
    return {
      line: Number(r.line_number), type: String(r.type ?? ''), databases: r.database ?? [], users: r.user_name ?? [],
      address, netmask: r.netmask ?? null, method: r.auth_method ?? null, error: r.error ?? null,
      ...(named ? { resolved: await resolveName(address) } : {}),
    };
  }));
}

async function slotOf(c: pg.Client): Promise<SlotFact | null> {
  const rows = (await c.query(SLOT, [REPLICATION_SLOT])).rows;
  if (!rows.length) return null;
  const s = rows[0].slot as Record<string, unknown>;
  return {
    active: s.active === true,
    activePid: typeof s.active_pid === 'number' ? s.active_pid : null,
    ...(typeof s.wal_status === 'string' ? { walStatus: s.wal_status } : {}),
    retainedBytes: rows[0].retained === null ? null : Number(rows[0].retained),
  };
}

const failed = (err: unknown) => errorMessage(err).split('\n')[0];

/**
 * What an acting primary says in one utility-mode session (the way every gprecover session reaches a segment): its
 * size, its pg_hba.conf rules, the mirror's slot and walreceiver. A query it refuses is said, not thrown.
 */
export async function primaryFacts(ctx: ClusterContext, primary: SegmentRow): Promise<PrimaryFacts> {
  const client = segmentClient(ctx, primary);
  client.on('error', () => undefined);
  const asked = (async (): Promise<PrimaryFacts> => {
    try {
      await client.connect();
      await client.query(`SET statement_timeout = '${QUERY_WITHIN_MS}ms'`);
    } catch (err) {
      return { answers: false, answerError: failed(err) };
    }
    const out: PrimaryFacts = { answers: true };
    await attempt(async () => { out.sizeBytes = Number((await client.query(SIZE)).rows[0].size); }, () => undefined);
    await attempt(async () => { out.hba = { rules: await hbaRules(client) }; }, (e) => { out.hba = { error: e }; });
    await attempt(async () => { out.slot = await slotOf(client); }, (e) => { out.slotError = e; });
    await attempt(async () => { out.walReceiver = (await client.query(WALRECEIVER, [WALRECEIVER_APPLICATION_NAME])).rows[0]?.state ?? null; }, () => undefined);
    return out;
  })();
  try {
    return await withTimeout(asked, ANSWER_WITHIN_MS, () => ({ answers: false, answerError: `no answer within ${ANSWER_WITHIN_MS / 1000} s` }));
  } finally {
    void client.end().catch(() => undefined);
  }
}

async function attempt(fn: () => Promise<void>, onError: (message: string) => void): Promise<void> {
  try {
    await fn();
  } catch (err) {
    onError(failed(err));
  }
}
