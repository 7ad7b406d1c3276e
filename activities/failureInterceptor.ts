import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { GprecoverError } from '../domain/failures';

/**
 * Every gprecover error leaves the worker as an ApplicationFailure whose type is its failure type: the retry
 * policies' nonRetryableErrorTypes and the CLI's exit codes look at that type, never at a class name.
 */
export const failureTypeInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        if (!(err instanceof GprecoverError)) throw err;
        ctx.log.warn(`${ctx.info.activityType} failed: ${err.message}`, { failureType: err.failureType, error: err.name, attempt: ctx.info.attempt });
        throw ApplicationFailure.create({ type: err.failureType, message: err.message, details: err.details() });
      }
    },
  },
});
