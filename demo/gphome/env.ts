// What the bin/ shims of the demo GPHOME hand their wrapper programs: where the real tools are, which flavour.
import path from 'node:path';

/** Environment variables the bin/ shims set for the wrapper programs. */
export const PG_BIN_ENV = 'GPDEMO_PG_BIN';
export const FLAVOR_ENV = 'GPDEMO_FLAVOR';
/** The installation's list of the cluster's hosts and their addresses (install.ts hostsFile). */
export const HOSTS_ENV = 'GPDEMO_HOSTS';

export function realPgBin(): string {
  const dir = process.env[PG_BIN_ENV];
  if (!dir) {
    process.stderr.write(`${path.basename(process.argv[1] ?? 'wrapper')}: ${PG_BIN_ENV} is not set (run this through $GPHOME/bin)\n`);
    process.exit(2);
  }
  return dir;
}

export function flavorLabel(): string {
  return process.env[FLAVOR_ENV] === 'cloudberry' ? 'Apache Cloudberry' : 'Greenplum 7';
}
