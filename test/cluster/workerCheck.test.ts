import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHarness, type RunningWorker, type TemporalHarness } from '../helpers/temporal';
import { workerCheckWorkflow } from '../../workflows';
import { TASK_QUEUE } from '../../workflows/taskQueue';

describe('worker wiring against the real dev server', () => {
  let h: TemporalHarness;
  let w: RunningWorker;
  let clustersFile: string;

  beforeAll(async () => {
    clustersFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-')), 'clusters.json');
    const cluster = { coordinator: { host: 'cdw', port: 5432, user: 'gpadmin', database: 'postgres' }, gpHome: '/usr/local/greenplum-db' };
    fs.writeFileSync(clustersFile, JSON.stringify({ clusters: { prod: cluster, alpha: cluster } }));
    h = await connectHarness();
    w = await h.startWorker({ clustersFile, taskQueue: `${TASK_QUEUE}-wiring` });
  });
  afterAll(async () => {
    await w?.stop();
    await h?.close();
  });

  it('runs a workflow that calls an activity on the worker', async () => {
    const info = await h.client.workflow.execute(workerCheckWorkflow, {
      taskQueue: `${TASK_QUEUE}-wiring`,
      workflowId: `wiring-${Date.now()}`,
    });
    expect(info.pid).toBe(process.pid);
    expect(info.clusters).toEqual(['alpha', 'prod']);
  });
});
