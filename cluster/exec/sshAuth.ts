import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, utils, type ConnectConfig } from 'ssh2';
import { InvalidRequestError } from '../../domain/failures';
import { ExecutorUnavailableError } from './executor';
import {
  HostKeyVerificationError,
  checkHostKey,
  blobKeyType,
  fingerprint,
  knownHostsName,
  preferredHostKeyAlgorithms,
  readKnownHosts,
  type KnownHostEntry,
} from './knownHosts';

/** The key was refused, or there is no usable key: retrying cannot help. */
export class SshAuthenticationError extends InvalidRequestError {
  override name = 'SshAuthenticationError';
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** Where and as whom to log in, and how to check the host: an SshExecutor's settings. */
export interface SshLogin {
  host: string;
  address: string;
  port: number;
  username: string;
  knownHostsPath: string;
  strictHostKeyChecking: boolean;
  readyTimeoutMs: number;
  privateKeyPath: string | undefined;
  /** `host (user@address:port)`, as every message names the target. */
  where: string;
}

/** The executor's say in a connection's life: it owns the connection once it is ready. */
export interface LoginHooks {
  /** Login succeeded; an error returned refuses the connection (it is ended and login rejects with that error). */
  ready(client: Client): Error | undefined;
  /** The connection closed, during login or any time after. */
  closed(client: Client): void;
}

function readPrivateKey(target: SshLogin): { key: Buffer; file: string } {
  const candidates = target.privateKeyPath
    ? [target.privateKeyPath]
    : DEFAULT_KEYS.map((k) => path.join(os.homedir(), '.ssh', k)).filter((f) => fs.existsSync(f));
  const file = candidates[0];
  if (!file) {
    throw new SshAuthenticationError(
      `no SSH private key for ${target.where}: set ssh.privateKeyPath (looked for ~/.ssh/${DEFAULT_KEYS.join(', ')})`,
    );
  }
  let key: Buffer;
  try {
    key = fs.readFileSync(file);
  } catch (err) {
    throw new SshAuthenticationError(`cannot read SSH private key ${file} for ${target.host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const parsed = utils.parseKey(key);
  if (parsed instanceof Error) {
    throw new SshAuthenticationError(`SSH private key ${file} for ${target.host} is unusable: ${parsed.message} (gprecover needs an unencrypted key)`);
  }
  return { key, file };
}

function readKnownHostsFile(target: SshLogin): KnownHostEntry[] {
  try {
    return readKnownHosts(target.knownHostsPath);
  } catch (err) {
    throw new HostKeyVerificationError(
      `cannot verify the host key of ${target.where}: known_hosts file ${target.knownHostsPath} is unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set ssh.knownHostsPath, or strictHostKeyChecking: false to skip verification`,
    );
  }
}

function hostKeyProblem(target: SshLogin, entries: KnownHostEntry[], names: string[], blob: Buffer): HostKeyVerificationError | undefined {
  const verdict = checkHostKey(entries, names, blob);
  const offered = `${blobKeyType(blob)} key ${fingerprint(blob)}`;
  const file = target.knownHostsPath;
  switch (verdict.status) {
    case 'match':
      return undefined;
    case 'revoked':
      return new HostKeyVerificationError(
        `host key verification failed for ${target.where}: the ${offered} it offered is marked @revoked in ${file} line ${verdict.line}`,
      );
    case 'mismatch':
      return new HostKeyVerificationError(
        `host key verification failed for ${target.where}: the ${offered} it offered does not match ${file} line ${verdict.lines.join(', ')} (host reinstalled, or a man-in-the-middle); refusing to connect`,
      );
    case 'unknown':
      return new HostKeyVerificationError(
        `host key verification failed for ${target.where}: no entry for ${names.join(' or ')} in ${file}; it offered the ${offered} — after checking that fingerprint, add it with: ssh-keyscan -p ${target.port} ${target.address} >> ${file}`,
      );
  }
}

/**
 * Opens one SSH connection with the private key, checking the host key against known_hosts unless
 * strictHostKeyChecking is false. A refused key or host key is permanent (InvalidRequestError); anything else that
 * keeps the login from finishing is an ExecutorUnavailableError, retried with a bound.
 */
export function login(target: SshLogin, hooks: LoginHooks): Promise<Client> {
  return new Promise((resolve, reject) => {
    let keyFile: string;
    const config: ConnectConfig = {
      host: target.address,
      port: target.port,
      username: target.username,
      readyTimeout: target.readyTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
    };
    let hostKeyError: HostKeyVerificationError | undefined;
    try {
      const { key, file } = readPrivateKey(target);
      config.privateKey = key;
      keyFile = file;
      if (target.strictHostKeyChecking) {
        const entries = readKnownHostsFile(target);
        const names = [...new Set([target.address, target.host].map((n) => knownHostsName(n.toLowerCase(), target.port)))];
        const algorithms = preferredHostKeyAlgorithms(entries, names);
        if (algorithms.length) config.algorithms = { serverHostKey: algorithms as never };
        config.hostVerifier = (blob: Buffer) => {
          hostKeyError = hostKeyProblem(target, entries, names, blob);
          return !hostKeyError;
        };
      }
    } catch (err) {
      reject(err);
      return;
    }

    const client = new Client();
    let ready = false;
    client.on('ready', () => {
      const refused = hooks.ready(client);
      if (refused) {
        client.end();
        reject(refused);
        return;
      }
      ready = true;
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (ready) return; // a drop after login surfaces on the channels, then 'close' clears the connection
      if (hostKeyError) reject(hostKeyError);
      else if (err.level === 'client-authentication') {
        reject(
          new SshAuthenticationError(
            `SSH login to ${target.where} with key ${keyFile} was refused: is its public key in ${target.username}'s authorized_keys on ${target.address}?`,
          ),
        );
      } else if (err.level === 'client-timeout') {
        reject(new ExecutorUnavailableError(`SSH connection to ${target.where} timed out after ${target.readyTimeoutMs} ms`, target.host));
      } else {
        reject(new ExecutorUnavailableError(`cannot connect to ${target.where} over SSH: ${err.message}`, target.host));
      }
    });
    client.on('close', () => {
      hooks.closed(client);
      if (!ready) reject(hostKeyError ?? new ExecutorUnavailableError(`SSH connection to ${target.where} closed during login`, target.host));
    });
    client.connect(config);
    // ssh2 leaves Nagle's algorithm on: a command's requests (open a channel, run it) are small packets sent one
    // after the other, and each waited for the host's delayed ACK: about 40 ms more for every command.
    client.setNoDelay(true);
  });
}
