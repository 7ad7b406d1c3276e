// Records the histories of test/replay/scenarios.ts for this release (package.json's version) under
// test/replay/histories/v<version>/: `npm run record:histories`. A release's folder is recorded while it is being
// made and kept afterwards, so that npm test replays the runs every kept release may still have in flight against
// today's code (docs/upgrades.md).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { activityInterceptors } from '../../activities/interceptors';
import { PROJECT_ROOT } from '../../cluster/config';
import { quietRuntime } from '../../worker/quietRuntime';
import { createTimeSkippingEnv } from '../helpers/timeSkippingServer';
import { HISTORIES } from './histories';
import { childIds, SCENARIOS } from './scenarios';


async function allRuns(client: Client, handle: WorkflowHandle): Promise<WorkflowHandle[]> {
  const out = [handle];
  for (const id of await childIds(client, handle)) out.push(...await allRuns(client, client.workflow.getHandle(id)));
  return out;
}

/** One line per event but workflow tasks: its id, type and, for activities, timers and children, what it names. */
function describeEvents(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).flatMap((e) => {
    const type = temporal.api.enums.v1.EventType[e.eventType ?? 0].replace(/^EVENT_TYPE_/, '');
    const what = e.activityTaskScheduledEventAttributes?.activityType?.name
      ?? e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name
      ?? e.markerRecordedEventAttributes?.markerName
      ?? (e.timerStartedEventAttributes ? `timer ${String(e.timerStartedEventAttributes.startToFireTimeout?.seconds ?? 0)} s` : undefined);
    // Workflow tasks carry no command of their own: left out, the rest reads as what the run did.
    return type.startsWith('WORKFLOW_TASK_') ? [] : [`${String(e.eventId)} ${type}${what ? ` ${what}` : ''}`];
  });
}

async function main(): Promise<void> {
  const version = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const only = process.argv.slice(2);
  const dir = path.join(HISTORIES, `v${version}`);
  quietRuntime();
  const env = await createTimeSkippingEnv();
  const noop = () => undefined;
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: path.join(PROJECT_ROOT, 'workflows', 'index.ts'),
    logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error },
  });
  try {
    for (const s of SCENARIOS.filter((x) => !only.length || only.includes(x.name))) {
      const taskQueue = `replay-${s.name}`;
      const worker = await Worker.create({
        connection: env.nativeConnection, taskQueue, workflowBundle, activities: s.activities(),
        interceptors: { activity: activityInterceptors },
        maxHeartbeatThrottleInterval: '1s', defaultHeartbeatThrottleInterval: '1s',
      });
      const runs = await worker.runUntil(async () => {
        const handle = await s.start(env.client, taskQueue, `replay-${s.name}`);
        if (s.during) await s.during(handle, env.client);
        const outcome = await handle.result().then(() => 'completed', (err: Error) => `failed: ${(err.cause as Error | undefined)?.message ?? err.message}`);
        console.log(`${s.name}: ${outcome}`);
        return allRuns(env.client, handle);
      });
      const into = path.join(dir, s.name);
      fs.rmSync(into, { recursive: true, force: true });
      fs.mkdirSync(into, { recursive: true });
      const manifest: Array<{ file: string; workflowId: string }> = [];
      for (const [i, run] of runs.entries()) {
        const history = await run.fetchHistory();
        const type = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'workflow';
        // Binary protobuf: this install's @temporalio/common and @temporalio/proto each carry their own protobufjs, and
        // historyToJSON/historyFromJSON fail across the two ("type must be a Type"). The .events file beside it says
        // what the history holds, for review.
        fs.writeFileSync(path.join(into, `${i}-${type}.binpb`), temporal.api.history.v1.History.encode(history).finish());
        fs.writeFileSync(path.join(into, `${i}-${type}.events`), `${describeEvents(history).join('\n')}\n`);
        manifest.push({ file: `${i}-${type}.binpb`, workflowId: run.workflowId });
      }
      // Replay needs each run's workflow id (a child's id is derived from its parent's).
      fs.writeFileSync(path.join(into, 'runs.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    }
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'workflows', 'domain'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim() !== '';
    fs.writeFileSync(path.join(dir, 'recorded.json'), `${JSON.stringify({ version, commit: dirty ? `${commit}+changes` : commit, recordedAt: new Date().toISOString() }, null, 2)}\n`);
  } finally {
    await env.teardown();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
