import { PermanentError } from '../../domain/failures';

export { SafetyError } from '../../domain/failures';

/** pg_rewind cannot join this directory to its source: only --differential or -F can. */
export class IncrementalRecoveryFailedError extends PermanentError {
  override name = 'IncrementalRecoveryFailedError';
}

/** Another run's copy owns the directory. */
export class CopyConflictError extends PermanentError {
  override name = 'CopyConflictError';
}

/** pg_ctl start failed for a reason that may pass (a port still held, a slow shutdown of the old postmaster). */
export class SegmentStartError extends Error {
  override name = 'SegmentStartError';
}
