/** Retrying cannot fix these: the activity layer turns them into non-retryable failures of the same name. */
export class SafetyError extends Error {
  override name = 'SafetyError';
}

export class IncrementalRecoveryFailedError extends Error {
  override name = 'IncrementalRecoveryFailedError';
}

export class CopyConflictError extends Error {
  override name = 'CopyConflictError';
}

export class SegmentStartError extends Error {
  override name = 'SegmentStartError';
}

export const NON_RETRYABLE_ERRORS = [
  'SafetyError', 'IncrementalRecoveryFailedError', 'CopyConflictError', 'ValidationError', 'ConfigError',
  // A refused host key or login does not heal by itself; the DBA has to fix known_hosts or the key.
  'HostKeyVerificationError', 'SshAuthenticationError',
];
