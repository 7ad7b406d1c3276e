import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { PROJECT_ROOT } from '../../cluster/config';
import { createWorker } from '../../worker/createWorker';
import { quietRuntime } from '../../worker/quietRuntime';
import { runInBackground, type RunningWorker } from '../../worker/runningWorker';

let bundle: Promise<WorkflowBundle> | undefined;

/**
 * What the bundle is made of: the workflow code (workflows/ imports only itself and domain/), the packages as locked
 * and as installed, and how this file bundles them.
 */
function sourcesHash(): string {
  const hash = crypto.createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      if (fs.statSync(file).isDirectory()) walk(file);
      else hash.update(`${path.relative(PROJECT_ROOT, file)}\0`).update(fs.readFileSync(file)).update('\0');
    }
  };
  walk(path.join(PROJECT_ROOT, 'workflows'));
  walk(path.join(PROJECT_ROOT, 'domain'));
  for (const file of [path.join(PROJECT_ROOT, 'package-lock.json'), path.join(PROJECT_ROOT, 'node_modules', '.package-lock.json'), __filename]) {
    if (fs.existsSync(file)) hash.update(fs.readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Today's workflow bundle, built once for what its sources are and kept under .data/test-bundles/: every test file is
 * its own fork, and bundling costs each about 3 s of CPU, which the fast tier's two cores cannot spare.
 */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= (async () => {
    const dir = path.join(PROJECT_ROOT, '.data', 'test-bundles');
    const file = path.join(dir, `${sourcesHash()}.js`);
    if (fs.existsSync(file)) return { code: fs.readFileSync(file, 'utf8') };
    const { code } = await bundleWorkflowCode({ workflowsPath: path.join(PROJECT_ROOT, 'workflows', 'index.ts'), logger: quietLogger });
    fs.mkdirSync(dir, { recursive: true });
    // Forks that bundle at the same time each write their own file and rename it in place: a reader never sees half.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
    // Bundles of other states of the sources, and what a fork that died left, go once they are an hour old.
    for (const name of fs.readdirSync(dir)) {
      const other = path.join(dir, name);
      if (other !== file && Date.now() - fs.statSync(other).mtimeMs > 3_600_000) fs.rmSync(other, { force: true });
    }
    return { code };
  })();
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
