import type { FlavorName } from '../../domain/flavor';

/** A command for a segment host: an argument array, plus environment variables it needs. */
export interface Command {
  argv: string[];
  env?: Record<string, string>;
}

/** The command as one argument array (`env K=V … argv`), for runners that take no environment. */
export function commandArgv(cmd: Command): string[] {
  const env = Object.entries(cmd.env ?? {}).map(([k, v]) => `${k}=${v}`);
  return env.length ? ['env', ...env, ...cmd.argv] : cmd.argv;
}

/** The acting primary a copy reads from. */
export interface CopySource {
  address: string;
  port: number;
}

export interface FullCopySpec {
  /** Directory of the cluster's tools on the target host. */
  bin: string;
  targetDir: string;
  targetDbid: number;
  source: CopySource;
  /** The slot was dropped or never existed: let pg_basebackup create it. */
  createSlot: boolean;
  /** Database user of replication connections, when the cluster names one. */
  user?: string;
  maxRate?: string;
}

export interface RewindSpec {
  bin: string;
  targetDir: string;
  source: CopySource;
  user?: string;
}

export interface WriteConfSpec {
  bin: string;
  targetDir: string;
  targetDbid: number;
  source: CopySource;
  user?: string;
}

/**
 * A read-only look at one tool a recovery runs on a segment host (gprecover doctor): whether the installation there
 * is the cluster's kind. It must change nothing: no connection, no file.
 */
export interface ToolCheck {
  tool: string;
  /** What a recovery needs of it, as the finding says it: 'takes --target-gp-dbid'. */
  needs: string;
  command: Command;
  /** Whether the command's exit code and output (stdout and stderr together) show that the tool has it. */
  fits(code: number, output: string): boolean;
}

export interface StartSpec {
  bin: string;
  datadir: string;
  port: number;
  /** The coordinator's era (GPERA), read from its gp_era file. */
  era: string;
}

/**
 * Everything that differs between the clusters gprecover speaks: the command lines of gpsegrecovery, how a segment
 * is started, which identity it carries, how its tablespaces are laid out. Nothing outside cluster/flavor/ asks
 * which flavour it is talking to; it asks the flavour.
 */
export interface ClusterFlavor {
  readonly name: FlavorName;
  /** gprecoverseg --differential exists (Greenplum 7 only). */
  readonly differential: boolean;
  /** libpq `options` of a direct SQL session on a segment (utility mode). */
  readonly utilityOptions?: string;
  /** The file holding a segment's own dbid (`gp_dbid=N`), never copied from its peer. */
  readonly identityFile?: string;
  /** pg_basebackup --force-overwrite copies over an existing directory (keeping log/): nothing to delete first. */
  readonly copiesOverExistingDirectory: boolean;
  /** The tools write the mirror's recovery settings (primary_conninfo with gp_walreceiver, the slot) themselves. */
  readonly toolsWriteRecoverySettings: boolean;
  /** seg_update_pg_hba.py drops replication lines of earlier mirror hosts (Greenplum 7; Cloudberry keeps them). */
  readonly removesStaleReplicationEntries: boolean;
  /** The routable addresses of the host it runs on, one per line, loopback excluded (gp.IfAddrs.list_addrs). */
  listAddresses(gpHome: string | undefined): Command;
  /** Excluded from the differential rsync of the data directory (gpsegrecovery's list). */
  readonly differentialExcludes: readonly string[];
  /** pg_basebackup of a whole segment. */
  fullCopy(spec: FullCopySpec): Command;
  /** pg_rewind onto the source's timeline (the caller skips it when standby.signal is present). */
  rewind(spec: RewindSpec): Command;
  /** After a differential rsync: the identity and recovery settings for the target (pg_basebackup --write-conf-files-only). */
  writeConfFiles(spec: WriteConfSpec): Command | undefined;
  /** Starts a recovered segment as a mirror. */
  start(spec: StartSpec): Command;
  /** The start passes the coordinator's era (GPERA, read from its gp_era file), as gpsegrecovery does. */
  readonly startsWithEra: boolean;
  /** The read-only looks at this flavour's tools in `bin` on a segment host (gprecover doctor). */
  toolChecks(bin: string): ToolCheck[];
  /** Sets the segment's port in postgresql.conf before the start (Greenplum 7); undefined when the start passes it. */
  setPort(datadir: string, port: number): Command | undefined;
  /** Where a segment's tablespace link points, given what its pg_tablespace_location() says and its dbid. */
  tablespaceLink(location: string, dbid: number): string;
  /** Where a target's tablespace lives, given where the source's link points. */
  tablespaceLocation(sourceLink: string, sourceDbid: number, targetDbid: number): string;
  /** The tablespace directory a segment's link points to is that segment's alone (may be removed with it). */
  ownsTablespaceDirectory(link: string, dbid: number): boolean;
}
