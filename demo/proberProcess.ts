import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../cluster/config';
import { DemoError } from './errors';
import { sleep } from './sql';
import { proberLogPath, proberPidPath } from './state';

const PROBER_MAIN = path.join(__dirname, 'proberMain.ts');
const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // The pid could have been reused since the file was written; only our prober's command line counts.
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes(PROBER_MAIN);
  } catch {
    return false;
  }
}

/** The prober's pid (its process group) when it runs for this root directory. */
export function proberPid(rootDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(proberPidPath(rootDir), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes(path.resolve(rootDir)) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function proberLogTail(rootDir: string, lines = 3): string {
  try {
    return fs.readFileSync(proberLogPath(rootDir), 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

/** Detached, in its own process group, so it outlives the command that started it (`gprecover demo up`). */
export function startProber(rootDir: string): number {
  const running = proberPid(rootDir);
  if (running) return running;
  if (!fs.existsSync(TSX)) throw new DemoError(`${TSX} is missing; run 'npm run setup' first`);
  const out = fs.openSync(proberLogPath(rootDir), 'a');
  try {
    const child = spawn(TSX, [PROBER_MAIN, path.resolve(rootDir)], { detached: true, stdio: ['ignore', out, out], cwd: PROJECT_ROOT });
    if (!child.pid) throw new DemoError(`could not start the FTS prober (${TSX} ${PROBER_MAIN})`);
    child.unref();
    fs.writeFileSync(proberPidPath(rootDir), `${child.pid}\n`);
    return child.pid;
  } finally {
    fs.closeSync(out);
  }
}

/** SIGTERM lets a cycle finish (no half-applied catalog change); SIGKILL only if it does not end in time. */
export async function stopProber(rootDir: string, timeoutMs = 10_000): Promise<boolean> {
  const pid = proberPid(rootDir);
  if (!pid) {
    fs.rmSync(proberPidPath(rootDir), { force: true });
    return false;
  }
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* gone */
    }
  };
  signalGroup('SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) signalGroup('SIGKILL');
  while (alive(pid)) await sleep(20);
  fs.rmSync(proberPidPath(rootDir), { force: true });
  return true;
}
