import type { Endpoint } from './sql';
import { DemoError } from './errors';
import { withInstance } from './sql';

export const demoTable = (content: number) => `demo_data_${content < 0 ? 'coordinator' : content}`;

/** Appends `rows` rows with ids after the current maximum, so repeated loads keep growing the same table. */
export async function loadContent(ep: Endpoint, user: string, content: number, rows: number): Promise<number> {
  const t = demoTable(content);
  return withInstance(ep, { user, statementTimeoutMs: 600_000 }, async (c) => {
    await c.query(`CREATE TABLE IF NOT EXISTS ${t} (id bigint PRIMARY KEY, content int NOT NULL, payload text NOT NULL)`);
    await c.query(
      `INSERT INTO ${t} SELECT g, $1::int, md5($1::int || ':' || g) || repeat('x', (g % 64)::int)
         FROM (SELECT coalesce(max(id), 0) AS top FROM ${t}) m, generate_series(m.top + 1, m.top + $2::bigint) g`,
      [content, rows],
    );
    const { rows: r } = await c.query(`SELECT count(*)::bigint AS n FROM ${t}`);
    return Number(r[0].n);
  });
}

/** md5 over every row in id order: equal on two instances exactly when they hold the same rows. */
export async function checksumContent(ep: Endpoint, user: string, content: number, dbid: number): Promise<string> {
  const t = demoTable(content);
  return withInstance(ep, { user, connectTimeoutMs: 3_000, statementTimeoutMs: 300_000 }, async (c) => {
    const exists = await c.query('SELECT to_regclass($1) IS NOT NULL AS ok', [t]);
    if (!exists.rows[0].ok) throw new DemoError(`dbid ${dbid} has no table ${t}; load data first ('gprecover demo load')`);
    const { rows } = await c.query(
      `SELECT md5(coalesce(string_agg(id || ':' || content || ':' || payload, ',' ORDER BY id), '')) AS sum FROM ${t}`,
    );
    return String(rows[0].sum);
  });
}
