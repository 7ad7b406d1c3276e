import { DefaultLogger, Runtime } from '@temporalio/worker';

/** The SDK logs every bundle module at INFO; an operator wants warnings (GPRECOVER_LOG_LEVEL=INFO for more). */
export function quietRuntime(): void {
  const level = (process.env.GPRECOVER_LOG_LEVEL ?? 'WARN').toUpperCase() as 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // Already installed (a second call in one process): keep the first.
  }
}
