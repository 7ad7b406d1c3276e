import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { activityInterceptors } from '../activities/interceptors';
import { TASK_QUEUE } from '../workflows/taskQueue';
import { faultInjectionInterceptors, parseFaultSpec } from './faultInjection';

export interface CreateWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue?: string;
  /** Tests pass a prebuilt bundle; production bundles from source at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxConcurrentActivityTaskExecutions?: number;
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? process.env.GPRECOVER_TASK_QUEUE ?? TASK_QUEUE,
    ...workflowSource(opts.workflowBundle),
    activities: createActivities(opts),
    // Faults outermost: a crash after a step comes after all it did, the copy step's word to its run included.
    interceptors: { activity: [...faultInjectionInterceptors(parseFaultSpec(process.env.GPRECOVER_FAULT, process.env.GPRECOVER_FAULT_MARKER)), ...activityInterceptors] },
    // Most running activities wait (a copy job on a host, FTS through the shared sync watcher) and cost a promise
    // each: a slot per segment of -B 16 x -b 64, so that mirrors waiting for sync never hold up copies.
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 2048,
    // Heartbeats carry copy progress and bring cancellation; the default throttle (80% of the heartbeat timeout)
    // would leave `gprecover status` and a cancel request up to 8 s behind.
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
    // A stopping worker (a deploy, a systemd restart) lets its activities run this long, then cancels them as shut
    // down: copies are left running on their hosts for the next worker to attach to (activities/copy.ts).
    shutdownGraceTime: '10s',
  });
}

/** A prebuilt bundle (GPRECOVER_WORKFLOW_BUNDLE, e.g. made at image build time) starts a worker in a second. */
function workflowSource(bundle: WorkerOptions['workflowBundle']): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (bundle) return { workflowBundle: bundle };
  const prebuilt = process.env.GPRECOVER_WORKFLOW_BUNDLE;
  if (prebuilt) return { workflowBundle: { codePath: prebuilt } };
  return { workflowsPath: path.resolve(__dirname, '../workflows/index.ts') };
}
