// Running the real PostgreSQL tool under a wrapper, so that it dies with the wrapper and the wrapper with it.
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

const SIGNUM: Record<string, number> = os.constants.signals as unknown as Record<string, number>;

let current: ChildProcess | undefined;
let received: NodeJS.Signals | undefined;
let installed = false;

/**
 * From here on SIGTERM/SIGINT no longer end the wrapper by themselves: they go to the running real tool, and the
 * wrapper ends when that does (or, between tools, at the next `exitIfSignalled`). The wrapper also watches for
 * losing its parent (tsx's launcher killed alone), which counts as SIGTERM.
 */
export function installSignalForwarding(): void {
  if (installed) return;
  installed = true;
  const on = (sig: NodeJS.Signals) => {
    received ??= sig;
    try {
      current?.kill(sig);
    } catch {
      /* already gone */
    }
  };
  process.on('SIGTERM', () => on('SIGTERM'));
  process.on('SIGINT', () => on('SIGINT'));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) on('SIGTERM');
  }, 500).unref();
}

export function exitIfSignalled(cleanup?: () => void): void {
  if (!received) return;
  cleanup?.();
  process.exit(128 + (SIGNUM[received] ?? 15));
}

/** Runs the real tool with the wrapper's stdin/stdout/stderr, in the wrapper's process group; resolves to its exit code. */
export function runReal(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  installSignalForwarding();
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: 'inherit', env });
    current = child;
    if (received) child.kill(received);
    child.on('error', (err) => {
      current = undefined;
      process.stderr.write(`${path.basename(file)}: could not execute ${file}: ${err.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, sig) => {
      current = undefined;
      resolve(code ?? 128 + (sig ? (SIGNUM[sig] ?? 15) : 1));
    });
  });
}
