// The Temporal Web UI driving a real recovery: headless Chromium fills the UI's Start Workflow form for a killed
// mirror of a demo cluster of real PostgreSQL instances, the worker recovers it, and the UI shows the run Completed;
// then `gprecover auto enable` makes a schedule that the UI's Schedules page lists and shows.
// The global test dev server has no UI, so this file starts its own (in memory) with one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoCluster } from '../../demo';
import { listDecisions, listRuns } from '../../client/commands/history';
import { fetchTimeline } from '../../client/commands/show';
import { formatTimeline } from '../../client/timeline';
import type { RunningDevServer } from '../../worker/devServer';
import { createWorker } from '../../worker/createWorker';
import { TASK_QUEUE } from '../../workflows/taskQueue';
import type { RecoveryResult } from '../../domain/recovery';
import { runCli } from '../helpers/cli';
import { byDbid, createTestCluster, expectMirrorsIdentical, healthy } from '../helpers/demo';
import { eventually } from '../helpers/stubRuns';
import { workflowBundle } from '../helpers/temporal';
import { startDevServerOnFreePorts } from '../../testkit/devServerOnFreePorts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];


describe('Temporal Web UI: start a recovery from the form, watch it complete', () => {
  let cluster: DemoCluster;
  let clustersFile: string;
  let server: RunningDevServer;
  let connection: Connection;
  let nativeConnection: NativeConnection;
  let client: Client;
  let worker: Worker;
  let workerRun: Promise<void>;
  let browser: Browser;
  let page: Page;
  let shots: string;
  let runId = '';
  const workflowId = () => `gprecover-${cluster.name}`;

  const shot = async (name: string) => {
    const file = path.join(shots, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (apt-get install chromium)`);
    shots = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-ui-'));
    ({ cluster, clustersFile } = await createTestCluster('ui', '127.0.41'));
    server = await startDevServerOnFreePorts({ ip: '127.0.0.1', logFile: path.join(shots, 'devserver.log') });
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: server.namespace });
    nativeConnection = await NativeConnection.connect({ address: server.address });
    worker = await createWorker({ connection: nativeConnection, namespace: server.namespace, clustersFile, workflowBundle: await workflowBundle() });
    workerRun = worker.run();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  });

  afterAll(async () => {
    await browser?.close();
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
    await nativeConnection?.close();
    await connection?.close();
    await server?.stop();
    await cluster?.destroy();
    console.log(`UI screenshots in ${shots}`);
  });

  it('recovers a killed mirror started from the Start Workflow form', async () => {
    await cluster.loadData(1000);
    await cluster.kill(6);
    await cluster.waitFor((rows) => byDbid(rows, 6).status === 'd', 30_000, 'dbid 6 marked down by FTS');
    await cluster.loadData(1000); // written while the mirror is down: pg_rewind and WAL replay must bring it over

    await page.goto(`${server.uiUrl}/namespaces/default/workflows/start-workflow`, { waitUntil: 'networkidle' });
    await page.fill('#workflowId', workflowId());
    await page.fill('#taskQueue', TASK_QUEUE);
    await page.fill('#workflowType', 'recoveryWorkflow');
    await page.locator('.cm-content').click();
    await page.keyboard.type(JSON.stringify({ cluster: cluster.name }));
    expect(JSON.parse(await page.locator('.cm-content').innerText())).toEqual({ cluster: cluster.name });
    // Leaving the editor re-formats the JSON and pushes the button down: click it only once the layout settled.
    await page.getByRole('heading', { name: 'Start Workflow' }).click();
    await page.waitForTimeout(300);
    await shot('1-form-filled');
    const started = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes(`/workflows/${encodeURIComponent(workflowId())}`));
    await page.getByTestId('start-workflow-button').click();
    expect((await started).status()).toBe(200);

    const handle = client.workflow.getHandle(workflowId());
    const result = (await handle.result()) as RecoveryResult;
    runId = (await handle.describe()).runId;
    expect(result).toMatchObject({ phase: 'done', succeeded: 1, failed: 0, dryRun: false });
    expect(result.segments.map((s) => [s.dbid, s.type, s.state])).toEqual([[6, 'incremental', 'succeeded']]);
    expect(healthy(await cluster.segments())).toBe(true);
    await expectMirrorsIdentical(cluster);
  });

  it('shows the run Completed on its workflow page, with its input, history and search attributes', async () => {
    expect(runId).not.toBe('');
    await page.goto(`${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId())}/${runId}/history`, { waitUntil: 'networkidle' });
    await expect.poll(async () => page.getByText('Workflow Execution Completed').first().isVisible(), { timeout: 30_000 }).toBe(true);
    const header = await page.locator('main').innerText();
    // The status badge next to the workflow id (upper-cased by CSS).
    expect(header).toMatch(new RegExp(`COMPLETED\\s+${workflowId()}`, 'i'));
    expect(header).toContain('recoveryWorkflow');
    expect(header).toContain(`"cluster": "${cluster.name}"`);
    expect(header).toContain('"phase": "done"'); // the top of the result panel (the rest is scrolled out of view)
    const file = await shot('2-workflow-completed');
    expect(fs.statSync(file).size).toBeGreaterThan(10_000);

    await page.getByRole('tab', { name: 'Search Attributes' }).or(page.getByText('Search Attributes', { exact: true })).first().click();
    await expect.poll(async () => (await page.locator('main').innerText()).includes('RecoveryOutcome'), { timeout: 15_000 }).toBe(true);
    await shot('3-search-attributes');
    const attrs = await page.locator('main').innerText();
    for (const v of [`"ClusterName": "${cluster.name}"`, '"RecoveryType": "incremental"', '"RecoveryOutcome": "succeeded"', '"ContentIds"']) expect(attrs).toContain(v);
  });

  it('lists the run by its ClusterName search attribute', async () => {
    // Segment child workflows carry ClusterName too; the run itself is the recoveryWorkflow.
    const query = `ClusterName = "${cluster.name}" AND WorkflowType = "recoveryWorkflow"`;
    await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`, { waitUntil: 'networkidle' });
    await expect.poll(async () => page.getByText(runId).first().isVisible().catch(() => false), { timeout: 30_000 }).toBe(true);
    await shot('4-list-by-cluster');
    const row = await page.locator('tr', { hasText: runId }).innerText();
    expect(row).toContain(workflowId());
    expect(row).toContain('recoveryWorkflow');
    expect(row).toMatch(/completed/i);
    expect(await page.locator('tbody tr').count()).toBe(1);
  });

  it('history and show describe the UI-started run from the real event histories', async () => {
    const rows = await listRuns(client, { cluster: cluster.name }, 10);
    expect(rows).toMatchObject([{ workflowId: workflowId(), runId, recoveryType: 'incremental', contents: ['0'], outcome: 'succeeded' }]);
    const t = await fetchTimeline(client, workflowId(), runId);
    expect(t).toMatchObject({ outcome: 'succeeded', input: { cluster: cluster.name }, plan: { from: 'result', items: [{ dbid: 6, content: 0, type: 'incremental', sourceDbid: 2 }] } });
    expect(t.requestedBy).toBeUndefined();
    expect(t.children).toHaveLength(1);
    expect(t.children[0].steps.map((s) => [s.activity, s.outcome])).toEqual([
      ['admitSegmentPlan', 'completed'], ['stopFailedSegment', 'completed'], ['verifySegmentDown', 'completed'], ['updateCatalog', 'completed'],
      ['copySegment', 'completed'], ['startRecoveredSegment', 'completed'], ['waitForSync', 'completed'],
    ]);
    expect(t.catalogChanges).toMatchObject([{ activity: 'updateCatalog', dbid: 6, before: { dbid: 6, status: 'd' }, after: { dbid: 6, mode: 'n' } }]);
    const text = formatTimeline(t).join('\n');
    fs.writeFileSync(path.join(shots, 'show.txt'), text);
    expect(text).toContain('Outcome: succeeded (1 of 1 segment workflow(s) completed)');
  });

  it('shows the schedule `gprecover auto enable` creates on the Schedules page, with its workflow and period', async () => {
    const scheduleId = `gprecover-auto-${cluster.name}`;
    const env = { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace, TEMPORAL_UI_URL: server.uiUrl, GPRECOVER_CLUSTER: cluster.name, GPRECOVER_TASK_QUEUE: TASK_QUEUE };
    // An hour: the schedule is looked at here, it never fires during the test.
    const on = await runCli(['auto', 'enable', '--every', '1h'], env);
    expect(on.code, on.stdout + on.stderr).toBe(0);
    expect(on.stdout).toContain(`${server.uiUrl}/namespaces/default/schedules/${scheduleId}`);
    try {
      await page.goto(`${server.uiUrl}/namespaces/default/schedules`, { waitUntil: 'networkidle' });
      await expect.poll(async () => page.getByText(scheduleId).first().isVisible().catch(() => false), { timeout: 30_000 }).toBe(true);
      await shot('5-schedules');
      const list = await page.locator('main').innerText();
      fs.writeFileSync(path.join(shots, 'schedules.txt'), list);
      expect(list).toMatch(new RegExp(`RUNNING\\s+${scheduleId}\\s+autoRecoveryWorkflow`));
      expect(list).toContain('Every 1 hour(s)');

      await page.getByText(scheduleId).first().click();
      await expect.poll(async () => page.url(), { timeout: 15_000 }).toContain(`/schedules/${scheduleId}`);
      await expect.poll(async () => (await page.locator('main').innerText()).includes('autoRecoveryWorkflow'), { timeout: 30_000 }).toBe(true);
      await page.waitForLoadState('networkidle');
      await shot('6-schedule');
      const detail = await page.locator('main').innerText();
      fs.writeFileSync(path.join(shots, 'schedule.txt'), detail);
      expect(detail).toMatch(/Overlap Policy\s+Skip/);
      expect(detail).toContain('Every 1 hour(s)');
      // The policy travels as the workflow input, defaults filled in.
      expect(detail).toMatch(/"cluster": "ui",\s+"policy": \{\s+"types": \[\s+"incremental"\s+\],\s+"downForMinutes": 5,/);

      // One check now: the cluster is healthy, so it records 'nothing to do'; the page lists it under Recent Runs.
      await client.schedule.getHandle(scheduleId).trigger();
      const [decision] = await eventually(async () => {
        const d = await listDecisions(client, { cluster: cluster.name }, 5);
        expect(d[0]?.decision).toBe('skipped');
        return d;
      }, 30_000);
      expect(decision).toMatchObject({ code: 'nothing-to-do', reason: 'no segment is down', by: `schedule ${scheduleId}` });
      await expect.poll(async () => {
        await page.reload({ waitUntil: 'networkidle' });
        return (await page.locator('main').innerText()).includes(decision.workflowId);
      }, { timeout: 30_000, interval: 1000 }).toBe(true);
      await shot('7-schedule-recent-run');
    } finally {
      const off = await runCli(['auto', 'disable'], env);
      expect(off.code, off.stderr).toBe(0);
    }
  });
});
