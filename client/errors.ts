import { ApplicationFailure } from '@temporalio/common';
import { EXIT_FAILED, exitCodeForFailureType, GprecoverError, InvalidRequestError } from '../domain/failures';

export { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../domain/failures';

/** Bad input from the user: printed as one line, exit 2. */
export class UsageError extends InvalidRequestError {
  override name = 'UsageError';
}

/** The exit code follows the failure's type, whether it was thrown here or travelled from a worker. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof GprecoverError) return exitCodeForFailureType(err.failureType);
  if (err instanceof ApplicationFailure) return exitCodeForFailureType(err.type ?? undefined);
  return EXIT_FAILED;
}

export function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}
