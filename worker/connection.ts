import { InvalidRequestError } from '../domain/failures';
import fs from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import { Connection } from '@temporalio/client';

/** Temporal endpoint from the environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_* and TEMPORAL_API_KEY. */
export interface TemporalEndpoint {
  address: string;
  namespace: string;
  tls?: { serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer }; serverNameOverride?: string } | boolean;
  apiKey?: string;
}

export class TemporalUnavailableError extends InvalidRequestError {
  override name = 'TemporalUnavailableError';
}

export function endpointFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalEndpoint {
  const read = (name: string) => {
    const file = env[name];
    if (!file) return undefined;
    try {
      return fs.readFileSync(file);
    } catch {
      throw new TemporalUnavailableError(`${name} points to ${file}, which cannot be read.`);
    }
  };
  const ca = read('TEMPORAL_TLS_CA');
  const crt = read('TEMPORAL_TLS_CERT');
  const key = read('TEMPORAL_TLS_KEY');
  const tlsWanted = env.TEMPORAL_TLS === 'true' || !!(ca || crt || key) || !!env.TEMPORAL_API_KEY;
  if (!!crt !== !!key) throw new TemporalUnavailableError('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together.');
  return {
    address: env.TEMPORAL_ADDRESS ?? 'localhost:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    apiKey: env.TEMPORAL_API_KEY,
    tls: tlsWanted
      ? {
          serverRootCACertificate: ca,
          clientCertPair: crt && key ? { crt, key } : undefined,
          serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME,
        }
      : undefined,
  };
}

export async function connectWorker(ep: TemporalEndpoint): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address: ep.address, tls: ep.tls, apiKey: ep.apiKey });
  } catch (err) {
    throw new TemporalUnavailableError(`cannot reach Temporal at ${ep.address}: ${(err as Error).message}`);
  }
}

export async function connectClient(ep: TemporalEndpoint): Promise<Connection> {
  try {
    return await Connection.connect({ address: ep.address, tls: ep.tls, apiKey: ep.apiKey, connectTimeout: '5s' });
  } catch (err) {
    throw new TemporalUnavailableError(`cannot reach Temporal at ${ep.address}: ${(err as Error).message}`);
  }
}
