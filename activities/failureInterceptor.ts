import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { FailureType, GprecoverError } from '../domain/failures';

/**
 * Every gprecover error leaves the worker as an ApplicationFailure whose type is its failure type: the retry
 * policies' nonRetryableErrorTypes and the CLI's exit codes look at that type, never at a class name. An unreachable
 * coordinator or host is waited out for the run's outage bound (carried by every call, see ClusterInput), counted
 * from the step's first schedule; past it the same failure is final.
 */
export const failureTypeInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        if (!(err instanceof GprecoverError)) throw err;
        const outageSeconds = (input.args[0] as { outageSeconds?: unknown } | undefined)?.outageSeconds;
        // Server time where it is ahead of ours (a time-skipping test server): since the first schedule, as of now.
        const waited = Math.max(Date.now(), ctx.info.currentAttemptScheduledTimestampMs) - ctx.info.scheduledTimestampMs;
        const outageOver = err.failureType === FailureType.Unavailable && typeof outageSeconds === 'number' && waited >= outageSeconds * 1000;
        ctx.log.warn(`${ctx.info.activityType} failed: ${err.message}`, { failureType: err.failureType, error: err.name, attempt: ctx.info.attempt });
        throw ApplicationFailure.create({
          type: err.failureType,
          message: outageOver ? `${err.message} (waited ${Math.round(waited / 1000)} s, the run's outage bound)` : err.message,
          details: err.details(),
          nonRetryable: outageOver,
        });
      }
    },
  },
});
