import type { RunControls } from './liveControls';
import type { Location, SegmentRow } from './segment';

export type RecoveryType = 'incremental' | 'full' | 'differential';

/** One recovery or rebalance per cluster at a time: they share this workflow id, whoever starts them. */
export const clusterWorkflowId = (cluster: string): string => `gprecover-${cluster}`;

/**
 * Input of recoveryWorkflow: plain JSON, so a run can be started from the Temporal Web UI or the `temporal` CLI.
 * Only the cluster's name travels; connection details and secrets stay in the worker's configuration.
 */
export interface RecoveryInput {
  cluster: string;
  /** -F: full recovery (pg_basebackup) of every failed segment. */
  full?: boolean;
  /** --differential: rsync from the live peer. */
  differential?: boolean;
  /** -i: the text of a gprecoverseg recover-config file. */
  recoverConfig?: string;
  /** -p: spare hosts that replace failed hosts, in order. */
  spareHosts?: string[];
  /** -B: hosts recovered in parallel (gprecoverseg default 16). */
  hostParallelism?: number;
  /** -b: segments per host recovered in parallel (gprecoverseg default 64). */
  segmentParallelism?: number;
  /** -r after recovery: return every pair to its preferred role. */
  rebalance?: boolean;
  /** --replay-lag with -r: refuse to rebalance a pair whose mirror replays more than this many GB behind. */
  replayLagGB?: number;
  /** Plan and validate, change nothing. */
  dryRun?: boolean;
  /** Who asked (user@host), for the audit trail. */
  requestedBy?: string;
  /** Longest wait for FTS to mark a recovered segment up and synchronized. */
  syncTimeoutMinutes?: number;
  /** How long an unreachable coordinator or segment host is waited for before the run fails (default 300). */
  outageSeconds?: number;
  /** -d: the coordinator's data directory (its gprecoverseg.lock); default: the catalog's. */
  coordinatorDataDirectory?: string;
  /** -l: where recovery_progress.file is written on the coordinator host (default ~/gpAdminLogs). */
  logDirectory?: string;
  /** false with --no-progress or -q: no recovery_progress.file for gpstate -e. */
  progressFile?: boolean;
  /** --max-rate: pg_basebackup's throttle for full recoveries (32k to 1024M). */
  maxRate?: string;
  /** --hba-hostnames: pg_hba.conf entries name hosts instead of addresses. */
  hbaHostnames?: boolean;
  /** --disable-replay-lag with -r: no replay-lag guard. */
  disableReplayLag?: boolean;
}

/** One failed segment and how it will be rebuilt. */
export interface SegmentPlan {
  content: number;
  dbid: number;
  type: RecoveryType;
  /** Catalog row of the failed segment before recovery. */
  failed: SegmentRow;
  /** The acting primary of the same content: the copy's source. */
  source: SegmentRow;
  /** Where the segment is rebuilt: the failed location, or a new one for a move. */
  target: Location;
  moved: boolean;
}

export interface SkippedContent {
  content: number;
  dbid: number;
  reason: string;
}

export interface RecoveryPlan {
  cluster: string;
  items: SegmentPlan[];
  skipped: SkippedContent[];
  warnings: string[];
}

export type SegmentState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export type SegmentPhase =
  | 'queued' | 'stopping' | 'verifying-down' | 'updating-catalog' | 'keeping-evidence' | 'waiting-for-slot' | 'wiping' | 'copying'
  | 'starting' | 'syncing'
  | 'removing-old' | 'backing-out' | 'done' | 'failed';

export interface SegmentStatus {
  dbid: number;
  content: number;
  type: RecoveryType;
  target: Location;
  moved: boolean;
  state: SegmentState;
  childWorkflowId: string;
  error?: string;
  /** host:directory of the failed segment's evidence, kept before a full copy over it. */
  evidence?: string;
  startedAt?: string;
  endedAt?: string;
  /** Started ahead of a free slot (0.4.0): its steps before the copy run or have run, its copy waits for a slot. */
  waitingForSlot?: boolean;
}

export type RunPhase = 'planning' | 'recovering' | 'rebalancing' | 'done' | 'failed' | 'cancelled';

export interface RecoveryStatus {
  cluster: string;
  phase: RunPhase;
  dryRun: boolean;
  segments: SegmentStatus[];
  skipped: SkippedContent[];
  warnings: string[];
  rebalance?: RebalanceResult;
  /** Why the run failed: the root cause, as the DBA should read it. */
  error?: string;
  /** -B / -b, pause and skips as the run obeys them now, with every change made while it ran. */
  controls?: RunControls;
}

export interface RecoveryResult extends RecoveryStatus {
  plan: RecoveryPlan;
  succeeded: number;
  failed: number;
}

/** A segment's child workflow id: its parent's id, the start of the parent's run id, and its dbid. */
export function segmentWorkflowId(parent: { workflowId: string; runId: string }, dbid: number): string {
  return `${parent.workflowId}-${parent.runId.slice(0, 8)}-dbid${dbid}`;
}

export interface SegmentRecoveryInput {
  cluster: string;
  item: SegmentPlan;
  syncTimeoutMinutes: number;
  outageSeconds?: number;
  /** --max-rate of the run (full copies only). */
  maxRate?: string;
  /**
   * Tell the parent (copyEndedSignal) once the copy is over: a recovery of 0.3.0 frees the slot then. Since 0.5.0 the
   * copy step tells it (CopySegmentInput.tellRun) and the child only when the step did not.
   */
  reportCopyEnd?: boolean;
  /**
   * Started before a -B/-b slot was free (0.4.0, domain/plan/startOrder.ts AHEAD_MIN_BYTES): the steps before the copy
   * (the wipe included) run now, and the copy waits for the run's copySlotGrantedSignal.
   */
  startedAhead?: boolean;
}

export interface SegmentRecoveryResult {
  dbid: number;
  phase: SegmentPhase;
  /** host:directory of the failed segment's evidence, kept before a full copy over it. */
  evidence?: string;
  copiedKb?: number;
}

export interface SegmentProgress {
  phase: SegmentPhase;
  /** Latest progress of the running step (copy: kB done/total), from the activity's heartbeat. */
  detail?: string;
}

export interface RebalanceInput {
  cluster: string;
  /** Refuse the whole rebalance when a pair's mirror replays this many GB behind or more (default 10). */
  replayLagGB?: number;
  /** --disable-replay-lag: no guard at all. */
  disableReplayLag?: boolean;
  coordinatorDataDirectory?: string;
  dryRun?: boolean;
  requestedBy?: string;
  syncTimeoutMinutes?: number;
  outageSeconds?: number;
}

export interface RebalanceResult {
  swapped: number[];
  skipped: SkippedContent[];
  recovered: number[];
}
