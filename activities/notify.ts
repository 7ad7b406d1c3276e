import fs from 'node:fs';
import os from 'node:os';
import { log } from '@temporalio/activity';
import { ConfigError, readClustersFile, type NotifyHookConfig, type SecretSource } from '../cluster/config';
import { LocalExecutor } from '../cluster/exec/local';
import { DEFAULT_NOTIFY_TIMEOUT_SECONDS } from '../domain/autoPolicy';
import type { NotifyInput, NotifyOutcome } from '../domain/activities';

const tail = (text: string) => text.trim().split('\n').slice(-2).join(' | ').slice(0, 300);

function secretValue(s: SecretSource, what: string): string {
  if (typeof s === 'string') return s;
  if ('env' in s) {
    const v = process.env[s.env];
    if (v === undefined) throw new ConfigError(`${what}: environment variable ${s.env} of the worker is not set`);
    return v;
  }
  try {
    return fs.readFileSync(s.file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${what}: cannot read ${s.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function runCommand(name: string, command: string | string[], body: string, event: string, cluster: string, timeoutMs: number): Promise<string | undefined> {
  const argv = typeof command === 'string' ? ['sh', '-c', command] : command;
  // The worker's own user, on the worker's host, with a clean environment: the hook is the DBA's program.
  const res = await new LocalExecutor(os.hostname()).run(argv, {
    input: body, timeoutMs, env: { GPRECOVER_EVENT: event, GPRECOVER_CLUSTER: cluster },
  });
  log.info(`notify hook '${name}': command exited ${res.code} (${event} of ${cluster})`);
  if (res.code === 0) return undefined;
  return `command exited ${res.code}${res.code === 137 ? ` (killed after ${timeoutMs / 1000} s)` : ''}${res.stderr.trim() ? `: ${tail(res.stderr)}` : ''}`;
}

async function post(name: string, webhook: NonNullable<NotifyHookConfig['webhook']>, body: string, timeoutMs: number): Promise<string | undefined> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [h, v] of Object.entries(webhook.headers ?? {})) headers[h] = secretValue(v, `notify hook '${name}' header ${h}`);
  const res = await fetch(webhook.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer().catch(() => undefined);
  // The URL may carry a token: only the hook's name is said.
  log.info(`notify hook '${name}': webhook answered ${res.status}`);
  return res.ok ? undefined : `webhook answered HTTP ${res.status}`;
}

export function createNotifyActivities(clustersFile: string) {
  return {
    /**
     * The hook the policy names, as the worker's clusters file defines it, gets the summary as one line of JSON: the
     * command on stdin, the webhook as a POST body. A hook that fails is logged and said in the result, never thrown:
     * a broken hook must not fail an automatic run. An unknown hook name is said the same way.
     */
    async notify(input: NotifyInput): Promise<NotifyOutcome> {
      const out: NotifyOutcome = { delivered: [], failed: [] };
      const hook = readClustersFile(clustersFile).notifyHooks[input.hook];
      if (!hook) {
        out.failed.push(`no notification hook '${input.hook}' in the worker's clusters file ${clustersFile} (notifyHooks)`);
        log.warn(`notify (${input.summary.event} of ${input.summary.cluster}) failed: ${out.failed[0]}`);
        return out;
      }
      const body = `${JSON.stringify(input.summary)}\n`;
      const timeoutMs = (hook.timeoutSeconds ?? DEFAULT_NOTIFY_TIMEOUT_SECONDS) * 1000;
      const attempt = async (what: 'command' | 'webhook', send: () => Promise<string | undefined>) => {
        try {
          const problem = await send();
          if (problem) out.failed.push(`${what}: ${problem}`);
          else out.delivered.push(what);
        } catch (err) {
          out.failed.push(`${what}: ${(err as Error).message.replace(hook.webhook?.url ?? '\0', '<url>')}`);
        }
      };
      await Promise.all([
        hook.command ? attempt('command', () => runCommand(input.hook, hook.command!, body, input.summary.event, input.summary.cluster, timeoutMs)) : undefined,
        hook.webhook ? attempt('webhook', () => post(input.hook, hook.webhook!, body, timeoutMs)) : undefined,
      ]);
      for (const f of out.failed) log.warn(`notify hook '${input.hook}' (${input.summary.event} of ${input.summary.cluster}) failed: ${f}`);
      return out;
    },
  };
}
