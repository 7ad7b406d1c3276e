// Plain PostgreSQL tools against a Greenplum-shaped catalog: no Greenplum flags, no dbid in the data directory.
// gprecover writes the mirror's recovery settings itself (recoveryConf.ts), and tablespaces keep their paths.
import { REPLICATION_SLOT, REWIND_APPLICATION_NAME } from '../../domain/names';
import { GP7_DIFFERENTIAL_EXCLUDES } from './greenplum';
import { runsCheck } from './toolChecks';
import type { ClusterFlavor, Command, FullCopySpec, RewindSpec, StartSpec } from './types';

export const plainPostgres: ClusterFlavor = {
  name: 'postgres',
  differential: true,
  removesStaleReplicationEntries: false,
  // No Greenplum installation to ask: the host's routable addresses, as `hostname -I` lists them.
  listAddresses: () => ({ argv: ['sh', '-c', 'hostname -I | tr " " "\\n" | grep -v "^$"'] }),
  copiesOverExistingDirectory: false,
  toolsWriteRecoverySettings: false,
  differentialExcludes: GP7_DIFFERENTIAL_EXCLUDES,
  fullCopy(spec: FullCopySpec): Command {
    return {
      argv: [`${spec.bin}/pg_basebackup`, '-c', 'fast', '-D', spec.targetDir, '-h', spec.source.address, '-p', String(spec.source.port),
        ...(spec.user ? ['-U', spec.user] : []), ...(spec.createSlot ? ['--create-slot'] : []), '--slot', REPLICATION_SLOT,
        '--wal-method', 'stream', '--write-recovery-conf', '--progress', '--verbose', ...(spec.maxRate ? ['--max-rate', spec.maxRate] : [])],
    };
  },
  rewind(spec: RewindSpec): Command {
    const user = spec.user ? ` user=${spec.user}` : '';
    return {
      argv: [`${spec.bin}/pg_rewind`, `--target-pgdata=${spec.targetDir}`,
        `--source-server=host=${spec.source.address} port=${spec.source.port}${user} dbname=postgres application_name=${REWIND_APPLICATION_NAME}`,
        '--progress', '--write-recovery-conf'],
    };
  },
  writeConfFiles: () => undefined,
  start(spec: StartSpec): Command {
    return { argv: [`${spec.bin}/pg_ctl`, 'start', '-D', spec.datadir, '-l', `${spec.datadir}/log/startup.log`, '-w', '-t', '600'] };
  },
  setPort: () => undefined,
  // pg_ctl start without GPERA: plain PostgreSQL has no era.
  startsWithEra: false,
  toolChecks: (bin: string) => ['pg_basebackup', 'pg_rewind', 'pg_ctl'].map((tool) => runsCheck(bin, tool)),
  tablespaceLink: (location: string) => location,
  tablespaceLocation: (sourceLink: string) => sourceLink,
  // Plain tools copy tablespaces to the same path as the primary's: never one segment's alone.
  ownsTablespaceDirectory: () => false,
};
