import path from 'node:path';
import { commandHelp, defineCommand, intOption, parseCommand } from '../args';
import { DATA_DIR } from '../../cluster/config';
import { startDevServer } from '../../worker/devServer';
import { connectWorker } from '../../worker/connection';
import { createWorker } from '../../worker/createWorker';
import { TASK_QUEUE } from '../../workflows/taskQueue';
import { quietRuntime } from '../../worker/quietRuntime';

export const DEV = defineCommand({
  name: 'dev',
  summary: `Starts, in one process: the Temporal dev server with SQLite persistence under .data/temporal/, its Web UI,
the search attributes ClusterName, ContentIds, RecoveryType, RecoveryOutcome, AutoDecision, a worker on '${TASK_QUEUE}',
and the local demo cluster 'demo' (unless --no-demo). Ctrl-C stops all of it; the next start reuses the history.`,
  options: {
    port: { type: 'string', arg: 'PORT', help: 'Temporal frontend port (7233)' },
    'ui-port': { type: 'string', arg: 'PORT', help: 'Web UI port (8233)' },
    'no-demo': { type: 'boolean', help: 'no demo cluster' },
  },
});

export async function devCommand(argv: string[]): Promise<number> {
  const { values, help } = parseCommand(DEV, argv);
  if (help) {
    console.log(commandHelp(DEV));
    return 0;
  }
  const port = intOption(values.port, '--port', 1, 65535) ?? 7233;
  const uiPort = intOption(values['ui-port'], '--ui-port', 1, 65535) ?? 8233;
  const dbFile = path.join(DATA_DIR, 'temporal', 'dev.db');
  quietRuntime();
  const server = await startDevServer({
    port,
    uiPort,
    dbFile,
    logFile: path.join(DATA_DIR, 'temporal', 'dev-server.log'),
  });
  const cleanups: Array<() => Promise<void>> = [() => server.stop()];
  try {
    if (!values['no-demo']) {
      const { ensureDemoRunning } = await import('../../demo/forDev');
      const demo = await ensureDemoRunning();
      cleanups.unshift(demo.stop);
      console.log(demo.summary);
    }
    const connection = await connectWorker({ address: server.address, namespace: server.namespace });
    cleanups.unshift(() => connection.close());
    const worker = await createWorker({ connection, namespace: server.namespace });
    console.log(`Temporal dev server  ${server.address} (namespace ${server.namespace}, history in ${dbFile})`);
    console.log(`Temporal Web UI      ${server.uiUrl}`);
    console.log(`worker               polling '${TASK_QUEUE}'`);
    console.log(`Ctrl-C stops everything. In another terminal: bin/gprecover demo kill 6; bin/gprecover start-recovery --wait`);
    const stop = () => {
      console.log('\nstopping worker, demo cluster and dev server ...');
      worker.shutdown();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await worker.run();
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((err) => console.error(`cleanup: ${(err as Error).message}`));
  }
  return 0;
}
