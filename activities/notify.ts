import os from 'node:os';
import { log } from '@temporalio/activity';
import { LocalExecutor } from '../cluster/exec/local';
import { DEFAULT_NOTIFY_TIMEOUT_SECONDS, type AutoNotification, type NotifyHook } from '../domain/autoPolicy';

export interface NotifyOutcome {
  /** 'command', 'webhook': what took the summary. */
  delivered: string[];
  /** One line per hook that did not, with why. */
  failed: string[];
}

const tail = (text: string) => text.trim().split('\n').slice(-2).join(' | ').slice(0, 300);

async function runCommand(command: string, body: string, summary: AutoNotification, timeoutMs: number): Promise<string | undefined> {
  // The worker's own user, on the worker's host: the hook is the DBA's program, not the cluster's.
  const res = await new LocalExecutor(os.hostname()).run(['sh', '-c', command], {
    input: body, timeoutMs, env: { GPRECOVER_EVENT: summary.event, GPRECOVER_CLUSTER: summary.cluster },
  });
  log.info(`notify command exited ${res.code} (${summary.event} of ${summary.cluster})${res.stderr.trim() ? `: ${tail(res.stderr)}` : ''}`);
  if (res.code === 0) return undefined;
  return `command exited ${res.code}${res.code === 137 ? ` (killed after ${timeoutMs / 1000} s)` : ''}${res.stderr.trim() ? `: ${tail(res.stderr)}` : ''}`;
}

async function post(url: string, body: string, timeoutMs: number): Promise<string | undefined> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer().catch(() => undefined);
  log.info(`notify webhook ${url} answered ${res.status}`);
  return res.ok ? undefined : `webhook ${url} answered HTTP ${res.status}`;
}

export function createNotifyActivities() {
  return {
    /**
     * The policy's hook gets the summary as one line of JSON: the command on stdin, the webhook as a POST body. A hook
     * that fails is logged and said in the result, never thrown: a broken hook must not fail an automatic run.
     */
    async notify(input: { hook: NotifyHook; summary: AutoNotification }): Promise<NotifyOutcome> {
      const body = `${JSON.stringify(input.summary)}\n`;
      const timeoutMs = (input.hook.timeoutSeconds ?? DEFAULT_NOTIFY_TIMEOUT_SECONDS) * 1000;
      const out: NotifyOutcome = { delivered: [], failed: [] };
      const attempt = async (what: string, send: () => Promise<string | undefined>) => {
        try {
          const problem = await send();
          if (problem) out.failed.push(problem);
          else out.delivered.push(what);
        } catch (err) {
          out.failed.push(`${what}: ${(err as Error).message}`);
        }
      };
      await Promise.all([
        input.hook.command ? attempt('command', () => runCommand(input.hook.command!, body, input.summary, timeoutMs)) : undefined,
        input.hook.webhook ? attempt('webhook', () => post(input.hook.webhook!, body, timeoutMs)) : undefined,
      ]);
      for (const f of out.failed) log.warn(`notify (${input.summary.event} of ${input.summary.cluster}) failed: ${f}`);
      return out;
    },
  };
}
