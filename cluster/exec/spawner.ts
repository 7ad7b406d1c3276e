import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { childEnvironment } from './environment';

/** One command for the spawner: what `spawn` takes, with the environment already built. */
export interface SpawnRequest {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  cwd?: string;
  input?: string;
}

export interface SpawnHandlers {
  onOutput(chunk: string, stream: 'stdout' | 'stderr'): void;
  /** The command's stdio closed: its exit code, or the signal that ended it. */
  onExit(code: number | null, signal: NodeJS.Signals | null): void;
  onError(err: Error): void;
}

type HelperMessage =
  | { t: 'started'; id: number; pid: number }
  | { t: 'out'; id: number; stream: 'stdout' | 'stderr'; chunk: string }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { t: 'error'; id: number; message: string; code?: string };

const HELPER = path.join(__dirname, 'spawnHelper.cjs');

/**
 * Starts the worker's local commands from a small helper process (spawnHelper.cjs) instead of the worker's own:
 * Node forks on its main thread, and a fork copies the caller's page tables, so each command started by a worker of
 * a few hundred MB held up everything else it did (activities, heartbeats, workflow activations) for milliseconds.
 * The helper is started on first use, holds the event loop open only while a command runs, exits with the worker
 * (not with the signals sent to the worker's process group), and is started again if it died: what it was running is
 * killed and fails, and the step's retry decides.
 */
class Spawner {
  private helper: ChildProcess | undefined;
  private nextId = 1;
  private readonly running = new Map<number, SpawnHandlers & { pid?: number }>();

  run(req: SpawnRequest, handlers: SpawnHandlers): { kill(): void } {
    const helper = this.helperProcess();
    const id = this.nextId++;
    this.running.set(id, { ...handlers });
    this.holdOpen();
    try {
      helper.send({ t: 'run', id, ...req }, (err) => {
        if (err) this.settle(id)?.onError(err);
      });
    } catch (err) {
      this.settle(id);
      throw err;
    }
    return {
      kill: () => {
        if (this.running.has(id) && helper.connected) helper.send({ t: 'kill', id }, () => undefined);
      },
    };
  }

  private helperProcess(): ChildProcess {
    if (this.helper?.connected) return this.helper;
    // Plain node (no loader, no profiler flags of the worker's) with the environment commands get, not the worker's.
    const helper = fork(HELPER, [], { execArgv: [], env: childEnvironment(), stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
    helper.on('message', (m: HelperMessage) => {
      if (m.t === 'started') {
        const running = this.running.get(m.id);
        if (running) running.pid = m.pid;
      } else if (m.t === 'out') this.running.get(m.id)?.onOutput(m.chunk, m.stream);
      else if (m.t === 'exit') this.settle(m.id)?.onExit(m.code, m.signal);
      else if (m.t === 'error') this.settle(m.id)?.onError(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
    });
    const lost = () => {
      if (this.helper !== helper) return;
      this.helper = undefined;
      helper.channel?.unref();
      helper.kill('SIGKILL');
      const orphans = [...this.running.values()];
      this.running.clear();
      for (const h of orphans) {
        // Nothing could time it out or cancel it any more, and a retry of its step must not find it still at work.
        if (h.pid) killGroup(h.pid);
        h.onError(new Error('the local command spawner exited while the command ran (the command was killed)'));
      }
    };
    helper.on('exit', lost);
    helper.on('disconnect', lost);
    helper.on('error', lost);
    helper.unref();
    this.helper = helper;
    return helper;
  }

  private settle(id: number): SpawnHandlers | undefined {
    const handlers = this.running.get(id);
    this.running.delete(id);
    this.holdOpen();
    return handlers;
  }

  /** A process waiting for a command's result stays alive for it; an idle helper keeps nothing alive. */
  private holdOpen(): void {
    const channel = this.helper?.channel;
    if (!channel) return;
    if (this.running.size) channel.ref();
    else channel.unref();
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

const spawner = new Spawner();

export function spawnViaHelper(req: SpawnRequest, handlers: SpawnHandlers): { kill(): void } {
  return spawner.run(req, handlers);
}
