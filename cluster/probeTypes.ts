// Shapes of what the probe activities report; type-only so the workflow can import them.
import type { SegmentRow } from './catalog';

export interface ClusterSnapshot {
  cluster: string;
  segments: SegmentRow[];
  /** hostname -> address, from the worker's cluster configuration (spare hosts included). */
  hostAddresses: Record<string, string>;
}

export interface DirProbeRequest {
  hostname: string;
  address: string;
  datadir: string;
  /** Also report whether this port is taken on the host. */
  port?: number;
}

export interface DirProbe extends DirProbeRequest {
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
  /** Command line of a pg_basebackup / pg_rewind / rsync working on this directory right now. */
  copyRunning?: string;
  portInUse?: boolean;
  /** The cluster's pgBin has no pg_ctl / pg_controldata on this host. */
  pgBinMissing?: boolean;
}

export interface SourceProbe {
  dbid: number;
  reachable: boolean;
  error?: string;
  inRecovery?: boolean;
  systemIdentifier?: string;
  timeline?: number;
  serverVersionNum?: number;
}

export interface ProbeResult {
  dirs: DirProbe[];
  sources: SourceProbe[];
}
