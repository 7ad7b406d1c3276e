// For the tests: a dev server on ports the kernel has just said are free. Between that answer and the server's bind,
// another process (an outgoing connection of a test running beside) may take one of them, and the server exits at
// start with "address already in use" (CI of 2026-12-07, webUi.test: its UI port). Then new ports are tried.
import fs from 'node:fs';
import { DevServerError, startDevServer, type DevServerOptions, type RunningDevServer } from '../worker/devServer';
import { freePort } from './freePort';

export async function startDevServerOnFreePorts(
  opts: Omit<DevServerOptions, 'port' | 'uiPort' | 'logFile'> & { logFile: string },
  pick: () => Promise<number> = () => freePort(opts.ip),
  attempts = 3,
): Promise<RunningDevServer> {
  for (let attempt = 1; ; attempt++) {
    const [port, uiPort] = [await pick(), await pick()];
    const logged = fs.existsSync(opts.logFile) ? fs.statSync(opts.logFile).size : 0;
    try {
      return await startDevServer({ ...opts, port, uiPort });
    } catch (err) {
      const log = fs.existsSync(opts.logFile) ? fs.readFileSync(opts.logFile, 'utf8').slice(logged) : '';
      const taken = err instanceof DevServerError && /already in use/.test(`${err.message}\n${log}`);
      if (!taken || attempt >= attempts) throw err;
    }
  }
}
