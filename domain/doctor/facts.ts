// What `gprecover doctor` learnt of a cluster, its hosts and Temporal: plain data, gathered by cluster/doctor/ and
// client/doctorTemporal.ts, judged by ./judge.ts. Nothing here decides anything.
import type { RunState } from '../lockPolicy';
import type { SegmentRow } from '../segment';

/** Why no command ran on a host: the SSH login (its host key, the user's key), the network, or the environment script. */
export type HostFailureKind = 'host key' | 'login' | 'unreachable' | 'environment script';

export interface ToolFact {
  tool: string;
  /** What a recovery needs of it ('takes --target-gp-dbid'). */
  needs: string;
  fits: boolean;
  /** The last line of its output, when it does not fit. */
  output?: string;
}

export interface HostFacts {
  hostname: string;
  /** How the worker reaches it, as the clusters file says. */
  executor: 'local' | 'ssh';
  /** SSH: `user@address:port`. */
  sshTarget?: string;
  /** SSH: host keys are checked against known_hosts (strictHostKeyChecking, true unless configured false). */
  hostKeysVerified?: boolean;
  /** SSH: the known_hosts file they are checked against. */
  knownHostsPath?: string;
  /** Holds segments (copies and starts run there), not only the coordinator. */
  segmentHost: boolean;
  /** Set when no command ran there; every other fact of the host is then missing. */
  failure?: { kind: HostFailureKind; message: string };
  /** The environment script every command sourced ($GPHOME/greenplum_path.sh); undefined when no gpHome is configured. */
  envScript?: string;
  /** Seconds its clock is ahead of this machine's (negative: behind), and how uncertain that is (half the round trip). */
  clock?: { skewSeconds: number; uncertaintySeconds: number } | { error: string };
  /** Where --differential could run (segment hosts of a flavour that has it): `rsync --version`'s version, '' none. */
  rsync?: { version: string } | { error: string };
  /** Segment hosts: the flavour's tools in the cluster's bin directory. */
  tools?: ToolFact[];
  /** Directory the tools were looked for in. */
  bin?: string;
  /** Segment hosts: its routable addresses (gp.IfAddrs), which its connections (a mirror's replication) leave from. */
  addresses?: string[] | { error: string };
}

/** One row of pg_hba_file_rules on a primary, host-name addresses resolved on this machine. */
export interface HbaRuleFact {
  line: number;
  type: string;
  databases: string[];
  users: string[];
  address: string | null;
  netmask: string | null;
  method: string | null;
  error: string | null;
  /** A host-name address, resolved by this machine's resolver (PostgreSQL resolves it on the primary's host). */
  resolved?: string[];
}

/** pg_replication_slots' row of the slot a mirror streams through; wal_status only from PostgreSQL 13 (Cloudberry). */
export interface SlotFact {
  active: boolean;
  activePid: number | null;
  walStatus?: string;
  /** WAL bytes it keeps from being recycled (current LSN minus restart_lsn). */
  retainedBytes: number | null;
}

export interface SpaceFact {
  /** The nearest existing directory on the way to the mirror's data directory, whose filesystem df reports. */
  ancestor: string;
  freeKb: number;
  /** What the mirror's directory holds now (du), which an in-place copy overwrites; undefined when unknown. */
  heldKb?: number;
}

/** One content: its acting primary, its mirror, and what the primary and the mirror's host said. */
export interface PairFacts {
  content: number;
  primary: SegmentRow;
  mirror?: SegmentRow;
  /** A utility-mode session on the primary worked; otherwise why not. */
  answers: boolean;
  answerError?: string;
  /** Bytes a full copy of the primary moves (every database and its WAL). */
  sizeBytes?: number;
  hba?: { rules: HbaRuleFact[] } | { error: string };
  /** null: no such slot. */
  slot?: SlotFact | null;
  slotError?: string;
  /** The mirror's walreceiver as pg_stat_replication shows it on the primary (its state), null when not connected. */
  walReceiver?: string | null;
  /** At the mirror's data directory on its host. */
  space?: SpaceFact | { error: string };
}

export type LockFact =
  | { state: 'free' }
  /** Its PID runs no process (or is not a number): what a killed gprecoverseg leaves. */
  | { state: 'stale'; pid: string }
  /** A live process holds it: gprecoverseg, or a gprecover run's holder (`run`, and what Temporal says of that run). */
  | { state: 'held'; pid: number; cmdline: string; run?: string; runState?: RunState }
  | { state: 'unknown'; error: string };

export interface TemporalFacts {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Why Temporal could not be reached; the worker fact is then missing. */
  error?: string;
  /** A worker polled the task queue lately; undefined when Temporal would not say. */
  workerPolling?: boolean;
}

export interface DoctorFacts {
  cluster: string;
  flavorTitle?: string;
  /** --differential exists for the flavour: rsync matters. */
  differential: boolean;
  /** The start passes the coordinator's era: gp_era matters. */
  usesEra: boolean;
  /** Database user of replication connections, whom pg_hba.conf must admit. */
  replicationUser: string;
  coordinator: { at: string; error?: string; segments?: number };
  hosts: HostFacts[];
  pairs: PairFacts[];
  /** The coordinator's era (its gp_era file); 'None' when there is none, as gppylib reads it. */
  era?: { value: string } | { error: string };
  lock?: { where: string; fact: LockFact };
  temporal: TemporalFacts;
}
