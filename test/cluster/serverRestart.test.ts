import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { saveClusterConfig } from '../../cluster/config';
import type { DemoCluster } from '../../demo';
import { startDevServer, type RunningDevServer } from '../../worker/devServer';
import { recoveryWorkflow } from '../../workflows';
import { sampleCopies } from '../helpers/copySampler';
import { byDbid, createTestCluster, expectMirrorsIdentical, healthy } from '../helpers/demo';
import { spawnWorker, type WorkerProcess } from '../helpers/workerProcess';
import { startDevServerOnFreePorts } from '../../testkit/devServerOnFreePorts';

// The one test that needs a Temporal server of its own: it restarts it, with its SQLite history, mid-run.
describe('restart of the Temporal dev server (SQLite) in the middle of a copy', () => {
  let cluster: DemoCluster;
  let clustersFile: string;
  let dir: string;
  let server: RunningDevServer | undefined;
  let worker: WorkerProcess | undefined;
  let connection: Connection | undefined;

  beforeAll(async () => {
    ({ cluster, clustersFile, dir } = await createTestCluster('restart', '127.0.81'));
    saveClusterConfig({ ...cluster.config(), copyMaxRate: '4M' }, clustersFile);
    await cluster.loadData(100_000);
  });

  afterAll(async () => {
    await worker?.kill();
    await connection?.close().catch(() => undefined);
    await server?.stop();
    await cluster?.destroy();
  });

  it('the run survives the server restart and finishes with one copy', async () => {
    const dbFile = path.join(dir, 'temporal.db');
    server = await startDevServerOnFreePorts({ ip: '127.0.0.1', dbFile, logFile: path.join(dir, 'devserver.log') });
    // The restart below takes the same ports again, as a restarted server does.
    const [port, uiPort] = [Number(server.address.split(':')[1]), Number(new URL(server.uiUrl).port)];
    worker = await spawnWorker({ address: server.address, namespace: 'default', taskQueue: 'gp-recovery-restart', clustersFile });
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });

    await cluster.kill(6);
    await cluster.waitFor((rows) => byDbid(rows, 6).status === 'd', 30_000, 'dbid 6 down');
    const sampler = sampleCopies(byDbid(await cluster.segments(), 6).datadir);
    const handle = await client.workflow.start(recoveryWorkflow, { taskQueue: 'gp-recovery-restart', workflowId: 'restart-run', args: [{ cluster: cluster.name, full: true }] });
    const deadline = Date.now() + 60_000;
    while (sampler.pids.length === 0 && Date.now() < deadline) await sleep(100);
    expect(sampler.pids, 'pg_basebackup started').toHaveLength(1);

    await server.stop();
    await sleep(2000);
    server = await startDevServer({ port, uiPort, dbFile });

    const res = await handle.result();
    sampler.stop();
    expect(res.succeeded).toBe(1);
    expect(sampler.pids, 'the copy was never started twice').toHaveLength(1);
    expect(sampler.maxConcurrent).toBe(1);
    expect(healthy(await cluster.segments())).toBe(true);
    await expectMirrorsIdentical(cluster);
    const desc = await client.workflow.getHandle('restart-run').describe();
    expect(desc.status.name).toBe('COMPLETED');
  });
});
