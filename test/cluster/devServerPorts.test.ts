// A test's dev server whose port was taken between the free-port answer and its bind starts on other ports
// (testkit/devServerOnFreePorts.ts): the CI run of 2026-12-07 lost webUi.test to a UI port taken that way.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningDevServer } from '../../worker/devServer';
import { freePort } from '../../testkit/freePort';
import { startDevServerOnFreePorts } from '../../testkit/devServerOnFreePorts';

describe('a dev server for a test', () => {
  let server: RunningDevServer | undefined;
  const taken = net.createServer();
  afterAll(async () => {
    await server?.stop();
    await new Promise((r) => taken.close(r));
  });

  it('starts on other ports when its UI port was taken meanwhile', async () => {
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const busy = (taken.address() as net.AddressInfo).port;
    const ports = [await freePort(), busy];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-ports-'));
    server = await startDevServerOnFreePorts({ ip: '127.0.0.1', logFile: path.join(dir, 'devserver.log') }, async () => ports.shift() ?? freePort());
    expect(server.uiUrl).not.toContain(`:${busy}`);
    expect(fs.readFileSync(path.join(dir, 'devserver.log'), 'utf8')).toMatch(/address already in use/);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
