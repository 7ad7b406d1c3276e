import path from 'node:path';
import type { Executor } from '../cluster/exec/executor';
import { runChecked } from '../cluster/exec/executor';
import { PLUMBING_MARK } from './gphome/hba';

/**
 * Settings every demo instance shares; they travel with pg_basebackup and pg_rewind copies, which is why
 * nothing here is specific to one instance.
 */
export const SHARED_SETTINGS: Record<string, string> = {
  unix_socket_directories: "''",
  wal_level: 'replica',
  max_wal_senders: '10',
  max_replication_slots: '10',
  hot_standby: 'on',
  // pg_rewind (incremental recovery) refuses a target without hint bits in WAL.
  wal_log_hints: 'on',
  // Small enough that a busy primary recycles WAL (demo load --busy), as a real one does under load.
  wal_keep_size: "'64MB'",
  min_wal_size: "'32MB'",
  max_wal_size: "'128MB'",
  shared_buffers: "'16MB'",
  max_connections: '40',
  fsync: 'off',
  // wal_sender_timeout stays PostgreSQL's 60 s: a hung mirror's walsender lingers that long, as on a real cluster;
  // FTS marks the mirror down sooner, from the age of its last reply (ftsDecide.ts).
  wal_receiver_status_interval: "'1s'",
  log_line_prefix: "'%m [%p] '",
  // Greenplum's answers first: public.pg_tablespace_location (createCluster.ts) before PostgreSQL 15's own.
  search_path: `'"$user", public, pg_catalog'`,
};

/**
 * listen_addresses comes from a per-host file found relative to the data directory, so a copy made by
 * recovery listens on the address of the host it lands on, not on its source's.
 */
export const HOST_CONF_INCLUDE_SEGMENT = '../../host.conf';
export const HOST_CONF_INCLUDE_COORDINATOR = '../host.conf';

/** `preload`: the demo's Greenplum server module (gp_role, gp_dbid, utility-mode rule), for the Greenplum flavours. */
export function instanceConf(port: number, hostConfInclude: string, preload?: string): string {
  const lines = ['', '# gprecover demo cluster'];
  for (const [k, v] of Object.entries(SHARED_SETTINGS)) lines.push(`${k} = ${v}`);
  if (preload) lines.push(`shared_preload_libraries = '${preload}'`);
  lines.push(`port = ${port}`, `include_if_exists = '${hostConfInclude}'`, '');
  return lines.join('\n');
}

export function hostConf(addresses: string[]): string {
  return `# written by the gprecover demo cluster: the loopback addresses standing for this host\nlisten_addresses = '${addresses.join(',')}'\n`;
}

export const HBA_CONF = [
  '# gprecover demo cluster: loopback only, no passwords',
  'host  all          all  127.0.0.0/8  trust',
  'host  replication  all  127.0.0.0/8  trust',
  '',
].join('\n');

/**
 * pg_hba.conf of a Greenplum-flavoured instance, as gpinitsystem leaves it: the coordinator, the instance's own host
 * and (for a segment) its mirror's host are trusted, no other. Every connection of the demo really comes from the
 * loopback, so the marked plumbing lines let the servers accept it; the demo's tools judge a connection by the rest
 * (see gphome/hba.ts), so a copy onto a host these lines do not name is refused as on a real cluster.
 */
export function greenplumHba(user: string, coordinator: string[], hosts: string[]): string {
  const lines = [
    '# gprecover demo cluster (Greenplum rules): every address of the coordinator and of this content\'s hosts',
    // Connections of the demo's hosts to each other all leave from 127.0.0.1.
    `host  all          all     127.0.0.1/32  trust  ${PLUMBING_MARK}`,
    `host  replication  all     127.0.0.1/32  trust  ${PLUMBING_MARK}`,
    ...coordinator.map((a) => `host  all          all     ${a}/32  trust`),
    `host  replication  ${user}  samehost  trust`,
  ];
  for (const h of [...new Set(hosts)]) lines.push(`host  all          ${user}  ${h}/32  trust`, `host  replication  ${user}  ${h}/32  trust`);
  return `${lines.join('\n')}\n`;
}

export async function writeFile(exec: Executor, file: string, content: string, append = false): Promise<void> {
  await runChecked(exec, append ? ['tee', '-a', file] : ['tee', file], { input: content, timeoutMs: 10_000 });
}

export async function readFile(exec: Executor, file: string): Promise<string> {
  return (await runChecked(exec, ['cat', file], { timeoutMs: 10_000 })).stdout;
}

/** Replaces every active `name = …` line of postgresql.conf (appends one if none), as gprecoverseg does for `port`. */
export async function setConfSetting(exec: Executor, datadir: string, name: string, value: string): Promise<void> {
  const file = path.join(datadir, 'postgresql.conf');
  const pattern = new RegExp(`^\\s*${name}\\s*=.*$`, 'gm');
  const current = await readFile(exec, file);
  const line = `${name} = ${value}`;
  const next = pattern.test(current) ? current.replace(pattern, line) : `${current.replace(/\n?$/, '\n')}${line}\n`;
  await writeFile(exec, file, next);
}
