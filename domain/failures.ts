// Failure types: the one thing retry policies and exit codes look at. A class may be renamed freely; its
// failureType is what travels in the ApplicationFailure and decides.

export const FailureType = {
  /** Bad input, unknown cluster, broken configuration, a refused plan: nothing was changed. Exit 2. */
  InvalidRequest: 'InvalidRequest',
  /** Retrying cannot fix it: permission denied, disk full, a safety refusal, pg_rewind impossible. Exit 1. */
  Permanent: 'PermanentFailure',
  /** The coordinator or a segment host cannot be reached: waited out with a bound, then the run fails. Exit 1. */
  Unavailable: 'Unavailable',
  /** A condition another actor (FTS) will bring about: retried by the waiting profiles. */
  NotReady: 'NotReadyYet',
  /** A run ended with failed segments. Exit 1. */
  RecoveryFailed: 'RecoveryFailed',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Every retry policy lists these: an activity failing with one of them runs once. */
export const NON_RETRYABLE_FAILURE_TYPES: string[] = [FailureType.InvalidRequest, FailureType.Permanent, FailureType.RecoveryFailed];

/** What a client shows for a failure that is being waited out (`status`, `--wait`). */
export interface UnavailableDetails {
  /** 'the coordinator at cdw:5432', 'host sdw3 (10.0.0.3)'. */
  waitingFor: string;
  /** The last error, short: 'ECONNREFUSED', 'timed out'. */
  lastError: string;
}

export abstract class GprecoverError extends Error {
  abstract readonly failureType: FailureType;
  /** Carried in the ApplicationFailure's details, for clients to format. */
  details(): unknown[] {
    return [];
  }
}

/** Bad input or configuration: one line, exit 2, nothing changed. */
export class InvalidRequestError extends GprecoverError {
  override name = 'InvalidRequestError';
  readonly failureType = FailureType.InvalidRequest;
}

/** Who holds gprecoverseg's lock, carried in the details of a refusal: a live gprecoverseg, or a gprecover run. */
export interface LockHolder {
  lockHeldBy: 'gprecoverseg' | 'gprecover';
  pid: number;
  /** gprecover: `<workflowId>/<runId>` of the run that took it. */
  run?: string;
}

/** gprecoverseg's lock is held by a live process: nothing changes while it is. */
export class LockHeldError extends InvalidRequestError {
  override name = 'LockHeldError';
  constructor(message: string, readonly holder: LockHolder) {
    super(message);
  }

  override details(): unknown[] {
    return [this.holder];
  }
}

/** What retrying cannot fix. */
export class PermanentError extends GprecoverError {
  override name = 'PermanentError';
  readonly failureType = FailureType.Permanent;
}

/** Something that would delete or stop what is alive, or that is not ours to touch. */
export class SafetyError extends PermanentError {
  override name = 'SafetyError';
}

/** A host or the coordinator that does not answer; retried with a bound. */
export class UnavailableError extends GprecoverError {
  override name = 'UnavailableError';
  readonly failureType = FailureType.Unavailable;
  constructor(
    readonly waitingFor: string,
    readonly lastError: string,
    message = `cannot reach ${waitingFor}: ${lastError}`,
  ) {
    super(message);
  }

  override details(): unknown[] {
    const d: UnavailableDetails = { waitingFor: this.waitingFor, lastError: this.lastError };
    return [d];
  }
}

/** A state FTS has not reached yet (a moved mirror still 'u', a mirror not promoted yet). */
export class NotReadyError extends GprecoverError {
  override name = 'NotReadyError';
  readonly failureType = FailureType.NotReady;
}

/** Exit codes as gprecoverseg: 0 ok, 1 recovery failed, 2 bad arguments or validation (its 4, a user abort at a prompt, has no counterpart: gprecover never prompts). */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function exitCodeForFailureType(type: string | undefined): number {
  return type === FailureType.InvalidRequest ? EXIT_USAGE : EXIT_FAILED;
}

/**
 * An error's message, whatever it is: Node's happy-eyeballs connect to a name with several addresses fails with an
 * AggregateError whose own message is empty; its errors say what happened.
 */
export function errorMessage(err: unknown): string {
  const e = err as { message?: unknown; errors?: unknown[]; code?: unknown };
  const own = typeof e?.message === 'string' ? e.message : '';
  if (own) return own;
  if (Array.isArray(e?.errors) && e.errors.length) return [...new Set(e.errors.map(errorMessage))].join('; ');
  return typeof e?.code === 'string' ? e.code : String(err);
}

/** The short form of a connection error for a waiting message: the errno code when there is one. */
export function shortError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  const msg = errorMessage(err);
  const code = /\b(E[A-Z]{3,})\b/.exec(msg)?.[1];
  if (code) return code;
  if (/timeout|timed out/i.test(msg)) return 'timed out';
  return msg.split('\n')[0].slice(0, 160);
}
