import type { ActivityInterceptorsFactory } from '@temporalio/worker';

export interface ActivityCall {
  name: string;
  attempt: number;
  input: unknown;
  /** The workflow type that called it: a run's own calls told from its children's. */
  workflowType?: string;
  /** Run as a local activity, inside the workflow task (the short steps). */
  local?: boolean;
}

/** Records every activity call a worker runs, in order (tests count attempts, inspect inputs). */
export function recordCalls(into: ActivityCall[]): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        into.push({ name: ctx.info.activityType, attempt: ctx.info.attempt, input: input.args[0], workflowType: ctx.info.workflowType, local: ctx.info.isLocal });
        return next(input);
      },
    },
  });
}
