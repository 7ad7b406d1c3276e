import type { Endpoint } from '../domain/segment';
import { DemoError } from './errors';
import { DEMO_TABLESPACE } from './layout';
import { withInstance, type Login } from './sql';

export const demoTable = (content: number) => `demo_data_${content < 0 ? 'coordinator' : content}`;
/** The same rows again, in the demo tablespace, so a recovery's tablespace copy is checked row by row too. */
export const demoTablespaceTable = (content: number) => `demo_tsdata_${content < 0 ? 'coordinator' : content}`;

async function hasTablespace(c: import('pg').Client): Promise<boolean> {
  return (await c.query('SELECT 1 FROM pg_tablespace WHERE spcname = $1', [DEMO_TABLESPACE])).rowCount === 1;
}

/** Appends `rows` rows with ids after the current maximum, so repeated loads keep growing the same tables. */
export async function loadContent(ep: Endpoint, login: Login, content: number, rows: number): Promise<number> {
  return withInstance(ep, { ...login, statementTimeoutMs: 600_000 }, async (c) => {
    const tables = [demoTable(content), ...((await hasTablespace(c)) ? [demoTablespaceTable(content)] : [])];
    for (const t of tables) {
      const where = t === demoTable(content) ? '' : ` TABLESPACE ${DEMO_TABLESPACE}`;
      await c.query(`CREATE TABLE IF NOT EXISTS ${t} (id bigint PRIMARY KEY, content int NOT NULL, payload text NOT NULL)${where}`);
      await c.query(
        `INSERT INTO ${t} SELECT g, $1::int, md5($1::int || ':' || g) || repeat('x', (g % 64)::int)
           FROM (SELECT coalesce(max(id), 0) AS top FROM ${t}) m, generate_series(m.top + 1, m.top + $2::bigint) g`,
        [content, rows],
      );
    }
    const { rows: r } = await c.query(`SELECT count(*)::bigint AS n FROM ${demoTable(content)}`);
    return Number(r[0].n);
  });
}

/** md5 over every row in id order of each demo table: equal on two instances exactly when they hold the same rows. */
export async function checksumContent(ep: Endpoint, login: Login, content: number, dbid: number): Promise<string> {
  return withInstance(ep, { ...login, connectTimeoutMs: 3_000, statementTimeoutMs: 300_000 }, async (c) => {
    const t = demoTable(content);
    const exists = await c.query('SELECT to_regclass($1) IS NOT NULL AS ok', [t]);
    if (!exists.rows[0].ok) throw new DemoError(`dbid ${dbid} has no table ${t}; load data first ('gprecover demo load')`);
    const sums: string[] = [];
    for (const table of [t, demoTablespaceTable(content)]) {
      if (!(await c.query('SELECT to_regclass($1) IS NOT NULL AS ok', [table])).rows[0].ok) continue;
      const { rows } = await c.query(
        `SELECT md5(coalesce(string_agg(id || ':' || content || ':' || payload, ',' ORDER BY id), '')) AS sum FROM ${table}`,
      );
      sums.push(String(rows[0].sum));
    }
    return sums.join('+');
  });
}

export interface BusyLoad {
  /** Writes and drops made so far. */
  readonly rounds: number;
  stop(): Promise<void>;
}

/**
 * A primary that never rests, as a production one: tables created, filled and dropped in its tablespace and its
 * default one, WAL switched and recycled, until stopped. Files vanish under any copy that lists them (rsync's exit
 * 24), and pg_wal turns over. Committed rows of demo_data_<content> keep growing, so a mirror can be checked after.
 */
export function busyLoad(ep: Endpoint, login: Login, content: number): BusyLoad {
  let stopping = false;
  let rounds = 0;
  const run = withInstance(ep, { ...login, statementTimeoutMs: 60_000 }, async (c) => {
    const ts = (await hasTablespace(c)) ? ` TABLESPACE ${DEMO_TABLESPACE}` : '';
    for (let i = 0; !stopping; i++) {
      const t = `demo_churn_${content}_${i % 8}`;
      await c.query(`DROP TABLE IF EXISTS ${t}`);
      await c.query(`CREATE TABLE ${t}${i % 2 ? ts : ''} AS SELECT g AS id, repeat(md5(g::text), 8) AS pad FROM generate_series(1, 2000) g`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${demoTable(content)} (id bigint PRIMARY KEY, content int NOT NULL, payload text NOT NULL)`);
      await c.query(`INSERT INTO ${demoTable(content)} SELECT g, $1::int, md5($1::int || ':' || g) FROM (SELECT coalesce(max(id), 0) AS top FROM ${demoTable(content)}) m, generate_series(m.top + 1, m.top + 50) g`, [content]);
      // A busy primary, not a saturated one: a WAL switch every few seconds, not several a second. While its mirror is
      // down the slot keeps every segment, and unpaced switches grew pg_wal by GBs a minute (a differential's rsync -c
      // of pg_wal then never caught up, and the suite's differential tests timed out).
      if (i % 25 === 24) await c.query('SELECT pg_switch_wal()');
      rounds++;
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  return {
    get rounds() {
      return rounds;
    },
    async stop() {
      stopping = true;
      await run;
    },
  };
}
