import type { FlavorName, FlavorSummary } from '../../domain/flavor';
import { cloudberry, greenplum7 } from './greenplum';
import { plainPostgres } from './postgres';
import type { ClusterFlavor } from './types';

export { commandArgv, type ClusterFlavor, type Command } from './types';
export { detectFlavor, UnsupportedClusterError, type DetectedFlavor } from './detect';

const FLAVORS: Record<FlavorName, ClusterFlavor> = { gp7: greenplum7, cloudberry, postgres: plainPostgres };

export const FLAVOR_TITLES: Record<FlavorName, string> = { gp7: 'Greenplum 7', cloudberry: 'Apache Cloudberry', postgres: 'PostgreSQL tools (no Greenplum rules)' };

export function flavorNamed(name: FlavorName): ClusterFlavor {
  return FLAVORS[name];
}

export function flavorSummary(name: FlavorName, title: string): FlavorSummary {
  return { name, title, differential: FLAVORS[name].differential };
}

/**
 * The installation's environment script, sourced before every command on a segment host (gpMgmt does the same over
 * ssh). Cloudberry 2.x renamed greenplum_path.sh to cloudberry-env.sh; earlier releases keep the old name.
 */
export const ENV_SCRIPTS = ['cloudberry-env.sh', 'greenplum_path.sh'] as const;
