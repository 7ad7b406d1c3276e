import { setTimeout as sleep } from 'node:timers/promises';
// A second dev server for the 1,000-segment simulation only. recoveryWorkflow puts every content id of the plan into
// the ContentIds search attribute; past ~360 contents that value exceeds the server's default 2 KiB per-value limit
// and the server terminates the run (see docs/benchmarks.md). To still measure orchestration at that size, this
// server raises frontend.searchAttributesSizeOfValueLimit; it is otherwise started exactly as worker/devServer.ts does.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { devServerSearchAttributeArgs } from '../worker/devServerArgs';
import { portOpen } from '../worker/devServer';
import { resolveTemporalCli } from '../worker/temporalCli';
import { freePort } from '../testkit/freePort';

export const RAISED_SA_VALUE_LIMIT = 65_536;

export interface SimServer {
  address: string;
  namespace: string;
  pid: number;
  client: Client;
  /** What is different from the dev server gprecover users get; shown in the report. */
  note?: string;
  close(): Promise<void>;
}

export async function startRaisedLimitServer(workDir: string): Promise<SimServer> {
  const [port, uiPort] = [await freePort(), await freePort()];
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort),
    '--namespace', 'default', '--log-level', 'warn', ...devServerSearchAttributeArgs(),
    '--dynamic-config-value', `frontend.searchAttributesSizeOfValueLimit=${RAISED_SA_VALUE_LIMIT}`];
  const log = fs.openSync(path.join(workDir, 'temporal-dev-raised.log'), 'a');
  const child = spawn(resolveTemporalCli(), args, { stdio: ['ignore', log, log] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  while (!(await portOpen('127.0.0.1', port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the raised-limit dev server did not start; see ${path.join(workDir, 'temporal-dev-raised.log')}`);
    }
    await sleep(200);
  }
  const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  return {
    address: `127.0.0.1:${port}`, namespace: 'default', pid: child.pid!, client: new Client({ connection, namespace: 'default' }),
    note: `dev server with frontend.searchAttributesSizeOfValueLimit=${RAISED_SA_VALUE_LIMIT}`,
    async close() {
      await connection.close().catch(() => undefined);
      await stop();
    },
  };
}
