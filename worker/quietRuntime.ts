import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import { FailureType } from '../domain/failures';

const ORDER: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** The context a reader needs; the rest (task tokens, namespaces) is for the SDK's own debugging. */
const META_KEYS = ['workflowId', 'activityType', 'attempt', 'failureType', 'taskQueue', 'workflowType'];

function print(entry: LogEntry): void {
  const kept = Object.fromEntries(Object.entries(entry.meta ?? {}).filter(([k]) => META_KEYS.includes(k)));
  const meta = Object.keys(kept).length ? ` ${JSON.stringify(kept)}` : '';
  const line = `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${entry.message}${meta}`;
  (ORDER.indexOf(entry.level) >= ORDER.indexOf('WARN') ? process.stderr : process.stdout).write(`${line}\n`);
}

function isOwnFailure(error: unknown): boolean {
  const type = (error as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' && (Object.values(FailureType) as string[]).includes(type);
}

/**
 * What activities and workflows decided (INFO, from their `log`) and every warning; the SDK's own INFO chatter
 * (bundling, worker states) only with GPRECOVER_LOG_LEVEL=INFO or lower.
 */
export function quietRuntime(): void {
  const level = (process.env.GPRECOVER_LOG_LEVEL ?? '').toUpperCase() as LogLevel | '';
  const sdkFloor = ORDER.indexOf(level || 'WARN');
  const logger = new DefaultLogger('INFO', (entry) => {
    const ours = entry.meta?.sdkComponent === 'activity' || entry.meta?.sdkComponent === 'workflow';
    // The failure interceptor already said why, with the message; the SDK's echo adds only a stack.
    if (!level && entry.message === 'Activity failed' && isOwnFailure(entry.meta?.error)) return;
    if (ORDER.indexOf(entry.level) >= (ours && !level ? ORDER.indexOf('INFO') : sdkFloor)) print(entry);
  });
  try {
    Runtime.install({ logger });
  } catch {
    // Already installed (a second call in one process): keep the first.
  }
}
