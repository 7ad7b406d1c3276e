/** Exit codes as gprecoverseg: 0 ok, 1 recovery failed, 2 bad arguments or validation, 4 user abort. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_ABORT = 4;

/** Bad input from the user: printed as one line, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const USAGE_ERROR_NAMES = new Set([
  'UsageError', 'ConfigError', 'TemporalUnavailableError', 'TemporalCliNotFoundError', 'ValidationError',
  'RecoverConfigError', 'CoordinatorUnavailableError', 'PgBinariesMissingError', 'AlreadyRunningError',
  'DevServerError', 'DemoError',
]);

export function exitCodeFor(err: unknown): number {
  return err instanceof Error && USAGE_ERROR_NAMES.has(err.name) ? EXIT_USAGE : EXIT_FAILED;
}

export function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}
