import os from 'node:os';
import path from 'node:path';
import { DATA_DIR } from '../cluster/config';
import type { FlavorName } from '../domain/flavor';
import type { SegmentRow } from '../domain/segment';
import { DemoError } from './errors';

export interface DemoOptions {
  name?: string;
  rootDir?: string;
  /** First three octets of the loopback addresses: coordinator <prefix>.1, segment hosts <prefix>.2, <prefix>.3 … */
  ipPrefix?: string;
  hosts?: number;
  primariesPerHost?: number;
  coordinatorPort?: number;
  primaryBasePort?: number;
  mirrorBasePort?: number;
  ftsIntervalSec?: number;
  /** Where the ClusterConfig is registered; the standard clusters file when absent. */
  clustersFile?: string;
  /** OS user owning the data directories; 'postgres' when running as root, else the current user. */
  osUser?: string;
  /**
   * What the demo emulates: 'gp7' (default) and 'cloudberry' run their tools' rules through the wrappers of its own
   * GPHOME and keep a tablespace per segment in Greenplum's <location>/<dbid> layout; 'postgres' is plain PostgreSQL.
   */
  flavor?: FlavorName;
  /** initdb --data-checksums for every instance (gpinitsystem's HEAP_CHECKSUM=on). */
  dataChecksums?: boolean;
  /**
   * What the catalog's address column holds: 'names' (default, as gpinitsystem writes it), resolved by the system
   * resolver through marked /etc/hosts lines the demo keeps; or 'ips'. Without write access to /etc/hosts, 'ips'.
   */
  addresses?: 'names' | 'ips';
}

/** A catalog row of the demo's layout, before FTS says anything of its mode and status. */
export type InstanceSpec = Omit<SegmentRow, 'mode' | 'status'>;

export interface DemoLayout {
  name: string;
  rootDir: string;
  ipPrefix: string;
  hosts: number;
  primariesPerHost: number;
  ftsIntervalSec: number;
  osUser: string;
  /** Database superuser; named like the OS user, as initdb does by default. */
  dbUser: string;
  coordinator: InstanceSpec;
  /** Primaries then mirrors, in dbid order. */
  segments: InstanceSpec[];
  /** Segment hostname -> what the catalog's address column holds for it (a resolvable name, or its first IP). */
  hostAddresses: Record<string, string>;
  /**
   * Every host (the coordinator's too) -> its two loopback IPs: its instances listen on both, its name resolves to
   * the first, and its connections leave from the second (so pg_hba.conf must name every address of a host).
   */
  hostIps: Record<string, string[]>;
  /** The catalog holds names (resolved through /etc/hosts) rather than IPs. */
  hostNames: boolean;
  /** Hosts added later for -p (DemoCluster.addSpareHost): hostname -> its IPs. */
  spareHosts?: Record<string, string[]>;
  flavor: FlavorName;
  dataChecksums?: boolean;
  /** The demo's Greenplum installation (environment script and tool wrappers); Greenplum flavours only. */
  gpHome?: string;
  /** Location of the demo tablespace `demo_ts`: each instance's directory is <location>/<dbid>. Greenplum flavours only. */
  tablespaceLocation?: string;
}

export const DEMO_TABLESPACE = 'demo_ts';

export const COORDINATOR_HOSTNAME = 'cdw';

export function defaultOsUser(): string {
  return process.getuid?.() === 0 ? 'postgres' : os.userInfo().username;
}

export function defaultRootDir(name: string): string {
  return path.join(DATA_DIR, 'demo', name);
}

function checkInt(value: number, what: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DemoError(`${what} must be a whole number from ${min} to ${max}, not ${value}`);
  }
  return value;
}

export function segmentHostname(h: number): string {
  return `sdw${h + 1}`;
}

/** The resolvable name of a demo host: unique per cluster, as several demo clusters share one /etc/hosts. */
export function demoHostName(cluster: string, hostname: string): string {
  return `${cluster.toLowerCase().replace(/_/g, '-')}-${hostname}`;
}

/**
 * Greenplum "group mirroring": the primaries of host h are mirrored on host h+1, so losing one host loses
 * no content. Ports repeat across hosts because every host listens on its own loopback address.
 */
export function buildLayout(opts: DemoOptions = {}): DemoLayout {
  const name = opts.name ?? 'demo';
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(name)) {
    throw new DemoError(`demo cluster name '${name}' must be letters, digits, '-' or '_'`);
  }
  const ipPrefix = opts.ipPrefix ?? '127.0.0';
  const octets = ipPrefix.split('.');
  if (octets.length !== 3 || octets[0] !== '127' || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) {
    throw new DemoError(`IP prefix '${ipPrefix}' must be three octets of a loopback address, like 127.0.0`);
  }
  const hosts = checkInt(opts.hosts ?? 2, 'hosts', 1, 200);
  const perHost = checkInt(opts.primariesPerHost ?? 2, 'primaries per host', 1, 64);
  const coordinatorPort = checkInt(opts.coordinatorPort ?? 15432, 'coordinator port', 1024, 65535);
  const primaryBase = checkInt(opts.primaryBasePort ?? 16000, 'primary base port', 1024, 65535 - perHost);
  const mirrorBase = checkInt(opts.mirrorBasePort ?? 17000, 'mirror base port', 1024, 65535 - perHost);
  if (Math.abs(primaryBase - mirrorBase) < perHost) {
    throw new DemoError(`primary and mirror port ranges overlap (${primaryBase} and ${mirrorBase} with ${perHost} per host)`);
  }
  const ftsIntervalSec = opts.ftsIntervalSec ?? 2;
  if (!(ftsIntervalSec > 0 && ftsIntervalSec <= 600)) throw new DemoError(`FTS interval must be between 0 and 600 seconds, not ${ftsIntervalSec}`);
  const rootDir = path.resolve(opts.rootDir ?? defaultRootDir(name));
  const osUser = opts.osUser ?? defaultOsUser();
  const flavor = opts.flavor ?? 'gp7';
  const greenplum = flavor !== 'postgres';

  const hostNames = (opts.addresses ?? 'names') === 'names';
  // Each host answers on two loopback addresses: <prefix>.N and the same in the 127.(o2+128) range.
  const ips = (last: number) => [`${ipPrefix}.${last}`, `127.${(Number(octets[1]) + 128) % 256}.${octets[2]}.${last}`];
  const hostIps: Record<string, string[]> = { [COORDINATOR_HOSTNAME]: ips(1) };
  for (let h = 0; h < hosts; h++) hostIps[segmentHostname(h)] = ips(h + 2);
  const catalogAddress = (hostname: string) => (hostNames ? demoHostName(name, hostname) : hostIps[hostname][0]);
  const address = (hostIndex: number) => catalogAddress(segmentHostname(hostIndex));
  const hostAddresses: Record<string, string> = {};
  for (let h = 0; h < hosts; h++) hostAddresses[segmentHostname(h)] = address(h);

  const n = hosts * perHost;
  const primaries: InstanceSpec[] = [];
  const mirrors: InstanceSpec[] = [];
  for (let c = 0; c < n; c++) {
    const h = Math.floor(c / perHost);
    const m = (h + 1) % hosts;
    const slot = c % perHost;
    primaries.push({
      dbid: 2 + c, content: c, role: 'p', preferredRole: 'p', hostname: segmentHostname(h), address: address(h),
      port: primaryBase + slot, datadir: path.join(rootDir, segmentHostname(h), 'primary', `gpseg${c}`),
    });
    mirrors.push({
      dbid: 2 + n + c, content: c, role: 'm', preferredRole: 'm', hostname: segmentHostname(m), address: address(m),
      port: mirrorBase + slot, datadir: path.join(rootDir, segmentHostname(m), 'mirror', `gpseg${c}`),
    });
  }
  return {
    name, rootDir, ipPrefix, hosts, primariesPerHost: perHost, ftsIntervalSec, osUser, dbUser: osUser,
    coordinator: {
      dbid: 1, content: -1, role: 'p', preferredRole: 'p', hostname: COORDINATOR_HOSTNAME, address: catalogAddress(COORDINATOR_HOSTNAME),
      port: coordinatorPort, datadir: path.join(rootDir, 'coordinator', 'gpseg-1'),
    },
    segments: [...primaries, ...mirrors],
    hostAddresses,
    hostIps,
    hostNames,
    flavor,
    ...(opts.dataChecksums ? { dataChecksums: true } : {}),
    ...(greenplum ? { gpHome: path.join(rootDir, 'gphome'), tablespaceLocation: path.join(rootDir, 'tblspc') } : {}),
  };
}
