import { TASK_QUEUE } from '../workflows/taskQueue';

export { clusterWorkflowId } from '../domain/recovery';

export const defaultCluster = (): string => process.env.GPRECOVER_CLUSTER ?? 'demo';

/** GPRECOVER_TASK_QUEUE lets several deployments (or test runs) share one Temporal namespace. */
export const taskQueue = (): string => process.env.GPRECOVER_TASK_QUEUE ?? TASK_QUEUE;
