import { Context, log } from '@temporalio/activity';
import { defaultPayloadConverter, type Client } from '@temporalio/client';
import type { RecoveryActivities, RunEtaEstimate, RunEtaInput } from '../domain/activities';
import { runEta } from '../domain/eta';
import { RecoveryEtaKey } from '../domain/searchAttributes';

/** Per worker process and namespace: whether RecoveryEta is registered (registering it needs a restart of the setup). */
const registered = new Map<string, Promise<boolean>>();

function etaAttributeRegistered(client: Client): Promise<boolean> {
  const ns = client.options.namespace;
  let known = registered.get(ns);
  if (!known) {
    known = client.connection.operatorService.listSearchAttributes({ namespace: ns })
      .then((r) => RecoveryEtaKey.name in (r.customAttributes ?? {}))
      .then((ok) => {
        if (!ok) log.warn(`search attribute ${RecoveryEtaKey.name} is not registered in namespace ${ns}: runs keep their ETA in their memo only (register it: temporal operator search-attribute create --name ${RecoveryEtaKey.name} --type Datetime)`);
        return ok;
      }, (err: unknown) => {
        // Not an answer: asked again next round, not taken for "not registered" for the life of the worker.
        registered.delete(ns);
        log.warn(`cannot tell whether ${RecoveryEtaKey.name} is registered in namespace ${ns} (${(err as Error).message}); this round keeps the ETA in the memo only`);
        return false;
      });
    registered.set(ns, known);
  }
  return known;
}

/** At most this many children are described at once: a run of thousands must not flood the frontend every round. */
const DESCRIBE_AT_ONCE = 16;

async function inBatches<T, R>(items: T[], fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += DESCRIBE_AT_ONCE) out.push(...await Promise.all(items.slice(i, i + DESCRIBE_AT_ONCE).map(fn)));
  return out;
}

async function runningEta(client: Client, childWorkflowId: string): Promise<number | undefined> {
  const desc = await client.workflow.getHandle(childWorkflowId).describe().catch(() => undefined);
  for (const pa of desc?.raw.pendingActivities ?? []) {
    const payload = pa.heartbeatDetails?.payloads?.[0];
    if (!payload) continue;
    const beat = defaultPayloadConverter.fromPayload<{ etaSeconds?: unknown }>(payload);
    if (beat && typeof beat.etaSeconds === 'number') return beat.etaSeconds;
  }
  return undefined;
}

export function createEtaActivities() {
  return {
    /**
     * The run's ETA for its visibility record: the running children's heartbeats (their copies' and syncs' own
     * estimates) and what the finished ones took, put together by domain/eta.ts. Reads Temporal only.
     */
    async estimateRunEta(input: RunEtaInput): Promise<RunEtaEstimate> {
      const client = Context.current().client;
      const now = Date.now();
      const running = await inBatches(input.running, async (r) => ({
        etaSeconds: await runningEta(client, r.childWorkflowId),
        elapsedSeconds: r.startedAt ? Math.max(0, (now - Date.parse(r.startedAt)) / 1000) : 0,
      }));
      const eta = runEta({ running, pending: input.pending, finished: input.finished }, input);
      return {
        ...eta,
        ...(eta.seconds !== undefined ? { at: new Date(now + eta.seconds * 1000).toISOString() } : {}),
        searchAttribute: await etaAttributeRegistered(client),
      };
    },
  } satisfies Pick<RecoveryActivities, 'estimateRunEta'>;
}
