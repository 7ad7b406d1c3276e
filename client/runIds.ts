/** One recovery or rebalance per cluster at a time: they share this workflow id. */
export const clusterWorkflowId = (cluster: string): string => `gprecover-${cluster}`;

export const defaultCluster = (): string => process.env.GPRECOVER_CLUSTER ?? 'demo';
