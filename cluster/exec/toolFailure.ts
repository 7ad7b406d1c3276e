import { PermanentError } from '../../domain/failures';

/** A tool or OS failure that will fail again however often it is retried, with what the DBA must fix. */
export class ToolFailureError extends PermanentError {
  override name = 'ToolFailureError';
}

/** Output of pg_basebackup, pg_rewind, rsync, pg_ctl or the shell that no retry can change. */
const PERMANENT: Array<[RegExp, string]> = [
  [/permission denied/i, 'permission denied'],
  [/no space left on device|disk quota exceeded/i, 'no space left on device'],
  [/read-only file system/i, 'read-only file system'],
  [/exists but is not empty/i, 'directory exists but is not empty'],
  [/invalid option|unrecognized option|illegal option|unknown option|invalid argument|try ".*--help"/i, 'invalid option'],
  [/no target dbid specified/i, 'invalid option'],
  [/password authentication failed|authentication failed|no pg_hba\.conf entry|role "[^"]*" does not exist/i, 'authentication failed'],
  [/host key verification failed|unknown host key|remote host identification has changed/i, 'unknown host key'],
  [/connections to primary segments are not allowed/i, 'refused: not in utility mode'],
  [/command not found|could not find a "[^"]+" to execute/i, 'program not found'],
];

/** Why retrying cannot help, or undefined when it may (a network blip, a server restarting). */
export function permanentReason(output: string, exitCode?: number): string | undefined {
  for (const [pattern, reason] of PERMANENT) if (pattern.test(output)) return reason;
  if (exitCode === 126 || exitCode === 127) return 'program not found or not executable';
  return undefined;
}
