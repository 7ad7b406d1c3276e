import { Client } from '@temporalio/client';
import { connectClient, endpointFromEnv } from '../worker/connection';

/** A Temporal client for the CLI, from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE; the caller closes it. */
export async function openClient(): Promise<{ client: Client; close: () => Promise<void>; uiBase: string }> {
  const ep = endpointFromEnv();
  const connection = await connectClient(ep);
  const client = new Client({ connection, namespace: ep.namespace });
  // The CLI exits right after its command; closing the channel earlier lets a call that gRPC is still retrying in
  // the background throw 'Channel has been shut down' from a timer, as a stack trace.
  return { client, close: async () => undefined, uiBase: uiBaseUrl(ep.address, ep.namespace) };
}

export function uiBaseUrl(address: string, namespace: string): string {
  // The dev server puts its UI 1000 ports above the frontend (7233 -> 8233).
  const [host, port] = address.split(':');
  const ui = process.env.TEMPORAL_UI_URL ?? `http://${host}:${Number(port ?? 7233) + 1000}`;
  return `${ui.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}`;
}

export function workflowUrl(uiBase: string, workflowId: string, runId?: string): string {
  return `${uiBase}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${runId}` : ''}`;
}
