import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Every process a test run starts inherits this variable (set in test/globalSetup.ts), postmasters and probers too. */
export const TEST_RUN_ENV = 'GPRECOVER_TEST_RUN';

export interface Leftover {
  pid: number;
  cmdline: string;
}

function environOf(pid: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Live (not zombie) processes other than this one that carry the run's marker in their environment. */
export function processesOfRun(runId: string): Leftover[] {
  const marker = `${TEST_RUN_ENV}=${runId}\0`;
  const out: Leftover[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    const env = environOf(pid);
    if (!env?.includes(marker)) continue;
    try {
      if (/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))) continue;
      out.push({ pid: Number(pid), cmdline: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 200) });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Waits for the run's processes to end; returns those still alive after `timeoutMs`. */
export async function waitForNoProcesses(runId: string, timeoutMs: number): Promise<Leftover[]> {
  const deadline = Date.now() + timeoutMs;
  let left = processesOfRun(runId);
  while (left.length && Date.now() < deadline) {
    await sleep(200);
    left = processesOfRun(runId);
  }
  return left;
}
