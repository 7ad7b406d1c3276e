import { taskQueue as defaultTaskQueue } from '../runIds';
import { parse } from '../args';
import { endpointFromEnv } from '../../worker/connection';
import { runWorkerUntilSignal } from '../../worker/runWorker';
import { quietRuntime } from '../../worker/quietRuntime';

const HELP = `usage: gprecover worker [--task-queue Q] [--clusters FILE]
Runs a worker for an existing Temporal service. Connection from the environment:
  TEMPORAL_ADDRESS (localhost:7233), TEMPORAL_NAMESPACE (default), TEMPORAL_API_KEY,
  TEMPORAL_TLS=true, TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_SERVER_NAME.
Cluster connection details come from GPRECOVER_CONFIG (default .data/clusters.json).`;

export async function workerCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    'task-queue': { type: 'string' },
    clusters: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
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
