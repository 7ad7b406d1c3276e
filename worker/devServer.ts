import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidRequestError } from '../domain/failures';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolveTemporalCli } from './temporalCli';
import { devServerSearchAttributeArgs } from './devServerArgs';

export interface DevServerOptions {
  /** SQLite file; history survives restarts when set. */
  dbFile?: string;
  ip?: string;
  port?: number;
  uiPort?: number;
  namespace?: string;
  logFile?: string;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string;
  namespace: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export class DevServerError extends InvalidRequestError {
  override name = 'DevServerError';
}

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function startDevServer(opts: DevServerOptions = {}): Promise<RunningDevServer> {
  const cli = resolveTemporalCli();
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? 8233;
  const namespace = opts.namespace ?? 'default';
  if (await portOpen(ip, port)) {
    throw new DevServerError(`port ${ip}:${port} is already in use (another Temporal dev server?); stop it or pass --port.`);
  }
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--ui-port', String(uiPort),
    '--namespace', namespace, '--log-level', 'warn', ...devServerSearchAttributeArgs()];
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  const logFile = opts.logFile;
  const out = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  const child = spawn(cli, args, { stdio: ['ignore', out, out] });
  let exited = false;
  child.on('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  while (!(await portOpen(ip, port))) {
    if (exited) {
      throw new DevServerError(`the Temporal dev server exited at start (${cli} ${args.join(' ')})${logFile ? `; see ${logFile}` : ''}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new DevServerError('the Temporal dev server did not open its port within 60 seconds');
    }
    await sleep(200);
  }
  return {
    address: `${ip}:${port}`,
    uiUrl: `http://${ip}:${uiPort}`,
    namespace,
    process: child,
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
