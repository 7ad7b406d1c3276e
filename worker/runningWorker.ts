import type { Worker } from '@temporalio/worker';

export interface RunningWorker {
  worker: Worker;
  /** Graceful shutdown; resolves once the worker has stopped. */
  stop(): Promise<void>;
}

/** Starts `worker.run()` in the background, for code that owns a worker alongside other work (tests, bench). */
export function runInBackground(worker: Worker): RunningWorker {
  const running = worker.run();
  return {
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
