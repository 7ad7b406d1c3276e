import { Context, log } from '@temporalio/activity';
import { defaultPayloadConverter, type Client } from '@temporalio/client';
import type { RecoveryActivities, RunEtaEstimate, RunEtaInput } from '../domain/activities';
import { runEta } from '../domain/eta';
import { RecoveryEtaKey } from '../domain/searchAttributes';

/** Per worker process and namespace: whether RecoveryEta is registered (checked once; registering needs a restart of the setup). */
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
      }, () => false);
    registered.set(ns, known);
  }
  return known;
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
      const segments = await Promise.all(input.segments.map(async (s) => ({
        state: s.state,
        etaSeconds: s.state === 'running' ? await runningEta(client, s.childWorkflowId) : undefined,
        tookSeconds: s.startedAt && s.endedAt ? (Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000 : undefined,
      })));
      const eta = runEta(segments, input);
      return {
        ...eta,
        ...(eta.seconds !== undefined ? { at: new Date(Date.now() + eta.seconds * 1000).toISOString() } : {}),
        searchAttribute: await etaAttributeRegistered(client),
      };
    },
  } satisfies Pick<RecoveryActivities, 'estimateRunEta'>;
}
