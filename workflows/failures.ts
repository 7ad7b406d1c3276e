import { CancelledFailure, isCancellation } from '@temporalio/workflow';

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

/** The innermost message: ActivityFailure and ChildWorkflowFailure only say 'Activity task failed'. */
export function rootMessage(err: unknown): string {
  let e = err as { cause?: unknown; message?: string } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
