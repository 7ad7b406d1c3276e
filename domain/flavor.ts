// Which kind of cluster a run is talking to. The command lines themselves live in cluster/flavor/; workflows only
// need the name and what the flavour can do.

/** gp7: Greenplum 7; cloudberry: Apache Cloudberry (and Cloudberry Database 1.x); postgres: plain PostgreSQL tools. */
export type FlavorName = 'gp7' | 'cloudberry' | 'postgres';

export const FLAVOR_NAMES: readonly FlavorName[] = ['gp7', 'cloudberry', 'postgres'];

export interface FlavorSummary {
  name: FlavorName;
  /** 'Greenplum 7.1.0', 'Apache Cloudberry 2.0.0', 'PostgreSQL tools (no Greenplum rules)'. */
  title: string;
  /** gprecoverseg --differential exists for this flavour (Greenplum 7 only). */
  differential: boolean;
}
