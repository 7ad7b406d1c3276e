import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { Client, utils, type ClientChannel, type ConnectConfig } from 'ssh2';
import { InvalidRequestError } from '../../domain/failures';
import { ConfigError, type SshConfig } from '../config';
import { ExecutorUnavailableError, type Executor, type RunOptions, type RunResult } from './executor';
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
import { PgidMarkerFilter, killGroupCommand, remoteCommand } from './sshCommand';
import { Slots } from './sshSlots';

export { HostKeyVerificationError } from './knownHosts';

/** The key was refused, or there is no usable key: retrying cannot help. */
export class SshAuthenticationError extends InvalidRequestError {
  override name = 'SshAuthenticationError';
}

export interface SshExecutorOptions extends SshConfig {
  /** Where to connect; defaults to the executor's host name. */
  address?: string;
  /** Between TERM and KILL when a command's process group is killed. */
  killGraceMs?: number;
}

/** OpenSSH's MaxSessions defaults to 10; one channel stays free for kills (see `killSlots`). */
export const DEFAULT_SSH_CONCURRENCY = 8;
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
/** Like LocalExecutor, a command we killed reports SIGKILL's status. */
const KILLED_CODE = 128 + 9;
/** How often to retry a command that sshd refused to start (see openChannel). */
const START_ATTEMPTS = 8;

interface OpenChannel {
  channel: ClientChannel;
  client: Client;
}

/** The channel closed before the wrapper announced itself: nothing ran. */
class NotStartedError extends Error {
  override name = 'NotStartedError';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function signalCode(name: string | undefined): number {
  const n = name ? (os.constants.signals as Record<string, number>)[name.startsWith('SIG') ? name : `SIG${name}`] : undefined;
  return 128 + (n ?? 0);
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

/**
 * Runs argument arrays on one host over one lazily opened, reused SSH connection (reopened after a drop), with at
 * most `maxConcurrency` commands in flight. Host keys are checked against known_hosts unless
 * strictHostKeyChecking is false. Cancellation and timeouts kill the remote process group, not just the channel.
 */
export class SshExecutor implements Executor {
  readonly kind = 'ssh' as const;
  readonly address: string;
  readonly port: number;
  readonly username: string;
  readonly knownHostsPath: string;
  readonly strictHostKeyChecking: boolean;
  readonly maxConcurrency: number;
  readonly readyTimeoutMs: number;
  readonly killGraceMs: number;
  /** SSH connections opened so far (reuse means this stays at 1 while the connection lives). */
  connectionsOpened = 0;

  private readonly privateKeyPath: string | undefined;
  private readonly slots: Slots;
  // Kills bypass `slots` (a full house of aborted commands must still be killable) but go one at a time, so
  // channels never exceed maxConcurrency + 1 and stay under sshd's MaxSessions.
  private readonly killSlots = new Slots(1);
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private readonly inflight = new Map<AbortController, Promise<unknown>>();
  private closed = false;

  constructor(
    readonly host: string,
    options: SshExecutorOptions = {},
  ) {
    this.address = options.address ?? host;
    this.port = options.port ?? 22;
    this.username = options.username ?? os.userInfo().username;
    this.knownHostsPath = options.knownHostsPath ?? path.join(os.homedir(), '.ssh', 'known_hosts');
    this.strictHostKeyChecking = options.strictHostKeyChecking ?? true;
    this.maxConcurrency = options.maxConcurrency ?? DEFAULT_SSH_CONCURRENCY;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
    this.killGraceMs = options.killGraceMs ?? 5_000;
    this.privateKeyPath = options.privateKeyPath;
    if (!Number.isInteger(this.maxConcurrency) || this.maxConcurrency < 1) {
      throw new ConfigError(`ssh.maxConcurrency for ${host} must be a positive integer, not ${options.maxConcurrency}`);
    }
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) {
      throw new ConfigError(`ssh.port for ${host} must be 1-65535, not ${options.port}`);
    }
    this.slots = new Slots(this.maxConcurrency);
  }

  private get where(): string {
    return `${this.host} (${this.username}@${this.address}:${this.port})`;
  }

  /** Commands currently holding a channel. */
  get activeCommands(): number {
    return this.slots.inUse;
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (this.closed) throw new ExecutorUnavailableError(`SSH executor for ${this.host} is closed`, this.host);
    const { line, marker } = remoteCommand(argv, opts.env);
    if (opts.signal?.aborted) throw opts.signal.reason;
    const stop = new AbortController();
    let why: 'abort' | 'timeout' | undefined;
    const onAbort = () => {
      why ??= 'abort';
      stop.abort(opts.signal?.reason);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          why ??= 'timeout';
          stop.abort(new Error('timeout'));
        }, opts.timeoutMs)
      : undefined;
    // Nothing was started: say why instead of inventing an exit status.
    const notStarted = (err: unknown) => {
      if (!stop.signal.aborted) return err;
      if (why === 'abort') return opts.signal?.reason ?? new Error('aborted');
      return new ExecutorUnavailableError(
        why === 'timeout'
          ? `${argv[0]} did not start on ${this.where} within ${opts.timeoutMs} ms (waiting for the SSH connection or a free channel)`
          : `SSH executor for ${this.host} was closed before ${argv[0]} started`,
      );
    };
    const work = (async () => {
      let release: (() => void) | undefined;
      try {
        for (let attempt = 1; ; attempt++) {
          let opened: OpenChannel;
          try {
            release ??= await this.slots.acquire(stop.signal);
            await abortable(this.connection(), stop.signal);
            opened = await this.openChannel(line, stop.signal);
          } catch (err) {
            throw notStarted(err);
          }
          try {
            return await this.follow(opened, marker, argv, opts, stop.signal);
          } catch (err) {
            if (!(err instanceof NotStartedError)) throw err;
            if (stop.signal.aborted) throw notStarted(err);
            if (attempt >= START_ATTEMPTS) {
              throw new ExecutorUnavailableError(`sshd on ${this.where} closed the channel before ${argv[0]} could start (${attempt} attempts)`, this.host);
            }
            await sleep(attempt * 50);
          }
        }
      } finally {
        release?.();
      }
    })();
    this.inflight.set(stop, work);
    try {
      return await work;
    } finally {
      this.inflight.delete(stop);
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Opens an exec channel, which starts the command. sshd frees a finished channel's session slot only after a
   * pass of its main loop, so a quick reopen can be refused for MaxSessions although we stayed under it: retry
   * such refusals, and reconnect once if the connection turns out to have dropped. Neither started anything.
   */
  private async openChannel(line: string, signal?: AbortSignal): Promise<OpenChannel> {
    let reconnected = false;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw signal.reason;
      const client = await this.connection();
      try {
        const channel = await new Promise<ClientChannel>((resolve, reject) =>
          client.exec(line, (err, ch) => (err ? reject(err) : resolve(ch))),
        );
        return { channel, client };
      } catch (err) {
        const message = (err as Error).message;
        if (this.client !== client && !reconnected) {
          reconnected = true;
          continue;
        }
        if (/open failed|Unable to exec/i.test(message) && attempt < START_ATTEMPTS) {
          await sleep(attempt * 20);
          continue;
        }
        throw new ExecutorUnavailableError(
          `could not open an SSH channel to ${this.where}: ${message}` +
            (/open failed/i.test(message) ? ` (is sshd's MaxSessions below ssh.maxConcurrency ${this.maxConcurrency}?)` : ''),
        );
      }
    }
  }

  private follow(
    { channel, client }: OpenChannel,
    marker: string,
    argv: string[],
    opts: RunOptions,
    stop: AbortSignal,
  ): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const outDecoder = new StringDecoder('utf8');
      const errDecoder = new StringDecoder('utf8');
      const filter = new PgidMarkerFilter(marker);
      let stdout = '';
      let stderr = '';
      let exitCode: number | undefined;
      let exitSignal: string | undefined;
      let closed = false;
      let killRequested = false;
      let pgidKnown: (() => void) | undefined;
      const pgidSeen = new Promise<void>((r) => (pgidKnown = r));

      const addOut = (s: string) => {
        if (!s) return;
        stdout += s;
        opts.onOutput?.(s, 'stdout');
      };
      const addErr = (s: string) => {
        if (!s) return;
        stderr += s;
        opts.onOutput?.(s, 'stderr');
      };
      channel.on('data', (b: Buffer) => addOut(outDecoder.write(b)));
      channel.stderr.on('data', (b: Buffer) => {
        addErr(filter.push(errDecoder.write(b)));
        if (filter.pgid !== undefined) pgidKnown?.();
      });
      // Only a hint for kill(): 'exit' may have fired before these listeners existed (it is a plain event, and
      // this runs a tick after the exec reply), whereas 'close' waits for the streams and carries the status.
      channel.on('exit', (code: number | null, signal?: string) => {
        if (typeof code === 'number') exitCode = code;
        else exitSignal = signal ?? 'SIGKILL';
      });

      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        closed = true;
        pgidKnown?.();
        addOut(outDecoder.end());
        addErr(filter.push(errDecoder.end()));
        const started = filter.pgid !== undefined;
        const held = filter.flush();
        if (killRequested) {
          addErr(held);
          // setsid -w reports its killed child; that is our doing, not the command's output.
          stderr = stderr.replace(/^setsid: child \d+ did not exit normally[^\n]*\n?/m, '');
          resolve({ code: KILLED_CODE, stdout, stderr });
        } else if (exitCode !== undefined || exitSignal !== undefined) {
          addErr(held);
          resolve({ code: exitCode ?? signalCode(exitSignal), stdout, stderr });
        } else if (!started && this.client === client) {
          // The wrapper announces itself before running the command, and the connection is fine: sshd gave up
          // on the session before anything ran, so running it again cannot run it twice.
          reject(new NotStartedError());
        } else {
          addErr(held);
          reject(
            new ExecutorUnavailableError(
              `SSH connection to ${this.where} was lost while ${argv[0]} was running; its outcome is unknown`,
            ),
          );
        }
      };

      const kill = async () => {
        if (closed || exitCode !== undefined || exitSignal !== undefined) return;
        killRequested = true;
        await Promise.race([pgidSeen, sleep(5_000)]);
        if (closed) return;
        const pgid = filter.pgid;
        try {
          if (pgid === undefined) throw new Error('its process group id never arrived');
          await this.killGroup(pgid);
        } catch (err) {
          addErr(`\n[gprecover] could not kill the remote process group of ${argv[0]} on ${this.where}: ${(err as Error).message}\n`);
        }
        // Once the group is gone setsid exits and the channel closes. sshd holds a channel open while its command
        // lives, so if the kill failed, closing it ourselves is not enough either: stop waiting after a while.
        await Promise.race([channelDone, sleep(2_000)]);
        if (closed) return;
        channel.close();
        await Promise.race([channelDone, sleep(3_000)]);
        if (closed) return;
        addErr(`[gprecover] the SSH channel for ${argv[0]} on ${this.where} did not close; remote processes may remain\n`);
        finish();
      };
      stop.addEventListener('abort', () => void kill(), { once: true });

      const channelClosed = new Promise<void>((r) =>
        channel.on('close', (code?: number | null, signal?: string) => {
          if (typeof code === 'number') exitCode = code;
          else if (code === null) exitSignal = signal ?? 'SIGKILL';
          r();
        }),
      );
      // ssh2 closes the channel once stdout ends; stderr's last chunk may still be on its way.
      const stderrEnded = new Promise<void>((r) => {
        channel.stderr.once('end', r);
        channel.stderr.once('close', r);
      });
      const channelDone = Promise.all([channelClosed, stderrEnded]).then(finish);
      channel.on('error', () => undefined);
      channel.stderr.on('error', () => undefined);
      channel.end(opts.input ?? '');
      if (stop.aborted) void kill();
    });
  }

  /** Runs the kill script; retried like any command that sshd refused to start, since killing twice is harmless. */
  private async killGroup(pgid: number): Promise<void> {
    const release = await this.killSlots.acquire();
    try {
      for (let attempt = 1; ; attempt++) {
        const { channel } = await this.openChannel(killGroupCommand(pgid, this.killGraceMs));
        const code = await new Promise<number | undefined>((resolve, reject) => {
          const timer = setTimeout(() => {
            channel.close();
            reject(new Error('the kill command did not finish'));
          }, this.killGraceMs + 15_000);
          channel.on('close', (c?: number | null) => (clearTimeout(timer), resolve(c ?? undefined)));
          channel.resume();
          channel.stderr.resume();
          channel.end();
        });
        if (code === 0) return;
        if (code !== undefined || attempt >= START_ATTEMPTS) throw new Error(`the kill command ended with ${code ?? 'no exit status'}`);
        await sleep(attempt * 50);
      }
    } finally {
      release();
    }
  }

  private connection(): Promise<Client> {
    // After close() only the kills it triggers still use the connection; nothing may open a new one.
    if (this.closed && !this.connecting) {
      return Promise.reject(new ExecutorUnavailableError(`SSH executor for ${this.host} is closed`, this.host));
    }
    if (!this.connecting) {
      const attempt = this.connect();
      this.connecting = attempt;
      attempt.catch(() => {
        if (this.connecting === attempt) this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private readPrivateKey(): { key: Buffer; file: string } {
    const candidates = this.privateKeyPath
      ? [this.privateKeyPath]
      : DEFAULT_KEYS.map((k) => path.join(os.homedir(), '.ssh', k)).filter((f) => fs.existsSync(f));
    const file = candidates[0];
    if (!file) {
      throw new SshAuthenticationError(
        `no SSH private key for ${this.where}: set ssh.privateKeyPath (looked for ~/.ssh/${DEFAULT_KEYS.join(', ')})`,
      );
    }
    let key: Buffer;
    try {
      key = fs.readFileSync(file);
    } catch (err) {
      throw new SshAuthenticationError(`cannot read SSH private key ${file} for ${this.host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const parsed = utils.parseKey(key);
    if (parsed instanceof Error) {
      throw new SshAuthenticationError(`SSH private key ${file} for ${this.host} is unusable: ${parsed.message} (gprecover needs an unencrypted key)`);
    }
    return { key, file };
  }

  private readKnownHostsFile(): KnownHostEntry[] {
    try {
      return readKnownHosts(this.knownHostsPath);
    } catch (err) {
      throw new HostKeyVerificationError(
        `cannot verify the host key of ${this.where}: known_hosts file ${this.knownHostsPath} is unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set ssh.knownHostsPath, or strictHostKeyChecking: false to skip verification`,
      );
    }
  }

  private hostKeyProblem(entries: KnownHostEntry[], names: string[], blob: Buffer): HostKeyVerificationError | undefined {
    const verdict = checkHostKey(entries, names, blob);
    const offered = `${blobKeyType(blob)} key ${fingerprint(blob)}`;
    const file = this.knownHostsPath;
    switch (verdict.status) {
      case 'match':
        return undefined;
      case 'revoked':
        return new HostKeyVerificationError(
          `host key verification failed for ${this.where}: the ${offered} it offered is marked @revoked in ${file} line ${verdict.line}`,
        );
      case 'mismatch':
        return new HostKeyVerificationError(
          `host key verification failed for ${this.where}: the ${offered} it offered does not match ${file} line ${verdict.lines.join(', ')} (host reinstalled, or a man-in-the-middle); refusing to connect`,
        );
      case 'unknown':
        return new HostKeyVerificationError(
          `host key verification failed for ${this.where}: no entry for ${names.join(' or ')} in ${file}; it offered the ${offered} — after checking that fingerprint, add it with: ssh-keyscan -p ${this.port} ${this.address} >> ${file}`,
        );
    }
  }

  private connect(): Promise<Client> {
    return new Promise((resolve, reject) => {
      let keyFile: string;
      const config: ConnectConfig = {
        host: this.address,
        port: this.port,
        username: this.username,
        readyTimeout: this.readyTimeoutMs,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 4,
      };
      let hostKeyError: HostKeyVerificationError | undefined;
      try {
        const { key, file } = this.readPrivateKey();
        config.privateKey = key;
        keyFile = file;
        if (this.strictHostKeyChecking) {
          const entries = this.readKnownHostsFile();
          const names = [...new Set([this.address, this.host].map((n) => knownHostsName(n.toLowerCase(), this.port)))];
          const algorithms = preferredHostKeyAlgorithms(entries, names);
          if (algorithms.length) config.algorithms = { serverHostKey: algorithms as never };
          config.hostVerifier = (blob: Buffer) => {
            hostKeyError = this.hostKeyProblem(entries, names, blob);
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
        if (this.closed && !this.client) {
          client.end();
          reject(new ExecutorUnavailableError(`SSH executor for ${this.host} is closed`, this.host));
          return;
        }
        ready = true;
        this.client = client;
        this.connectionsOpened++;
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (ready) return; // a drop after login surfaces on the channels, then 'close' clears the connection
        if (hostKeyError) reject(hostKeyError);
        else if (err.level === 'client-authentication') {
          reject(
            new SshAuthenticationError(
              `SSH login to ${this.where} with key ${keyFile} was refused: is its public key in ${this.username}'s authorized_keys on ${this.address}?`,
            ),
          );
        } else if (err.level === 'client-timeout') {
          reject(new ExecutorUnavailableError(`SSH connection to ${this.where} timed out after ${this.readyTimeoutMs} ms`, this.host));
        } else {
          reject(new ExecutorUnavailableError(`cannot connect to ${this.where} over SSH: ${err.message}`, this.host));
        }
      });
      client.on('close', () => {
        if (this.client === client) {
          this.client = undefined;
          this.connecting = undefined;
        }
        if (!ready) reject(hostKeyError ?? new ExecutorUnavailableError(`SSH connection to ${this.where} closed during login`, this.host));
      });
      client.connect(config);
    });
  }

  /** Kills whatever is still running (so no remote process outlives the worker's interest), then disconnects. */
  async close(): Promise<void> {
    this.closed = true;
    for (const stop of this.inflight.keys()) stop.abort(new Error('executor closed'));
    await Promise.allSettled([...this.inflight.values()]);
    this.client?.end();
    this.client = undefined;
    this.connecting = undefined;
  }
}
