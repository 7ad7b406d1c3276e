// Live controls of a running recovery (Temporal updates of recoveryWorkflow): change -B / -b for the copies not yet
// started, pause and resume the start of new segments and copies, skip a pending segment. Pure: the run's status and a request
// in, a refusal (one line) or nothing out; the workflow applies what passes and records who asked.
import { HOST_PARALLELISM, SEGMENT_PARALLELISM } from './options';
import type { RecoveryStatus } from './recovery';

/** Who asked, as the client knows it (user@host); the Web UI sends what its user types. */
export interface ControlRequest {
  requestedBy?: string;
}

export interface ParallelismChange extends ControlRequest {
  /** -B: hosts whose segments may be recovered at once. */
  hostParallelism?: number;
  /** -b: segments per host at once. */
  segmentParallelism?: number;
}

export interface SkipRequest extends ControlRequest {
  dbid: number;
}

/** One change made to a running run, as its status and `show` list them. */
export interface ControlChange {
  at: string;
  by: string;
  what: string;
}

/** What the run's scheduler obeys now. */
export interface RunControls {
  hostParallelism: number;
  segmentParallelism: number;
  paused: boolean;
  changes: ControlChange[];
}

export const UNKNOWN_REQUESTER = 'someone who did not say (no requestedBy)';

const CONTROLLABLE: ReadonlyArray<RecoveryStatus['phase']> = ['planning', 'recovering'];

function notControllable(status: RecoveryStatus): string | undefined {
  if (status.dryRun) return 'a dry run starts no segment';
  if (!CONTROLLABLE.includes(status.phase)) return `the run is ${status.phase}: only a run that is planning or recovering segments takes live controls`;
  return undefined;
}

/** Segments whose copy has not started: not started at all, or started ahead and waiting for a slot (0.4.0). */
const notCopyingYet = (status: RecoveryStatus) => status.segments.filter((s) => s.state === 'pending' || (s.state === 'running' && s.waitingForSlot));

function boundProblem(name: string, flag: string, value: unknown, bounds: { min: number; max: number }): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    return `${name} (${flag}) must be a whole number from ${bounds.min} to ${bounds.max}, not ${JSON.stringify(value)}`;
  }
  return undefined;
}

const requesterProblem = (r: ControlRequest) =>
  (r.requestedBy !== undefined && (typeof r.requestedBy !== 'string' || r.requestedBy.length > 200 || /[\r\n]/.test(r.requestedBy))
    ? 'requestedBy must be one line of at most 200 characters'
    : undefined);

export function parallelismRefusal(status: RecoveryStatus, change: ParallelismChange): string | undefined {
  const shape = change && typeof change === 'object' ? change : ({} as ParallelismChange);
  return notControllable(status)
    ?? requesterProblem(shape)
    ?? (shape.hostParallelism === undefined && shape.segmentParallelism === undefined ? 'give hostParallelism (-B) or segmentParallelism (-b) or both' : undefined)
    ?? boundProblem('hostParallelism', '-B', shape.hostParallelism, HOST_PARALLELISM)
    ?? boundProblem('segmentParallelism', '-b', shape.segmentParallelism, SEGMENT_PARALLELISM)
    ?? (status.phase === 'recovering' && !notCopyingYet(status).length ? 'every segment of the run has started its copy: a new -B / -b applies to none' : undefined);
}

export function pauseRefusal(status: RecoveryStatus, controls: RunControls, request: ControlRequest): string | undefined {
  return notControllable(status)
    ?? requesterProblem(request ?? {})
    ?? (controls.paused ? `the run is paused already (by ${[...controls.changes].reverse().find((c) => c.what.startsWith('paused'))?.by ?? UNKNOWN_REQUESTER})` : undefined)
    ?? (status.phase === 'recovering' && !notCopyingYet(status).length ? 'every segment of the run has started its copy: there is nothing left to hold back' : undefined);
}

export function resumeRefusal(status: RecoveryStatus, controls: RunControls, request: ControlRequest): string | undefined {
  return notControllable(status) ?? requesterProblem(request ?? {}) ?? (controls.paused ? undefined : 'the run is not paused');
}

export function skipRefusal(status: RecoveryStatus, request: SkipRequest): string | undefined {
  const why = notControllable(status) ?? requesterProblem(request ?? ({} as SkipRequest));
  if (why) return why;
  if (!request || typeof request.dbid !== 'number' || !Number.isInteger(request.dbid)) return 'give the dbid of a segment the run has not started yet';
  if (status.phase === 'planning') return 'the run is still planning: skip a segment once its plan is made (gprecover status lists it)';
  const seg = status.segments.find((s) => s.dbid === request.dbid);
  if (!seg) return `dbid ${request.dbid} is not in this run's plan (${status.segments.map((s) => s.dbid).join(', ') || 'no segments'})`;
  if (seg.state === 'running' && seg.waitingForSlot) {
    return `dbid ${request.dbid} started ahead of a free slot (its steps before the copy, stop and catalog update among them, run or have run) and waits for a slot for its copy: only a segment not yet started can be skipped (cancel the run to stop it)`;
  }
  if (seg.state !== 'pending') return `dbid ${request.dbid} is ${seg.state}: only a segment not yet started can be skipped (cancel the run to stop a running one)`;
  return undefined;
}

/** The one-line record of a change, e.g. "-B 2 -b 1 (was -B 16 -b 64)". */
export function describeParallelism(before: RunControls, change: ParallelismChange): string {
  const B = change.hostParallelism ?? before.hostParallelism;
  const b = change.segmentParallelism ?? before.segmentParallelism;
  return `-B ${B} -b ${b} for copies not yet started (was -B ${before.hostParallelism} -b ${before.segmentParallelism})`;
}
