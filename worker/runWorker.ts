import type { Worker } from '@temporalio/worker';
import { connectWorker, type TemporalEndpoint } from './connection';
import { createWorker } from './createWorker';

/** Runs a worker until SIGINT/SIGTERM; the second signal is left to Node's default (exit). */
export async function runWorkerUntilSignal(
  ep: TemporalEndpoint,
  opts: { taskQueue?: string; clustersFile?: string; onReady?: () => void } = {},
) {
  const connection = await connectWorker(ep);
  const worker: Worker = await createWorker({ connection, namespace: ep.namespace, taskQueue: opts.taskQueue, clustersFile: opts.clustersFile });
  const stop = () => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const running = worker.run();
    opts.onReady?.();
    await running;
  } finally {
    await connection.close();
  }
}
