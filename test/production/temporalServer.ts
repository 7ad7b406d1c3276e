import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../cluster/config';
import { portOpen } from '../../worker/devServer';

const SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'temporal-server.sh');

/** The pinned versions, read from the file the scripts and docker-compose.yml are checked against. */
export function pins(): { server: string; ui: string } {
  const text = fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'temporal-server', 'pins.sh'), 'utf8');
  const pin = (name: string) => new RegExp(`^${name}=(\\S+)$`, 'm').exec(text)?.[1] ?? '';
  return { server: pin('TEMPORAL_SERVER_VERSION'), ui: pin('TEMPORAL_UI_VERSION') };
}

export interface ProductionServer {
  dir: string;
  base: number;
  address: string;
  namespace: string;
  uiUrl: string;
  pgPort: number;
  /** What `start` printed, for the test's own report. */
  startLog: string;
  startMs: number;
  stop(): Promise<string>;
}

function run(args: string[], timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, ...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** Every port of the block the script derives from `base` (scripts/temporal-server/ports.sh) is free now. */
async function blockFree(base: number): Promise<boolean> {
  const ports = [...Array.from({ length: 12 }, (_, i) => base + i), base + 1000];
  for (const p of ports) if (await portOpen('127.0.0.1', p, 200)) return false;
  return true;
}

/**
 * `scripts/temporal-server.sh start` on a fresh state directory, on the first free block of ports from
 * GPRECOVER_PRODUCTION_BASE_PORT (default 17433; the script's own default 17233 is left to a DBA trying it by hand).
 */
export async function startProductionServer(): Promise<ProductionServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-production-'));
  // PostgreSQL runs as the postgres OS user when the tests run as root: it must be able to enter the directory.
  fs.chmodSync(dir, 0o755);
  const first = Number(process.env.GPRECOVER_PRODUCTION_BASE_PORT ?? 17433);
  let last = '';
  for (let base = first; base < first + 2000; base += 100) {
    if (!(await blockFree(base))) continue;
    const started = Date.now();
    const { code, out } = await run(['start', dir, String(base)], 900_000);
    // 2: a port was taken between our look and the script's; anything else is a real failure.
    if (code === 2 && /is in use/.test(out)) {
      last = out;
      fs.rmSync(path.join(dir, 'base-port'), { force: true });
      continue;
    }
    if (code !== 0) throw new Error(`scripts/temporal-server.sh start ${dir} ${base} exited ${code}:\n${out}`);
    const env = Object.fromEntries(fs.readFileSync(path.join(dir, 'env'), 'utf8').split('\n')
      .map((l) => /^export (\w+)=(.*)$/.exec(l)).filter((m): m is RegExpExecArray => !!m).map((m) => [m[1], m[2]]));
    return {
      dir,
      base,
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      uiUrl: env.TEMPORAL_UI_URL ?? '',
      pgPort: base + 11,
      startLog: out,
      startMs: Date.now() - started,
      async stop() {
        const r = await run(['stop', dir], 120_000);
        if (r.code !== 0) throw new Error(`scripts/temporal-server.sh stop ${dir} exited ${r.code}:\n${r.out}`);
        return r.out;
      },
    };
  }
  throw new Error(`no free block of ports for the Temporal server from ${first}: ${last}`);
}
