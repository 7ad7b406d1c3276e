import { Context } from '@temporalio/activity';
import type { ActivityProgress } from '../domain/activities';

const latest = new WeakMap<Context, ActivityProgress>();

/**
 * What the running activity is doing now: carried by its next heartbeat (heartbeatInterceptor.ts beats every
 * second), where `gprecover status` reads it. Reporting is cheap: nothing is sent from here.
 */
export function reportProgress(p: ActivityProgress): void {
  latest.set(Context.current(), p);
}

export function progressOf(ctx: Context): ActivityProgress | undefined {
  return latest.get(ctx);
}
