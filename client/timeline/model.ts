// What `gprecover show` reports about a run: the shapes built from its event histories (fromHistory.ts) and printed
// as text (format.ts).
import type { SegmentRow } from '../../domain/segment';
import type { RebalanceResult, SkippedContent } from '../../domain/recovery';
import type { Location } from '../../domain/segment';

/** 'abandoned': still open when its workflow closed (terminated, or cancelled without waiting for it). */
export type StepOutcome = 'completed' | 'failed' | 'timed-out' | 'cancelled' | 'running' | 'abandoned';

export interface ActivityStep {
  activity: string;
  activityId: string;
  scheduledAt: string;
  /** Start of the last attempt (the server records only that one). */
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  attempts: number;
  outcome: StepOutcome;
  /** The attempt before the last one failed with this (retries are not separate events). */
  lastFailure?: string;
  failure?: string;
  input?: unknown;
  result?: unknown;
  /** Running only: latest heartbeat (copy progress, WAL left). */
  heartbeat?: unknown;
  cancelRequestedAt?: string;
  /**
   * Run by the worker inside a workflow task (a local activity): its history has only its end, as a marker, without
   * its input (the segment's own input stands in) and without a start.
   */
  local?: boolean;
}

export type ExecutionStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed-out' | 'continued-as-new';

export interface ExecutionTimeline {
  workflowId: string;
  runId: string;
  workflowType: string;
  status: ExecutionStatus;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  input?: unknown;
  result?: unknown;
  failure?: string;
  steps: ActivityStep[];
  children: ExecutionTimeline[];
  /** A child whose history was not supplied (deleted by retention, or not readable). */
  missingHistory?: boolean;
}

export interface PlanItemView {
  dbid: number;
  content: number;
  type: string;
  failed?: string;
  target: Location;
  moved: boolean;
  sourceDbid?: number;
}

export interface PlanView {
  /** Where the plan was read from: the run's result, its failure details, a live query, or the children's inputs. */
  from: 'result' | 'failure details' | 'live status' | 'child inputs';
  items: PlanItemView[];
  skipped: SkippedContent[];
  warnings: string[];
}

export interface CatalogChange {
  at: string;
  activity: 'updateCatalog' | 'backOutCatalog';
  dbid: number;
  workflowId: string;
  outcome: StepOutcome;
  before?: SegmentRow;
  after?: SegmentRow;
  rewritten?: boolean;
  /** backOutCatalog: whether the row was put back. */
  restored?: boolean;
  reason?: string;
}

/** A failed segment's forensic bundle, kept on its host before a full copy over it (keepEvidence). */
export interface EvidenceView {
  at: string;
  dbid: number;
  workflowId: string;
  kept: boolean;
  /** host:directory */
  where?: string;
  kilobytes?: number;
  files?: number;
  note?: string;
}

/** A live control the run accepted (gprecover set / pause / resume / skip, or the Web UI), from its history. */
export interface ControlView {
  at: string;
  /** The update's name: setParallelism, pause, resume, skipSegment. */
  name: string;
  by?: string;
  /** What was asked, as sent. */
  args?: Record<string, unknown>;
}

export interface RunError {
  at?: string;
  workflowId: string;
  where: string;
  message: string;
}

export interface RunTimeline extends ExecutionTimeline {
  requestedBy?: string;
  command?: string;
  /** The client identity that started the run (pid@host for the SDK, the UI's identity for the Web UI). */
  identity?: string;
  searchAttributes: Record<string, unknown>;
  outcome: string;
  plan?: PlanView;
  rebalance?: RebalanceResult;
  catalogChanges: CatalogChange[];
  evidence: EvidenceView[];
  controls: ControlView[];
  errors: RunError[];
}

/** Inputs and results are decoded payloads of no declared shape: read them as objects where they are. */
export const asObject = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined);

export function descendants(t: ExecutionTimeline): ExecutionTimeline[] {
  return t.children.flatMap((c) => [c, ...descendants(c)]);
}
