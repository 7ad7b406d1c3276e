import { heartbeat } from '@temporalio/activity';

/**
 * Runs `fn` while heartbeating every second with the latest progress it reported: a dead worker is noticed within
 * the heartbeat timeout, cancellation arrives promptly, and `gprecover status` shows live progress.
 */
export async function beating<T>(fn: (report: (detail: string) => void) => Promise<T>): Promise<T> {
  let last: string | undefined;
  const tick = setInterval(() => heartbeat(last), 1000);
  try {
    return await fn((detail) => {
      if (detail === last) return;
      last = detail;
      heartbeat(detail);
    });
  } finally {
    clearInterval(tick);
  }
}
