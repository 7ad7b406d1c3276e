export const TASK_QUEUE = 'gp-recovery';
/** A worker pinned to one segment host polls this queue instead of reaching the host over SSH. */
export const hostTaskQueue = (host: string): string => `${TASK_QUEUE}@${host}`;
