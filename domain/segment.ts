// Where segments live and what the catalog says of them: the shapes every layer shares.

export type Role = 'p' | 'm';
export type Mode = 's' | 'n';
export type Status = 'u' | 'd';

/** Where one segment instance lives: the catalog's hostname, address, port and data directory. */
export interface Location {
  hostname: string;
  address: string;
  port: number;
  datadir: string;
}

/** Where a session reaches one instance: its address and port. */
export type Endpoint = Pick<Location, 'address' | 'port'>;

/** One row of gp_segment_configuration (Greenplum 6/7, Cloudberry). */
export interface SegmentRow extends Location {
  dbid: number;
  content: number;
  role: Role;
  preferredRole: Role;
  mode: Mode;
  status: Status;
}

export const sameLocation = (a: Location, b: Location): boolean =>
  a.hostname === b.hostname && a.address === b.address && a.port === b.port && a.datadir === b.datadir;

/** A host is named by hostname or by address; either match means the same machine. */
export const sameHost = (a: Pick<Location, 'hostname' | 'address'>, b: Pick<Location, 'hostname' | 'address'>): boolean =>
  a.hostname === b.hostname || a.address === b.address;

/** The location of a row (or of anything that has one), nothing else of it. */
export function locationOf(l: Location): Location {
  return { hostname: l.hostname, address: l.address, port: l.port, datadir: l.datadir };
}

/** `host:port:datadir`, as gprecoverseg prints a location. */
export const where = (l: Pick<Location, 'hostname' | 'port' | 'datadir'>): string => `${l.hostname}:${l.port}:${l.datadir}`;

/** The acting primary of a content: FTS holds it up, and nothing may stop, wipe or move it. */
export const isActingPrimary = (s: Pick<SegmentRow, 'role' | 'status'>): boolean => s.role === 'p' && s.status === 'u';
