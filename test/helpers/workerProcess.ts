import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../cluster/config';
import { workflowBundle } from './temporal';

let bundleFile: Promise<string> | undefined;

/** The test's workflow bundle on disk, so worker processes start without bundling again. */
export function bundleOnDisk(): Promise<string> {
  bundleFile ??= workflowBundle().then((b) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-bundle-')), 'workflows.js');
    fs.writeFileSync(file, b.code);
    return file;
  });
  return bundleFile;
}

async function groupGone(pgid: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) {
      process.kill(-pgid, 'SIGKILL');
      return;
    }
    await sleep(50);
  }
}

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  log: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `gprecover worker` as its own OS process, as in production, so a test can kill -9 it. */
export async function spawnWorker(opts: {
  address: string; namespace: string; taskQueue: string; clustersFile: string; fault?: string; faultMarker?: string;
}): Promise<WorkerProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: opts.address,
    TEMPORAL_NAMESPACE: opts.namespace,
    GPRECOVER_WORKFLOW_BUNDLE: await bundleOnDisk(),
  };
  delete env.GPRECOVER_FAULT;
  if (opts.fault) {
    env.GPRECOVER_FAULT = opts.fault;
    env.GPRECOVER_FAULT_MARKER = opts.faultMarker;
  }
  const child = spawn(path.join(PROJECT_ROOT, 'node_modules/.bin/tsx'),
    [path.join(PROJECT_ROOT, 'client/main.ts'), 'worker', '--task-queue', opts.taskQueue, '--clusters', opts.clustersFile],
    // Its own process group: tsx runs the worker in a child node process, and killing tsx alone orphans it.
    { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((r) => child.on('exit', (code, sig) => r(code ?? (sig ? -1 : null))));
  const deadline = Date.now() + 60_000;
  while (!/worker polling/.test(out)) {
    if (child.exitCode !== null || child.signalCode) throw new Error(`worker exited at start: ${out}`);
    if (Date.now() > deadline) throw new Error(`worker did not start: ${out}`);
    await sleep(100);
  }
  // The banner prints before the worker polls; give it a moment to register.
  await sleep(500);
  return {
    child,
    exited,
    log: () => out,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && !child.signalCode) {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          /* the group is gone already */
        }
      }
      await exited;
      // SIGTERM lets tsx forward it; make sure the worker under it has gone too.
      await groupGone(child.pid!);
    },
  };
}
