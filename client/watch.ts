import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, rootCause } from '@temporalio/common';
import { EXIT_OK, exitCodeForFailureType, FailureType } from '../domain/failures';
import { fetchRunView, planLines, runSummary } from './progress';


export interface WatchOptions {
  json?: boolean;
  /** redraw: the summary in place (a terminal); lines: each changed line once (-s); none: only the outcome. */
  progress?: 'redraw' | 'lines' | 'none';
  /** -q: only errors. */
  quiet?: boolean;
  /** -v: the plan, segment by segment, once known. */
  verbose?: boolean;
}

/** Follows a run until it closes, showing per-segment progress; returns the gprecoverseg exit code. */
export async function watchRun(client: Client, workflowId: string, runId: string, opts: WatchOptions = {}): Promise<number> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const done = handle.result().then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  let settled: Awaited<typeof done> | undefined;
  void done.then((d) => (settled = d));
  const mode = opts.json || opts.quiet ? 'none' : opts.progress ?? 'redraw';
  const redraw = mode === 'redraw' && process.stdout.isTTY;
  let drawn = 0;
  let lastText = '';
  const printed = new Set<string>();
  let planShown = false;
  while (!settled) {
    if (mode !== 'none' || (opts.verbose && !planShown)) {
      const view = await fetchRunView(client, workflowId, runId).catch(() => undefined);
      if (view && opts.verbose && !planShown && view.run && view.run.phase !== 'planning') {
        planShown = true;
        for (const line of planLines(view)) console.log(line);
      }
      if (view && mode !== 'none') {
        const lines = runSummary(view);
        const text = lines.join('\n');
        if (mode === 'lines') {
          // gprecoverseg -s: each new state of a segment once, with the time, instead of a redrawn table.
          for (const line of lines.slice(1)) {
            if (printed.has(line)) continue;
            printed.add(line);
            console.log(`${new Date().toISOString()} ${line.trim()}`);
          }
        } else if (text !== lastText) {
          if (redraw && drawn) process.stdout.write(`\x1b[${drawn}A\x1b[0J`);
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
    else if (!opts.quiet) {
      const view = await fetchRunView(client, workflowId, runId).catch(() => undefined);
      if (view) console.log(runSummary(view).join('\n'));
      console.log('recovery finished');
    }
    return EXIT_OK;
  }
  return reportRunFailure(final.err, 'recovery', opts.json);
}

/**
 * A run that ended in failure, as the DBA reads it: one line with its root cause on stderr (and JSON on stdout with
 * --json), and the exit code of its failure type.
 */
export function reportRunFailure(err: unknown, what: 'recovery' | 'rebalance', json = false): number {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  const type = cause instanceof ApplicationFailure ? cause.type ?? undefined : undefined;
  // The run fails with its root cause already (workflows/failures.ts runFailure); a cancelled or terminated run
  // says so itself.
  const message = (rootCause(cause) ?? (cause instanceof Error ? cause.message : String(cause))).replace(/\s*\n\s*/g, ' ');
  if (json) console.log(JSON.stringify({ error: message, type }, null, 2));
  console.error(`gprecover: ${type === FailureType.InvalidRequest ? 'invalid request' : `${what} failed`}: ${message}`);
  return exitCodeForFailureType(type);
}
