import type { Executor } from '../exec/executor';
import { runChecked } from '../exec/executor';

export const REPLICATION_SLOT = 'internal_wal_replication_slot';

function quoteConf(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** postgresql.auto.conf with gprecover's settings replaced: later lines win in PostgreSQL, but one line each is clearer. */
export function rewriteAutoConf(current: string, settings: Record<string, string | number>): string {
  const keep = current.split('\n').filter((line) => {
    const key = /^\s*([a-z_]+)\s*=/.exec(line)?.[1];
    return !(key && key in settings) && line.trim() !== '';
  });
  const added = Object.entries(settings).map(([k, v]) => `${k} = ${typeof v === 'number' ? v : quoteConf(v)}`);
  return [...keep, ...added].join('\n') + '\n';
}

export interface MirrorSettings {
  port: number;
  listenAddress?: string;
  primaryConninfo: string;
}

/** Makes `datadir` start as a streaming mirror of its source on the catalog's port: standby.signal + auto.conf. */
export async function configureAsMirror(exec: Executor, datadir: string, s: MirrorSettings): Promise<void> {
  const file = `${datadir}/postgresql.auto.conf`;
  const current = (await exec.run(['cat', file])).stdout;
  const settings: Record<string, string | number> = {
    port: s.port,
    primary_conninfo: s.primaryConninfo,
    primary_slot_name: REPLICATION_SLOT,
  };
  if (s.listenAddress) settings.listen_addresses = s.listenAddress;
  await runChecked(exec, ['sh', '-c', 'cat > "$1.tmp" && mv "$1.tmp" "$1"', 'sh', file], { input: rewriteAutoConf(current, settings) });
  // A stale slot from the days this directory was a primary would pin WAL on the mirror for ever.
  // A slot left from the days this directory was a primary would pin WAL on the mirror for ever.
  await runChecked(exec, ['sh', '-c', ': > "$1/standby.signal"; rm -f "$1/recovery.signal"; rm -rf "$1/pg_replslot"/*', 'sh', datadir]);
}
