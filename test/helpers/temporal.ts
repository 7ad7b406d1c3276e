import path from 'node:path';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createWorker } from '../../worker/createWorker';
import { quietRuntime } from '../../worker/quietRuntime';
import { runInBackground, type RunningWorker } from '../../worker/runningWorker';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle is built once per test file (each file is its own fork). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../../workflows/index.ts'), logger: quietLogger });
  return bundle;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };

export interface TemporalHarness {
  client: Client;
  nativeConnection: NativeConnection;
  namespace: string;
  address: string;
  startWorker(opts?: { clustersFile?: string; taskQueue?: string }): Promise<RunningWorker>;
  close(): Promise<void>;
}

export type { RunningWorker } from '../../worker/runningWorker';

export async function connectHarness(): Promise<TemporalHarness> {
  quietRuntime();
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection, namespace });
  return {
    client,
    nativeConnection,
    namespace,
    address,
    async startWorker(opts = {}) {
      const worker = await createWorker({
        connection: nativeConnection,
        namespace,
        workflowBundle: await workflowBundle(),
        ...opts,
      });
      return runInBackground(worker);
    },
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}
