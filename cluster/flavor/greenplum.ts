// Greenplum 7 and Apache Cloudberry, as gpMgmt/sbin/gpsegrecovery.py and gppylib/commands/{pg,gp}.py build their
// commands (greenplum-db/gpdb-archive 7X; apache/cloudberry with its PostgreSQL 14 pg_basebackup). Where the trees
// differ, the Cloudberry entry says so.
import { REPLICATION_SLOT, REWIND_APPLICATION_NAME } from '../../domain/names';
import { runsCheck, targetDbidCheck } from './toolChecks';
import type { ClusterFlavor, Command, FullCopySpec, RewindSpec, StartSpec, ToolCheck, WriteConfSpec } from './types';

/** gpsegrecovery's DifferentialRecovery rsync_exclude_list (GP7, with tablespace_map and pg_tblspc/* of the later 7X). */
export const GP7_DIFFERENTIAL_EXCLUDES = [
  '/log', 'pgsql_tmp', 'postgresql.auto.conf.tmp', 'current_logfiles.tmp', 'postmaster.pid', 'postmaster.opts',
  'pg_dynshmem', 'pg_notify/*', 'pg_replslot/*', 'pg_serial/*', 'pg_stat_tmp/*', 'pg_snapshots/*', 'pg_subtrans/*',
  'backups/*', '/db_dumps', '/promote', 'tablespace_map', 'pg_tblspc/*',
];

const userArgs = (user?: string) => (user ? ['-U', user] : []);

/** PgBaseBackup._xlog_arguments and the slot logic: --create-slot only when the old slot is gone. */
function slotArgs(createSlot: boolean): string[] {
  return [...(createSlot ? ['--create-slot'] : []), '--slot', REPLICATION_SLOT, '--wal-method', 'stream'];
}

function sourceServer(spec: RewindSpec): string {
  const user = spec.user ? ` user=${spec.user}` : '';
  return `host=${spec.source.address} port=${spec.source.port}${user} dbname=template1 application_name=${REWIND_APPLICATION_NAME}`;
}

/** PgRewind: utility mode, because a primary segment refuses any other connection. */
function rewind(spec: RewindSpec): Command {
  return {
    argv: [`${spec.bin}/pg_rewind`, '--write-recovery-conf', `--slot=${REPLICATION_SLOT}`, `--source-server=${sourceServer(spec)}`,
      `--target-pgdata=${spec.targetDir}`, '--progress'],
    env: { PGOPTIONS: '-c gp_role=utility' },
  };
}

function writeConfFiles(spec: WriteConfSpec): Command {
  return {
    argv: [`${spec.bin}/pg_basebackup`, '-c', 'fast', '-D', spec.targetDir, '-h', spec.source.address, '-p', String(spec.source.port),
      ...userArgs(spec.user), '--write-conf-files-only', '--slot', REPLICATION_SLOT, '--wal-method', 'stream',
      '--target-gp-dbid', String(spec.targetDbid), '--progress', '--verbose'],
  };
}

/** `<location>/<dbid>`: every segment's tablespace directory carries its own dbid. */
function tablespaceLocation(sourceLink: string, sourceDbid: number, targetDbid: number): string {
  const suffix = `/${sourceDbid}`;
  if (!sourceLink.endsWith(suffix)) {
    throw new Error(`tablespace link ${sourceLink} of dbid ${sourceDbid} is not in Greenplum's <location>/<dbid> layout`);
  }
  return `${sourceLink.slice(0, -suffix.length)}/${targetDbid}`;
}

const ownsTablespaceDirectory = (link: string, dbid: number) => link.endsWith(`/${dbid}`);

/** Greenplum 7's pg_tablespace_location strips the link's last component (misc.c): the link is <location>/<dbid>. */
const tablespaceLink = (location: string, dbid: number) => `${location.replace(/\/+$/, '')}/${dbid}`;

const startLog = (datadir: string) => `${datadir}/log/startup.log`;

/** gp.IfAddrs.list_addrs: `$GPHOME/libexec/ifaddrs --no-loopback` on the host, one address per line. */
function listAddresses(gpHome: string | undefined): Command {
  return { argv: [`${gpHome ?? '/usr/local/greenplum-db'}/libexec/ifaddrs`, '--no-loopback'] };
}

/** What gpsegrecovery runs on a segment host: Greenplum's pg_basebackup (full, differential), pg_rewind, pg_ctl. */
const toolChecks = (bin: string): ToolCheck[] => [targetDbidCheck(bin), runsCheck(bin, 'pg_rewind'), runsCheck(bin, 'pg_ctl')];

export const greenplum7: ClusterFlavor = {
  name: 'gp7',
  differential: true,
  removesStaleReplicationEntries: true,
  listAddresses,
  utilityOptions: '-c gp_role=utility',
  identityFile: 'internal.auto.conf',
  copiesOverExistingDirectory: true,
  toolsWriteRecoverySettings: true,
  differentialExcludes: GP7_DIFFERENTIAL_EXCLUDES,
  fullCopy(spec: FullCopySpec): Command {
    return {
      argv: [`${spec.bin}/pg_basebackup`, '-c', 'fast', '-D', spec.targetDir, '-h', spec.source.address, '-p', String(spec.source.port),
        ...userArgs(spec.user), ...slotArgs(spec.createSlot), '--no-verify-checksums', '--force-overwrite', '--write-recovery-conf',
        '-E', './db_dumps', '-E', './promote', '-E', './db_analyze', '--target-gp-dbid', String(spec.targetDbid), '--progress', '--verbose',
        ...(spec.maxRate ? ['--max-rate', spec.maxRate] : [])],
    };
  },
  rewind,
  writeConfFiles,
  startsWithEra: true,
  toolChecks,
  /** SegmentStart with PgCtlStartArgs: no -p, the port is in postgresql.conf (see setPort). */
  start(spec: StartSpec): Command {
    return {
      argv: ['env', 'GPSESSID=0000000000', `GPERA=${spec.era}`, `${spec.bin}/pg_ctl`, '-D', spec.datadir, '-l', startLog(spec.datadir),
        '-w', '-t', '600', '-o', ' -c gp_role=execute ', 'start'],
    };
  },
  /** update_port_in_conf: ModifyConfSetting's perl edit, which leaves postgresql.conf.bak beside it. */
  setPort(datadir: string, port: number): Command {
    return { argv: ['perl', '-p', '-i.bak', '-e', `s/^port[ ]*=[ ]*\\d+/port=${port}/`, `${datadir}/postgresql.conf`] };
  },
  tablespaceLink,
  tablespaceLocation,
  ownsTablespaceDirectory,
};

/** Apache Cloudberry: no differential recovery, no -E ./db_analyze, and the port on pg_ctl's -o. */
export const cloudberry: ClusterFlavor = {
  ...greenplum7,
  name: 'cloudberry',
  differential: false,
  removesStaleReplicationEntries: false,
  fullCopy(spec: FullCopySpec): Command {
    return {
      argv: [`${spec.bin}/pg_basebackup`, '-c', 'fast', '-D', spec.targetDir, '-h', spec.source.address, '-p', String(spec.source.port),
        ...userArgs(spec.user), ...slotArgs(spec.createSlot), '--no-verify-checksums', '--force-overwrite', '--write-recovery-conf',
        '--target-gp-dbid', String(spec.targetDbid), '-E', './db_dumps', '-E', './promote', '--progress', '--verbose',
        ...(spec.maxRate ? ['--max-rate', spec.maxRate] : [])],
    };
  },
  start(spec: StartSpec): Command {
    return {
      argv: ['env', 'GPSESSID=0000000000', `GPERA=${spec.era}`, `${spec.bin}/pg_ctl`, '-D', spec.datadir, '-l', startLog(spec.datadir),
        '-w', '-t', '600', '-o', ` -p ${spec.port} -c gp_role=execute `, 'start'],
    };
  },
  setPort: () => undefined,
};
