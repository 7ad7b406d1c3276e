import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, rootCause } from '@temporalio/common';
import { EXIT_OK, exitCodeForFailureType, FailureType } from '../domain/failures';
import { fetchRunView, runSummary } from './progress';


/** Follows a run until it closes, redrawing per-segment progress; returns the gprecoverseg exit code. */
export async function watchRun(client: Client, workflowId: string, runId: string, opts: { json?: boolean; progress?: boolean } = {}): Promise<number> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const done = handle.result().then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  let settled: Awaited<typeof done> | undefined;
  void done.then((d) => (settled = d));
  const tty = process.stdout.isTTY && !opts.json;
  let drawn = 0;
  let lastText = '';
  while (!settled) {
    if (opts.progress !== false && !opts.json) {
      const view = await fetchRunView(client, workflowId, runId).catch(() => undefined);
      if (view) {
        const lines = runSummary(view);
        const text = lines.join('\n');
        if (text !== lastText) {
          if (tty && drawn) process.stdout.write(`\x1b[${drawn}A\x1b[0J`);
          console.log(text);
          drawn = lines.length;
          lastText = text;
        }
      }
    }
    await Promise.race([done, sleep(1000)]);
  }
  const final = settled;
  if (final.ok) {
    if (opts.json) console.log(JSON.stringify(final.value, null, 2));
    else {
      const view = await fetchRunView(client, workflowId, runId).catch(() => undefined);
      if (view) console.log(runSummary(view).join('\n'));
      console.log('recovery finished');
    }
    return EXIT_OK;
  }
  const cause = final.err instanceof WorkflowFailedError ? final.err.cause : final.err;
  const type = cause instanceof ApplicationFailure ? cause.type ?? undefined : undefined;
  // The run fails with its root cause already (workflows/failures.ts runFailure); a cancelled or terminated run
  // says so itself.
  const message = (rootCause(cause) ?? (cause instanceof Error ? cause.message : String(cause))).replace(/\s*\n\s*/g, ' ');
  if (opts.json) console.log(JSON.stringify({ error: message, type }, null, 2));
  console.error(`gprecover: ${type === FailureType.InvalidRequest ? 'invalid request' : 'recovery failed'}: ${message}`);
  return exitCodeForFailureType(type);
}
