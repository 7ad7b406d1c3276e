import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { directoryProblem } from '../domain/values';
import { FLAVOR_NAMES } from '../domain/flavor';
import { InvalidRequestError } from '../domain/failures';
import { HOOK_NAME, POLICY_LIMITS } from '../domain/autoPolicy';
import { maxRateKbPerSec } from '../domain/options';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
export const DATA_DIR = process.env.GPRECOVER_DATA_DIR ?? path.join(PROJECT_ROOT, '.data');

export class ConfigError extends InvalidRequestError {
  override name = 'ConfigError';
}

const absolutePath = z.string().refine((p) => p.startsWith('/'), 'must be an absolute path');
const port = z.number().int().min(1).max(65535);

const sshSchema = z.strictObject({
  port: port.optional(),
  username: z.string().min(1).optional(),
  privateKeyPath: absolutePath.optional(),
  /** OpenSSH known_hosts file; host keys are verified against it unless strictHostKeyChecking is false. */
  knownHostsPath: absolutePath.optional(),
  strictHostKeyChecking: z.boolean().optional(),
  /** Commands in flight per host at once. */
  maxConcurrency: z.number().int().min(1).max(64).optional(),
  readyTimeoutMs: z.number().int().min(100).optional(),
});

/** How the worker reaches one segment host. */
const hostSchema = z.strictObject({
  /** Address to connect to; defaults to the catalog's `address` column. */
  address: z.string().min(1).optional(),
  executor: z.enum(['local', 'ssh']).optional(),
  ssh: sshSchema.optional(),
});

export { maxRateKbPerSec } from '../domain/options';

const clusterSchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    coordinator: z.strictObject({
      host: z.string().min(1),
      port,
      user: z.string().min(1),
      database: z.string().min(1),
      /** Prefer ~/.pgpass or PGPASSWORD in the worker's environment; never put secrets in workflow input. */
      password: z.string().optional(),
    }),
    /** Greenplum 7, Cloudberry or plain PostgreSQL tools; 'auto' (the default) reads the coordinator's version(). */
    flavor: z.enum([...FLAVOR_NAMES, 'auto']).optional(),
    /** The installation on every segment host: its environment script is sourced before each command, tools in bin/. */
    gpHome: absolutePath.optional(),
    /** Directory of pg_ctl, pg_basebackup, pg_rewind … on every segment host, when it is not $gpHome/bin. */
    pgBin: absolutePath.optional(),
    /** OS user that owns the segment data directories (gpadmin); local commands run as it when the worker is root. */
    osUser: z.string().min(1).optional(),
    /** Database user of replication connections (pg_basebackup / pg_rewind source); default: the OS user, as gpMgmt. */
    replicationUser: z.string().min(1).optional(),
    /** Executor for hosts not listed in `hosts` (default 'ssh'): 'local' runs their commands on the worker's own host. */
    defaultExecutor: z.enum(['local', 'ssh']).optional(),
    defaultSsh: sshSchema.optional(),
    hosts: z.record(z.string(), hostSchema).optional(),
    /** Write the catalog address into listen_addresses of a recovered segment (hosts that share one machine, as in the demo). */
    listenOnCatalogAddress: z.boolean().optional(),
    /** Throttle for copies, as pg_basebackup --max-rate takes it (e.g. '100M'); rsync gets the same limit. */
    copyMaxRate: z.string().refine((r) => maxRateKbPerSec(r) !== undefined, 'must be like 32k or 100M (32 kB/s to 1024 MB/s)').optional(),
    /**
     * Where a full recovery keeps the failed segment's evidence on its host before it copies over it (default
     * ~/gpAdminLogs/gprecover_evidence of the OS user): one bounded bundle per segment and run.
     */
    evidenceDirectory: z.string().refine((d) => directoryProblem(d) === undefined, 'must be an absolute, normalized path of letters, digits and ._+-/ (no .. or //)').optional(),
    /** Seconds between FTS probes of the cluster, used to size waits. */
    ftsProbeIntervalSec: z.number().positive().optional(),
  })
  .refine((c) => c.gpHome !== undefined || c.pgBin !== undefined, { message: 'needs gpHome (the installation) or pgBin (its bin directory)' });

/** A secret a webhook sends: given in the file, or read at send time from the worker's environment or a file. */
const secretSchema = z.union([z.string(), z.strictObject({ env: z.string().min(1) }), z.strictObject({ file: absolutePath })]);

/**
 * Where an automatic run's decisions are told (a policy names the hook): commands and URLs live here, in the worker's
 * own configuration, never in workflow input, history or output.
 */
const hookSchema = z.strictObject({
  /** Run on the worker's host with the decision as JSON on stdin: an argument array (no shell), or a line for sh -c. */
  command: z.union([z.array(z.string().min(1)).min(1), z.string().trim().min(1)]).optional(),
  /** POSTed the decision as JSON; headers (an Authorization token, say) may come from the environment or a file. */
  webhook: z.strictObject({
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name'), secretSchema).optional(),
  }).optional(),
  timeoutSeconds: z.number().min(POLICY_LIMITS.minNotifyTimeoutSeconds).max(POLICY_LIMITS.maxNotifyTimeoutSeconds).optional(),
}).refine((h) => h.command !== undefined || h.webhook !== undefined, { message: 'needs a command or a webhook' });

const fileSchema = z.strictObject({
  clusters: z.record(z.string(), clusterSchema).default({}),
  notifyHooks: z.record(z.string().regex(HOOK_NAME, "must be letters, digits, '_', '.' or '-'"), hookSchema).default({}),
});

export type SshConfig = z.infer<typeof sshSchema>;
export type HostConfig = z.infer<typeof hostSchema>;
/** Worker-side description of one cluster; workflow input only names the cluster. */
export type ClusterConfig = Omit<z.infer<typeof clusterSchema>, 'name'> & { name: string };

export type NotifyHookConfig = z.infer<typeof hookSchema>;
export type SecretSource = z.infer<typeof secretSchema>;

export interface ClustersFile {
  clusters: Record<string, ClusterConfig>;
  notifyHooks: Record<string, NotifyHookConfig>;
}

/** Directory of the cluster's tools on its hosts. */
export function toolsDir(cfg: ClusterConfig): string {
  return cfg.pgBin ?? `${cfg.gpHome}/bin`;
}

export function clustersFilePath(): string {
  return process.env.GPRECOVER_CONFIG ?? path.join(DATA_DIR, 'clusters.json');
}

/** One zod issue as `field.path: message, not <value>`: what every validated file says of a bad field. */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = issue.path.map(String).join('.') || '(top level)';
  let value: unknown = input;
  for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key as string];
  if (issue.code === 'unrecognized_keys') return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  // A value under a secret's name is never repeated in an error message.
  const secret = issue.path.some((k) => /password|secret|token|headers/i.test(String(k)));
  const shown = value === undefined || secret ? '' : `, not ${JSON.stringify(value)?.slice(0, 60)}`;
  return `${where}: ${issue.message}${shown}`;
}

/** Reads and validates the file; every problem names its field, on one line. */
export function readClustersFile(file = clustersFilePath()): ClustersFile {
  if (!fs.existsSync(file)) return { clusters: {}, notifyHooks: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cluster configuration ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => describeIssue(i, raw));
    throw new ConfigError(`cluster configuration ${file}: ${problems.join('; ')}`);
  }
  const clusters: Record<string, ClusterConfig> = {};
  for (const [name, cfg] of Object.entries(parsed.data.clusters)) clusters[name] = { ...cfg, name };
  return { clusters, notifyHooks: parsed.data.notifyHooks };
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
  return cfg;
}

function writeAtomically(file: string, content: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(content, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export function saveClusterConfig(cfg: ClusterConfig, file = clustersFilePath()): void {
  const current = fs.existsSync(file) ? readClustersFile(file) : { clusters: {}, notifyHooks: {} };
  current.clusters[cfg.name] = cfg;
  writeAtomically(file, current);
}

export function removeClusterConfig(name: string, file = clustersFilePath()): void {
  const current = readClustersFile(file);
  if (!(name in current.clusters)) return;
  delete current.clusters[name];
  writeAtomically(file, current);
}
