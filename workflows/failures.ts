import { ApplicationFailure, CancelledFailure, isCancellation, rootCause, TimeoutFailure } from '@temporalio/workflow';
import { FailureType } from '../domain/failures';

/**
 * Temporal ends a workflow CANCELLED only when it throws a CancelledFailure; a cancelled activity or child arrives
 * wrapped (ActivityFailure, ChildWorkflowFailure), possibly several levels deep.
 */
export function cancelledCause(err: unknown): boolean {
  for (let e = err as { cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (isCancellation(e)) return true;
  }
  return false;
}

export function asCancelled(err: unknown, message: string): CancelledFailure {
  return err instanceof CancelledFailure ? err : new CancelledFailure(message, [], err as Error);
}

function innermost(err: unknown): unknown {
  let e = err as { cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e;
}

/** What went wrong, in the DBA's words: never 'Activity task failed', never 'Child Workflow execution failed'. */
export function rootMessage(err: unknown): string {
  const inner = innermost(err);
  if (inner instanceof TimeoutFailure) return `timed out (${String(inner.timeoutType ?? 'timeout').toLowerCase().replace(/_/g, '-')})`;
  return rootCause(err) ?? String(err);
}

/** The innermost ApplicationFailure: its type is the failure type the activity threw. */
export function rootFailureType(err: unknown): string | undefined {
  let found: string | undefined;
  for (let e = err as { cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e instanceof ApplicationFailure) found = e.type ?? found;
  }
  return found;
}

/** Any error as the run's own failure: the root cause's message and failure type, not retried by Temporal. */
export function runFailure(err: unknown, details?: unknown[]): ApplicationFailure {
  if (err instanceof ApplicationFailure && err.nonRetryable) return err;
  return ApplicationFailure.create({ type: rootFailureType(err) ?? FailureType.RecoveryFailed, message: rootMessage(err), nonRetryable: true, details });
}
