// What the probe activities report about target directories and copy sources; pure shapes, for workflows too.
import type { FlavorSummary } from './flavor';
import type { Location, SegmentRow } from './segment';

export interface ClusterSnapshot {
  cluster: string;
  flavor: FlavorSummary;
  segments: SegmentRow[];
  /** hostname -> address, from the worker's cluster configuration (spare hosts included). */
  hostAddresses: Record<string, string>;
}

export interface DirProbeRequest {
  location: Location;
  /** Also report whether the location's port is taken on its host (a move's new port). */
  checkPort?: boolean;
  /** Also report whether the OS user can create the directory, and the free space where it would go. */
  checkSpace?: boolean;
  /** Also report the version of rsync on its host (a differential copy runs rsync there). */
  checkRsync?: boolean;
}

export interface DirProbe {
  location: Location;
  reachable: boolean;
  error?: string;
  exists: boolean;
  empty: boolean;
  pgVersion?: string;
  postmasterPid?: number;
  postmasterLive: boolean;
  standbySignal: boolean;
  systemIdentifier?: string;
  timeline?: number;
  clusterState?: string;
  /** pg_controldata's "Data page checksum version" of the directory (0: checksums off). */
  checksumVersion?: number;
  /** With checkRsync: `rsync --version`'s version, '' when there is no rsync. */
  rsyncVersion?: string;
  /** Command line of a pg_basebackup / pg_rewind / rsync working on this directory right now. */
  copyRunning?: string;
  portInUse?: boolean;
  /** The cluster's binaries (pg_ctl, pg_controldata) are missing on this host. */
  pgBinMissing?: boolean;
  /** With checkSpace: the nearest existing directory on the way to it, whether the OS user may write there, free kB. */
  space?: { ancestor: string; writable: boolean; freeKb?: number };
}

export interface SourceProbe {
  dbid: number;
  reachable: boolean;
  error?: string;
  inRecovery?: boolean;
  systemIdentifier?: string;
  timeline?: number;
  serverVersionNum?: number;
  /** Its data page checksum version (pg_control_init()); 0 when checksums are off. */
  checksumVersion?: number;
  /** What is already copying from this primary (gprecoverseg's own checks): such a content is skipped. */
  copiesFromIt?: { basebackup: boolean; rewind: boolean; backupMode: boolean };
  /** Bytes a full copy of it moves: every database (tablespaces included) and its WAL. */
  sizeBytes?: number;
}

export interface ProbeResult {
  dirs: DirProbe[];
  sources: SourceProbe[];
  /** The coordinator's data page checksum version, what every segment must match (gprecoverseg's heap checksum check). */
  coordinatorChecksumVersion?: number;
}
