import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { startDevServer, type RunningDevServer } from '../worker/devServer';
import { createWorker } from '../worker/createWorker';
import { runInBackground } from '../worker/runningWorker';
import { freePort } from '../testkit/freePort';

export interface BenchTemporal {
  server: RunningDevServer;
  client: Client;
  nativeConnection: NativeConnection;
  /** The workflow bundle, built once and written to disk so a worker process can load it without bundling. */
  bundlePath: string;
  startWorker(opts: { taskQueue: string; clustersFile: string }): Promise<{ worker: Worker; stop(): Promise<void> }>;
  close(): Promise<void>;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };

/** A private in-memory dev server on free ports, so a bench run never shares history with a test or a user. */
export async function startBenchTemporal(workDir: string): Promise<BenchTemporal> {
  const [port, uiPort] = [await freePort('127.0.0.1'), await freePort('127.0.0.1')];
  const server = await startDevServer({ port, uiPort, logFile: path.join(workDir, 'temporal-dev.log') });
  try {
    const connection = await Connection.connect({ address: server.address });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const client = new Client({ connection, namespace: server.namespace });
    const bundle = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../workflows/index.ts'), logger: quietLogger });
    const bundlePath = path.join(workDir, 'workflows.js');
    fs.writeFileSync(bundlePath, bundle.code);
    return {
      server, client, nativeConnection, bundlePath,
      async startWorker(opts) {
        const worker = await createWorker({
          connection: nativeConnection, namespace: server.namespace, workflowBundle: { code: bundle.code }, ...opts,
        });
        return runInBackground(worker);
      },
      async close() {
        await nativeConnection.close().catch(() => undefined);
        await connection.close().catch(() => undefined);
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

export function benchWorkDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-bench-'));
  // The cluster's OS user (postgres when running as root) must reach the data directories below.
  fs.chmodSync(dir, 0o755);
  return dir;
}
