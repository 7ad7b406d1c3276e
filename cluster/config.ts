import fs from 'node:fs';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
export const DATA_DIR = process.env.GPRECOVER_DATA_DIR ?? path.join(PROJECT_ROOT, '.data');

/** How the worker reaches one segment host. */
export interface HostConfig {
  /** Address to connect to; defaults to the catalog's `address` column. */
  address?: string;
  executor?: 'local' | 'ssh';
  ssh?: SshConfig;
}

export interface SshConfig {
  port?: number;
  username?: string;
  privateKeyPath?: string;
  /** OpenSSH known_hosts file; host keys are verified against it unless strictHostKeyChecking is false. */
  knownHostsPath?: string;
  strictHostKeyChecking?: boolean;
  /** Commands in flight per host at once. */
  maxConcurrency?: number;
  readyTimeoutMs?: number;
}

export interface CoordinatorConfig {
  host: string;
  port: number;
  user: string;
  database: string;
  /** Prefer ~/.pgpass or PGPASSWORD in the worker's environment; never put secrets in workflow input. */
  password?: string;
}

/** Worker-side description of one cluster; workflow input only names the cluster. */
export interface ClusterConfig {
  name: string;
  coordinator: CoordinatorConfig;
  /** Directory with initdb, pg_ctl, pg_basebackup, pg_rewind, pg_controldata on every segment host. */
  pgBin: string;
  /** OS user that owns the segment data directories (gpadmin); local commands run as it when the worker is root. */
  osUser?: string;
  /** Database user used for replication connections (pg_basebackup / pg_rewind source). */
  replicationUser?: string;
  /** Executor for hosts not listed in `hosts`: 'local' for loopback addresses, otherwise 'ssh'. */
  defaultExecutor?: 'local' | 'ssh';
  defaultSsh?: SshConfig;
  hosts?: Record<string, HostConfig>;
  /** libpq `options` for direct segment connections: '-c gp_role=utility' on GPDB 7, '-c gp_session_role=utility' on GPDB 6. */
  segmentConnectOptions?: string;
  /** Write the catalog address into listen_addresses of a recovered segment (hosts that share one machine, as in the demo). */
  listenOnCatalogAddress?: boolean;
  /** Throttle for copies, as pg_basebackup --max-rate takes it (e.g. '100M'); rsync gets the same limit. */
  copyMaxRate?: string;
  /** Seconds between FTS probes of the cluster, used to size waits. */
  ftsProbeIntervalSec?: number;
}

export interface ClustersFile {
  clusters: Record<string, ClusterConfig>;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function clustersFilePath(): string {
  return process.env.GPRECOVER_CONFIG ?? path.join(DATA_DIR, 'clusters.json');
}

export function readClustersFile(file = clustersFilePath()): ClustersFile {
  if (!fs.existsSync(file)) return { clusters: {} };
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as ClustersFile;
    return { clusters: parsed.clusters ?? {} };
  } catch (err) {
    throw new ConfigError(`cluster configuration ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

export function loadClusterConfig(name: string, file = clustersFilePath()): ClusterConfig {
  const { clusters } = readClustersFile(file);
  const cfg = clusters[name];
  if (!cfg) {
    const known = Object.keys(clusters);
    throw new ConfigError(
      `unknown cluster '${name}' (${known.length ? `known: ${known.join(', ')}` : 'none configured'}; clusters are configured in ${file})`,
    );
  }
  return { ...cfg, name };
}

export function saveClusterConfig(cfg: ClusterConfig, file = clustersFilePath()): void {
  const current = readClustersFile(file);
  current.clusters[cfg.name] = cfg;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(current, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export function removeClusterConfig(name: string, file = clustersFilePath()): void {
  const current = readClustersFile(file);
  if (!(name in current.clusters)) return;
  delete current.clusters[name];
  fs.writeFileSync(file, JSON.stringify(current, null, 2) + '\n');
}
