import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

const ORDER: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

function print(entry: LogEntry): void {
  const meta = entry.meta && Object.keys(entry.meta).length ? ` ${JSON.stringify(entry.meta)}` : '';
  const line = `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${entry.message}${meta}`;
  (ORDER.indexOf(entry.level) >= ORDER.indexOf('WARN') ? process.stderr : process.stdout).write(`${line}\n`);
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
    if (ORDER.indexOf(entry.level) >= (ours && !level ? ORDER.indexOf('INFO') : sdkFloor)) print(entry);
  });
  try {
    Runtime.install({ logger });
  } catch {
    // Already installed (a second call in one process): keep the first.
  }
}
