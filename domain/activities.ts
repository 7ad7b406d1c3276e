// The contracts of every activity: its name, its input and its output, in one home. activities/ implements them
// (`satisfies Pick<RecoveryActivities, …>`), workflows call them through proxies typed to the activities each
// timeout profile may run, and the test kit fakes them against these same types.
import type { AutoFacts, AutoNotification, AutoRunRecord, PreviousDecision } from './autoPolicy';
import type { ClusterSnapshot, DirProbeRequest, ProbeResult } from './probe';
import type { RecoveryType, SegmentPlan } from './recovery';
import type { Location, SegmentRow } from './segment';

/** Every activity input names its cluster: the worker reads everything else about it from its own configuration. */
export interface ClusterInput {
  cluster: string;
  /**
   * How long the run waits out an unreachable coordinator or host (set by the workflow's proxies for every call):
   * past it since the step was first scheduled, an Unavailable failure is no longer retried.
   */
  outageSeconds?: number;
}

/** One step of one planned segment. The plan's values are checked against the catalog before the step acts. */
export interface SegmentStepInput extends ClusterInput {
  item: SegmentPlan;
}

export interface WorkerInfo {
  hostname: string;
  pid: number;
  node: string;
  clusters: string[];
}

export interface ProbeTargetsInput extends ClusterInput {
  dirs: DirProbeRequest[];
  /** Acting primaries, as the catalog lists them. */
  sources: SegmentRow[];
}

export interface LockRequest extends ClusterInput {
  /** -d as given: it must be the catalog's coordinator data directory; the lock is always the catalog's. */
  coordinatorDataDirectory?: string;
  /** A dry run only looks: it refuses to plan while gprecoverseg works, and takes nothing. */
  checkOnly?: boolean;
}

export interface LockOutcome {
  /** host:path of the lock. */
  where: string;
  held: boolean;
  /** Said in the run's warnings: a stale lock was found (and removed), or an ended run's lock taken over. */
  note?: string;
}

/** The run a child workflow belongs to: it acts only on a plan that run made. */
export interface AdmitPlanInput extends SegmentStepInput {
  parent: { workflowId: string; runId: string };
}

export interface TrustHostsInput extends ClusterInput {
  items: SegmentPlan[];
  /** --hba-hostnames: entries name the mirror's host instead of its addresses. */
  hostnames?: boolean;
}

export interface TrustHostsOutcome {
  /** Source dbids whose pg_hba.conf changed (and was reloaded). */
  changed: number[];
  /** gprecoverseg's warning for primaries whose host could not be reached. */
  warning?: string;
  /** Segments that cannot be recovered: the catalog no longer matches their plan, or the pg_hba.conf would not load. */
  refused: Array<{ dbid: number; reason: string }>;
}

export interface StopOutcome {
  wasRunning: boolean;
  mode?: 'fast' | 'immediate' | 'killed';
  /** Set when the host could not be reached: a dead host runs no postgres either. */
  unreachable?: string;
}

export interface VerifyDownInput extends SegmentStepInput {
  /** A mirror being moved may still be 'u': wait for FTS to see it stopped. */
  waitForFts: boolean;
}

export interface CatalogStepInput extends SegmentStepInput {
  /** Ties the history rows to one run, so a retried activity does not write them twice. */
  runTag: string;
}

export interface BackOutInput extends CatalogStepInput {
  reason: string;
}

export interface CatalogUpdateOutcome {
  before: SegmentRow;
  after: SegmentRow;
  rewritten: boolean;
}

export interface WipeTargetInput extends SegmentStepInput {
  /**
   * The wipe's safety checks only, as a short step (0.6.0): a flavour whose copy tool writes over the directory needs
   * nothing more; one that needs it empty says so (WipeOutcome.emptyingLeft) and the emptying runs as an activity task.
   */
  checkOnly?: boolean;
}

export interface WipeOutcome {
  cleared: boolean;
  note: string;
  /** Asked for the checks only, on a flavour whose copy tool needs an empty directory: the emptying is still to do. */
  emptyingLeft?: boolean;
}

/**
 * The failed segment's forensic bundle, kept on its host before a full recovery copies over it (gpdb PR #14648: a
 * full copy "erases the clue" of why the segment failed).
 */
export interface EvidenceOutcome {
  kept: boolean;
  host: string;
  /** Where the bundle is, on `host`; absent when none could be kept. */
  directory?: string;
  kilobytes?: number;
  files?: string[];
  /** Why none was kept, or what is missing from it. */
  note?: string;
}

export interface CopySegmentInput extends SegmentStepInput {
  /** --max-rate of the run (full copies only). */
  maxRate?: string;
  /**
   * The recovery that counts this segment's -B/-b slot: the copy step tells it the moment the copy is over
   * (activities/copyEndInterceptor.ts), so that the slot frees then and not when the segment's workflow task, which
   * runs the start, is over. Set by the segment's workflow from its own parent, never from a run's input.
   */
  tellRun?: { workflowId: string; runId: string };
}

export interface CopyOutcome {
  method: 'pg_basebackup' | 'pg_rewind' | 'rsync' | 'none';
  attached: boolean;
  note?: string;
  /** The copy step told the run (CopySegmentInput.tellRun) that the copy is over: the segment does not tell it again. */
  runTold?: boolean;
}

export interface StartOutcome {
  alreadyRunning: boolean;
}

export interface RemovalOutcome {
  removed: string[];
  /** What stayed, and why. */
  kept: string[];
}

export interface DbidInput extends ClusterInput {
  dbid: number;
}

export interface SyncState {
  status: string;
  mode: string;
  /** Bytes of WAL the mirror has still to replay, from the primary's pg_stat_replication. */
  walBytesBehind?: number;
  streaming: boolean;
}

export interface WatchedCopy {
  dbid: number;
  type: RecoveryType;
  target: Location;
}

export interface ProgressFileInput extends ClusterInput {
  copies: WatchedCopy[];
  /** -l: where recovery_progress.file goes on the coordinator host (default ~/gpAdminLogs). */
  logDirectory?: string;
}

/** The run's segments as its workflow knows them, for its ETA: the running ones' heartbeats say the rest. */
export interface RunEtaInput extends ClusterInput {
  /** The running children only, so that the input (in the run's history every round) stays small at any run size. */
  running: Array<{ childWorkflowId: string; startedAt?: string }>;
  pending: number;
  /** The segments that succeeded: how many, and how long they took in all. */
  finished: { count: number; totalSeconds: number };
  hostParallelism: number;
  segmentParallelism: number;
}

export interface RunEtaEstimate {
  seconds?: number;
  /** When, ISO 8601; absent while nothing running has a rate. */
  at?: string;
  basis: string;
  /** Whether the namespace has the RecoveryEta search attribute (an older setup may not have registered it). */
  searchAttribute: boolean;
}

export interface ReplayLagInput extends ClusterInput {
  primaryDbid: number;
}

export interface DownSinceInput extends ClusterInput {
  dbids: number[];
}

export interface AutomaticRunsInput extends ClusterInput {
  since: string;
  thisRunId: string;
}

export interface AutomaticRuns {
  /** Automatic runs of the cluster that started a recovery since `since`, newest first. */
  started: AutoRunRecord[];
  /** The newest earlier decision, whatever it was. */
  previous?: PreviousDecision;
  runInProgress?: AutoFacts['runInProgress'];
}

export interface NotifyInput extends Partial<ClusterInput> {
  /** A hook of the worker's clusters file, by name. */
  hook: string;
  summary: AutoNotification;
}

export interface NotifyOutcome {
  /** 'command', 'webhook': what took the summary. */
  delivered: string[];
  /** One line per hook that did not, with why. */
  failed: string[];
}

/** What a running activity reports in its heartbeat; `gprecover status` formats it (client/progress.ts). */
export interface ActivityProgress {
  /** What it does right now: 'copying', 'waiting for sync', 'probing 12 of 40 directories' … */
  phase: string;
  tool?: 'pg_basebackup' | 'pg_rewind' | 'rsync' | 'pg_ctl';
  bytesDone?: number;
  bytesTotal?: number;
  percent?: number;
  /** Bytes of WAL a recovered mirror has still to replay. */
  walBytesBehind?: number;
  /** Bytes per second over the last minute of reports (domain/eta.ts). */
  rateBytesPerSec?: number;
  /** Seconds until the copy is done, or the mirror has caught up, at that rate. */
  etaSeconds?: number;
  /** The tool's own last progress line, as gprecoverseg's progress files show it. */
  line?: string;
}

/** Everything a worker runs for recoveries, rebalances, automatic checks and worker checks. */
export interface RecoveryActivities {
  workerInfo(): Promise<WorkerInfo>;
  readCluster(input: ClusterInput): Promise<ClusterSnapshot>;
  probeTargets(input: ProbeTargetsInput): Promise<ProbeResult>;
  acquireRecoveryLock(input: LockRequest): Promise<LockOutcome>;
  releaseRecoveryLock(input: LockRequest): Promise<boolean>;
  admitSegmentPlan(input: AdmitPlanInput): Promise<void>;
  trustRecoveryHosts(input: TrustHostsInput): Promise<TrustHostsOutcome>;
  stopFailedSegment(input: SegmentStepInput): Promise<StopOutcome>;
  verifySegmentDown(input: VerifyDownInput): Promise<void>;
  updateCatalog(input: CatalogStepInput): Promise<CatalogUpdateOutcome>;
  backOutCatalog(input: BackOutInput): Promise<boolean>;
  keepEvidence(input: SegmentStepInput): Promise<EvidenceOutcome>;
  wipeTarget(input: WipeTargetInput): Promise<WipeOutcome>;
  copySegment(input: CopySegmentInput): Promise<CopyOutcome>;
  startRecoveredSegment(input: SegmentStepInput): Promise<StartOutcome>;
  waitForSync(input: DbidInput): Promise<SyncState>;
  removeOldLocation(input: SegmentStepInput): Promise<RemovalOutcome>;
  writeRecoveryProgress(input: ProgressFileInput): Promise<void>;
  estimateRunEta(input: RunEtaInput): Promise<RunEtaEstimate>;
  replayLagBytes(input: ReplayLagInput): Promise<number | null>;
  stopPrimaryForRebalance(input: DbidInput): Promise<StopOutcome>;
  waitForPromotion(input: DbidInput): Promise<void>;
  restartDemotedPrimary(input: DbidInput): Promise<StartOutcome>;
  downSince(input: DownSinceInput): Promise<Record<number, string | null>>;
  automaticRuns(input: AutomaticRunsInput): Promise<AutomaticRuns>;
  notify(input: NotifyInput): Promise<NotifyOutcome>;
}
