import { taskQueue as defaultTaskQueue } from '../runIds';
import { commandHelp, defineCommand, parseCommand } from '../args';
import { endpointFromEnv } from '../../worker/connection';
import { runWorkerUntilSignal } from '../../worker/runWorker';
import { quietRuntime } from '../../worker/quietRuntime';

export const WORKER = defineCommand({
  name: 'worker',
  summary: `Runs a worker for an existing Temporal service. Connection from the environment:
  TEMPORAL_ADDRESS (localhost:7233), TEMPORAL_NAMESPACE (default), TEMPORAL_API_KEY,
  TEMPORAL_TLS=true, TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_SERVER_NAME.`,
  options: {
    'task-queue': { type: 'string', arg: 'Q', help: 'task queue to poll (default $GPRECOVER_TASK_QUEUE or gp-recovery)' },
    clusters: { type: 'string', arg: 'FILE', help: 'clusters file (default $GPRECOVER_CONFIG or .data/clusters.json)' },
  },
});

export async function workerCommand(argv: string[]): Promise<number> {
  const { values, help } = parseCommand(WORKER, argv);
  if (help) {
    console.log(commandHelp(WORKER));
    return 0;
  }
  quietRuntime();
  const ep = endpointFromEnv();
  const taskQueue = values['task-queue'] ?? defaultTaskQueue();
  await runWorkerUntilSignal(ep, {
    taskQueue,
    clustersFile: values.clusters,
    onReady: () => console.log(`worker polling '${taskQueue}' on ${ep.address} namespace ${ep.namespace}; Ctrl-C stops it`),
  });
  return 0;
}
