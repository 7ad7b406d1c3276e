import { WorkflowNotFoundError } from '@temporalio/client';
import { clustersFilePath, loadClusterConfig } from '../../cluster/config';
import { collectClusterState } from '../../cluster/state/collect';
import { formatState } from '../../cluster/state/format';
import { commandHelp, defineCommand, parseCommand } from '../args';
import { oneLine } from '../errors';
import { fetchRunView, runSummary, type RunView } from '../progress';
import { clusterWorkflowId, defaultCluster } from '../runIds';
import { openClient, workflowUrl } from '../temporalClient';

export const STATE = defineCommand({
  name: 'state',
  summary: [
    "gpstate -e / -m of a configured cluster in one table: each segment's role, preferred role, mode, status, location,",
    'whether it answers, WAL bytes each mirror is behind, and what its content needs (recover, rebalance, double fault,',
    "down, catching up, waiting for FTS) and why; then gprecoverseg's lock and any running gprecover run of the cluster",
    'with its progress.',
  ].join('\n'),
  options: {
    cluster: { type: 'string', arg: 'C', help: "the cluster (default $GPRECOVER_CLUSTER or 'demo')" },
    clusters: { type: 'string', arg: 'FILE', help: 'clusters file with its connection details (default $GPRECOVER_CONFIG or .data/clusters.json)' },
    json: { type: 'boolean', help: 'machine-readable output' },
  },
  notes: ['Exit codes: 0 shown (whatever the cluster needs), 1 the coordinator does not answer, 2 unknown cluster or bad arguments.'],
});

/** How long the running run's workflows may take to answer their queries before only its description is shown. */
const QUERY_WITHIN_MS = 5_000;

interface RunLookup {
  run: RunView | null;
  runError?: string;
  url?: string;
}

/** The cluster's run (workflow id gprecover-<cluster>) when it is running; Temporal not answering is said, not thrown. */
async function runningRun(workflowId: string): Promise<RunLookup> {
  try {
    const { client, uiBase } = await openClient();
    const desc = await client.workflow.getHandle(workflowId).describe();
    if (desc.status.name !== 'RUNNING') return { run: null };
    const bare: RunView = { workflowId, runId: desc.runId, status: desc.status.name, startTime: desc.startTime, segments: [] };
    const url = workflowUrl(uiBase, workflowId, desc.runId);
    // Started and scheduled, nothing more: no worker has taken its first task, so none would answer a query.
    if (desc.historyLength <= 2) return { run: { ...bare, waiting: `waiting for a worker on task queue ${desc.taskQueue} to pick it up` }, url };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<RunView>((resolve) => {
      timer = setTimeout(() => resolve({ ...bare, waiting: `no worker answered its progress query within ${QUERY_WITHIN_MS / 1000} s` }), QUERY_WITHIN_MS);
    });
    const run = await Promise.race([fetchRunView(client, workflowId, desc.runId), late]).finally(() => clearTimeout(timer));
    return { run, url };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { run: null };
    return { run: null, runError: oneLine(err) };
  }
}

function runLines(r: RunLookup): string[] {
  if (r.runError) return [`gprecover run: unknown (${r.runError})`];
  if (!r.run) return ['gprecover run: none running'];
  const [first, ...rest] = runSummary(r.run);
  return [`gprecover run: ${first}`, ...rest, ...(r.url ? [`  ${r.url}`] : [])];
}

export async function stateCommand(argv: string[]): Promise<number> {
  const { values, help } = parseCommand(STATE, argv);
  if (help) {
    console.log(commandHelp(STATE));
    return 0;
  }
  const cfg = loadClusterConfig(values.cluster ?? defaultCluster(), values.clusters ?? clustersFilePath());
  const [state, run] = await Promise.all([collectClusterState(cfg), runningRun(clusterWorkflowId(cfg.name))]);
  if (values.json) {
    console.log(JSON.stringify({ ...state, run: run.run, ...(run.runError ? { runError: run.runError } : {}) }, null, 2));
  } else {
    console.log([...formatState(state), ...runLines(run)].join('\n'));
  }
  return 0;
}
