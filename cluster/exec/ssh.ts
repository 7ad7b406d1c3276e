import os from 'node:os';
import path from 'node:path';
import type { Client, ClientChannel } from 'ssh2';
import { ConfigError, type SshConfig } from '../config';
import { ExecutorUnavailableError, type Executor, type RunOptions, type RunResult } from './executor';
import { login, type SshLogin } from './sshAuth';
import { NotStartedError, START_ATTEMPTS, follow, killRemoteGroup, sleep, type ChannelOwner, type OpenChannel } from './sshChannel';
import { remoteCommand } from './sshCommand';
import { Slots } from './sshSlots';

export { HostKeyVerificationError } from './knownHosts';
export { SshAuthenticationError } from './sshAuth';

export interface SshExecutorOptions extends SshConfig {
  /** Where to connect; defaults to the executor's host name. */
  address?: string;
  /** Between TERM and KILL when a command's process group is killed. */
  killGraceMs?: number;
}

/** OpenSSH's MaxSessions defaults to 10; one channel stays free for kills (see `killSlots`). */
export const DEFAULT_SSH_CONCURRENCY = 8;

/** Connect and handshake, together: a port that accepts and never speaks SSH costs this much, once. */
export const DEFAULT_READY_TIMEOUT_MS = 15_000;

/**
 * A host whose sshd could not be reached is remembered this long, by address and port, for every executor of the
 * worker: a stuck sshd costs one bounded wait per host and run, not one per step and attempt.
 */
export const UNREACHABLE_MEMORY_MS = 120_000;
const unreachable = new Map<string, { at: number; error: ExecutorUnavailableError }>();

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
    this.readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
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
    const owner: ChannelOwner = {
      where: this.where,
      isCurrent: (client) => this.client === client,
      killGroup: (pgid) => this.killGroup(pgid),
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
            return await follow(opened, marker, argv, opts, stop.signal, owner);
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

  private async killGroup(pgid: number): Promise<void> {
    const release = await this.killSlots.acquire();
    try {
      await killRemoteGroup(pgid, this.killGraceMs, (line) => this.openChannel(line));
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
      const key = `${this.address}:${this.port}`;
      const seen = unreachable.get(key);
      if (seen && Date.now() - seen.at < UNREACHABLE_MEMORY_MS) {
        return Promise.reject(new ExecutorUnavailableError(`${seen.error.message} (${Math.round((Date.now() - seen.at) / 1000)} s ago; not tried again yet)`, this.host));
      }
      const attempt = this.connect();
      this.connecting = attempt;
      attempt.then(() => unreachable.delete(key), (err: unknown) => {
        if (err instanceof ExecutorUnavailableError) unreachable.set(key, { at: Date.now(), error: err });
        if (this.connecting === attempt) this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private connect(): Promise<Client> {
    const target: SshLogin = {
      host: this.host,
      address: this.address,
      port: this.port,
      username: this.username,
      knownHostsPath: this.knownHostsPath,
      strictHostKeyChecking: this.strictHostKeyChecking,
      readyTimeoutMs: this.readyTimeoutMs,
      privateKeyPath: this.privateKeyPath,
      where: this.where,
    };
    return login(target, {
      ready: (client) => {
        // close() came while logging in: nobody may use this connection.
        if (this.closed && !this.client) return new ExecutorUnavailableError(`SSH executor for ${this.host} is closed`, this.host);
        this.client = client;
        this.connectionsOpened++;
        return undefined;
      },
      closed: (client) => {
        if (this.client === client) {
          this.client = undefined;
          this.connecting = undefined;
        }
      },
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
