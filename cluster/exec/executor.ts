import { shortError, UnavailableError } from '../../domain/failures';
import { permanentReason, ToolFailureError } from './toolFailure';

export interface RunOptions {
  /** Kill the command (and its process tree) after this long. */
  timeoutMs?: number;
  /** Abort kills the command and its process tree. */
  signal?: AbortSignal;
  env?: Record<string, string>;
  /** Written to the command's stdin, which is then closed. */
  input?: string;
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs argument arrays on one host, locally or over SSH; the same calls serve both. */
export interface Executor {
  readonly host: string;
  readonly kind: 'local' | 'ssh';
  /** How many commands it runs at once (an SSH connection's channels); others wait for one to end. None: no limit. */
  readonly maxConcurrency?: number;
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  close(): Promise<void>;
}

export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly host: string,
    readonly argv: string[],
    readonly result: RunResult,
  ) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ');
    super(`${argv[0]} failed on ${host} (exit ${result.code})${tail ? `: ${tail}` : ''}`);
  }
}

/** The host cannot be reached (SSH refused, timed out, connection lost): retried with a bound. */
export class ExecutorUnavailableError extends UnavailableError {
  override name = 'ExecutorUnavailableError';
  constructor(message: string, host?: string) {
    super(host ? `host ${host}` : 'a segment host', shortError({ message }), message);
  }
}

/** Runs the command; a non-zero exit is an error, permanent when its output says retrying cannot help. */
export async function runChecked(exec: Executor, argv: string[], opts?: RunOptions): Promise<RunResult> {
  const result = await exec.run(argv, opts);
  if (result.code !== 0) throw commandFailure(exec.host, argv, result);
  return result;
}

/** What runChecked throws for a command that failed: permanent when its output says retrying cannot help. */
export function commandFailure(host: string, argv: string[], result: RunResult): Error {
  const err = new CommandError(host, argv, result);
  const reason = permanentReason(`${result.stderr}\n${result.stdout}`, result.code);
  return reason ? new ToolFailureError(`${err.message} (${reason}; retrying cannot fix this)`) : err;
}
