import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { ActivityProgress } from '../domain/activities';
import { progressOf } from './progress';

export const HEARTBEAT_EVERY_MS = 1000;

/**
 * Every activity heartbeats each second from here, whatever it does, with the latest progress it reported (or just
 * its name): a dead worker is noticed within the heartbeat timeout, a cancellation arrives within a second, and no
 * activity can be timed out while it works because it forgot to beat. Local activities (a segment's short steps) do not
 * beat: the server knows nothing of them but the workflow task they run in.
 */
export const heartbeatInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      if (ctx.info.isLocal) return next(input);
      const beat = () => {
        const details: ActivityProgress = progressOf(ctx) ?? { phase: ctx.info.activityType };
        ctx.heartbeat(details);
      };
      beat();
      const tick = setInterval(beat, HEARTBEAT_EVERY_MS);
      try {
        return await next(input);
      } finally {
        clearInterval(tick);
      }
    },
  },
});
