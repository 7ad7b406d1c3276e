import { REPLICATION_SLOT } from '../../domain/names';
import type { Executor } from '../exec/executor';
import { runChecked } from '../exec/executor';
import { writeFileOn } from './copy';

function quoteConf(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** postgresql.auto.conf with these settings replaced: later lines win in PostgreSQL, but one line each is clearer. */
export function rewriteAutoConf(current: string, settings: Record<string, string | number>): string {
  const keep = current.split('\n').filter((line) => {
    const key = /^\s*([a-z_]+)\s*=/.exec(line)?.[1];
    return !(key && key in settings) && line.trim() !== '';
  });
  const added = Object.entries(settings).map(([k, v]) => `${k} = ${typeof v === 'number' ? v : quoteConf(v)}`);
  return [...keep, ...added].join('\n') + '\n';
}

/** Sets parameters in a data directory's postgresql.auto.conf (as ALTER SYSTEM would on a running server). */
export async function setAutoConf(exec: Executor, datadir: string, settings: Record<string, string | number>): Promise<void> {
  const file = `${datadir}/postgresql.auto.conf`;
  const current = (await exec.run(['cat', file])).stdout;
  await writeFileOn(exec, file, rewriteAutoConf(current, settings));
}

export interface MirrorSettings {
  port: number;
  primaryConninfo: string;
}

/**
 * With plain PostgreSQL tools, gprecover makes the directory a streaming mirror of its source itself: the port,
 * primary_conninfo under the name FTS knows mirrors by, the slot, and standby.signal.
 */
export async function configureAsMirror(exec: Executor, datadir: string, s: MirrorSettings): Promise<void> {
  await setAutoConf(exec, datadir, { port: s.port, primary_conninfo: s.primaryConninfo, primary_slot_name: REPLICATION_SLOT });
  // A slot left from the days this directory was a primary would pin WAL on the mirror for ever.
  await runChecked(exec, ['sh', '-c', ': > "$1/standby.signal"; rm -f "$1/recovery.signal"; rm -rf "$1/pg_replslot"/*', 'gprecover-standby', datadir]);
}
