import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { addHistory } from '../cluster/catalog';
import type { DemoLayout } from './layout';

const CATALOG_SQL = path.join(__dirname, 'catalog.sql');

/** The Greenplum catalog surface on the coordinator, every segment up and in sync as gpinitsystem leaves it. */
export async function installCatalog(client: pg.Client, layout: DemoLayout): Promise<void> {
  await client.query(fs.readFileSync(CATALOG_SQL, 'utf8'));
  await client.query('BEGIN');
  try {
    const c = layout.coordinator;
    // The coordinator has no standby here, and Greenplum shows a coordinator without standby as mode 'n'.
    await addSegment(client, { ...c, mode: 'n' });
    for (const s of layout.segments) await addSegment(client, { ...s, mode: 's' });
    await addHistory(client, 1, `demo: cluster '${layout.name}' initialized with ${layout.segments.length / 2} contents`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function addSegment(client: pg.Client, s: DemoLayout['coordinator'] & { mode: 's' | 'n' }): Promise<void> {
  await client.query(
    `SELECT gp_add_segment($1::int2, $2::int2, $3::"char", $4::"char", $5::"char", 'u'::"char", $6::int, $7::text, $8::text, $9::text)`,
    [s.dbid, s.content, s.role, s.preferredRole, s.mode, s.port, s.hostname, s.address, s.datadir],
  );
}
