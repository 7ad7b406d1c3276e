import { TASK_QUEUE } from '../workflows/taskQueue';

/** One recovery or rebalance per cluster at a time: they share this workflow id. */
export const clusterWorkflowId = (cluster: string): string => `gprecover-${cluster}`;

export const defaultCluster = (): string => process.env.GPRECOVER_CLUSTER ?? 'demo';

/** GPRECOVER_TASK_QUEUE lets several deployments (or test runs) share one Temporal namespace. */
export const taskQueue = (): string => process.env.GPRECOVER_TASK_QUEUE ?? TASK_QUEUE;
