import type { ActivityInterceptorsFactory } from '@temporalio/worker';

export interface ActivityCall {
  name: string;
  attempt: number;
  input: unknown;
}

/** Records every activity call a worker runs, in order (tests count attempts, inspect inputs). */
export function recordCalls(into: ActivityCall[]): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        into.push({ name: ctx.info.activityType, attempt: ctx.info.attempt, input: input.args[0] });
        return next(input);
      },
    },
  });
}
