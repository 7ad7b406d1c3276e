import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import type { Client, ClientChannel } from 'ssh2';
import { ExecutorUnavailableError, type RunOptions, type RunResult } from './executor';
import { PgidMarkerFilter, killGroupCommand } from './sshCommand';

/** Like LocalExecutor, a command we killed reports SIGKILL's status. */
const KILLED_CODE = 128 + 9;
/** How often to retry a command that sshd refused to start (see SshExecutor's openChannel). */
export const START_ATTEMPTS = 8;

export interface OpenChannel {
  channel: ClientChannel;
  client: Client;
}

/** What following a command needs of the executor that opened its channel. */
export interface ChannelOwner {
  /** `host (user@address:port)`, for messages. */
  readonly where: string;
  /** Whether `client` is still the executor's connection: if not, a channel that closed early may have run something. */
  isCurrent(client: Client): boolean;
  /** Kills the command's remote process group through another channel. */
  killGroup(pgid: number): Promise<void>;
}

/** The channel closed before the wrapper announced itself: nothing ran. */
export class NotStartedError extends Error {
  override name = 'NotStartedError';
}

export { sleep };

function signalCode(name: string | undefined): number {
  const n = name ? (os.constants.signals as Record<string, number>)[name.startsWith('SIG') ? name : `SIG${name}`] : undefined;
  return 128 + (n ?? 0);
}

/**
 * Collects one command's output from its channel until the channel closes, and kills the command's remote process
 * group when `stop` aborts (closing the channel alone would leave it running). Rejects with NotStartedError when
 * sshd closed the channel before the command started, so the caller can safely run it again.
 */
export function follow(
  { channel, client }: OpenChannel,
  marker: string,
  argv: string[],
  opts: RunOptions,
  stop: AbortSignal,
  owner: ChannelOwner,
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
      } else if (!started && owner.isCurrent(client)) {
        // The wrapper announces itself before running the command, and the connection is fine: sshd gave up
        // on the session before anything ran, so running it again cannot run it twice.
        reject(new NotStartedError());
      } else {
        addErr(held);
        reject(
          new ExecutorUnavailableError(
            `SSH connection to ${owner.where} was lost while ${argv[0]} was running; its outcome is unknown`,
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
        await owner.killGroup(pgid);
      } catch (err) {
        addErr(`\n[gprecover] could not kill the remote process group of ${argv[0]} on ${owner.where}: ${(err as Error).message}\n`);
      }
      // Once the group is gone setsid exits and the channel closes. sshd holds a channel open while its command
      // lives, so if the kill failed, closing it ourselves is not enough either: stop waiting after a while.
      await Promise.race([channelDone, sleep(2_000)]);
      if (closed) return;
      channel.close();
      await Promise.race([channelDone, sleep(3_000)]);
      if (closed) return;
      addErr(`[gprecover] the SSH channel for ${argv[0]} on ${owner.where} did not close; remote processes may remain\n`);
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

/**
 * Runs the kill script for process group `pgid` on a channel from `open`; retried like any command that sshd
 * refused to start, since killing twice is harmless.
 */
export async function killRemoteGroup(pgid: number, graceMs: number, open: (line: string) => Promise<OpenChannel>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { channel } = await open(killGroupCommand(pgid, graceMs));
    const code = await new Promise<number | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        channel.close();
        reject(new Error('the kill command did not finish'));
      }, graceMs + 15_000);
      channel.on('close', (c?: number | null) => (clearTimeout(timer), resolve(c ?? undefined)));
      channel.resume();
      channel.stderr.resume();
      channel.end();
    });
    if (code === 0) return;
    if (code !== undefined || attempt >= START_ATTEMPTS) throw new Error(`the kill command ended with ${code ?? 'no exit status'}`);
    await sleep(attempt * 50);
  }
}
