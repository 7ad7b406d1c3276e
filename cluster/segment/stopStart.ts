import type { Executor } from '../exec/executor';
import { runChecked } from '../exec/executor';
import { probeDir } from './probeDir';
import { SegmentStartError } from './errors';

export interface StopResult {
  wasRunning: boolean;
  mode?: 'fast' | 'immediate';
  /** Set when the host could not be reached: a dead host runs no postgres either. */
  unreachable?: string;
}

/** Stops the postgres in `datadir` only if its postmaster.pid points to a live postgres (gprecoverseg step 4). */
export async function stopIfRunning(exec: Executor, pgBin: string, datadir: string): Promise<StopResult> {
  const probe = await probeDir(exec, pgBin, { hostname: exec.host, address: exec.host, datadir });
  if (!probe.reachable) return { wasRunning: false, unreachable: probe.error ?? 'unreachable' };
  if (!probe.postmasterLive) return { wasRunning: false };
  const fast = await exec.run([`${pgBin}/pg_ctl`, 'stop', '-D', datadir, '-m', 'fast', '-w', '-t', '60'], { timeoutMs: 90_000 });
  if (fast.code === 0) return { wasRunning: true, mode: 'fast' };
  await exec.run([`${pgBin}/pg_ctl`, 'stop', '-D', datadir, '-m', 'immediate', '-w', '-t', '60'], { timeoutMs: 90_000 });
  const after = await probeDir(exec, pgBin, { hostname: exec.host, address: exec.host, datadir });
  if (after.postmasterLive) throw new Error(`postgres in ${datadir} on ${exec.host} (pid ${after.postmasterPid}) did not stop`);
  return { wasRunning: true, mode: 'immediate' };
}

/** Starts the segment (as a mirror: standby.signal is in place) unless it already runs. */
export async function startSegment(exec: Executor, pgBin: string, datadir: string, timeoutSec = 600): Promise<{ alreadyRunning: boolean }> {
  const probe = await probeDir(exec, pgBin, { hostname: exec.host, address: exec.host, datadir });
  if (probe.postmasterLive) return { alreadyRunning: true };
  const logFile = `${datadir}/log/gprecover-startup.log`;
  await runChecked(exec, ['mkdir', '-p', `${datadir}/log`]);
  // A postmaster.pid left by a killed postgres names a pid the system may have given to another process since;
  // postgres would then refuse to start ("lock file already exists").
  if (probe.postmasterPid !== undefined) await exec.run(['rm', '-f', `${datadir}/postmaster.pid`]);
  const res = await exec.run(
    [`${pgBin}/pg_ctl`, 'start', '-D', datadir, '-l', logFile, '-w', '-t', String(timeoutSec)],
    { timeoutMs: (timeoutSec + 30) * 1000 },
  );
  if (res.code !== 0) {
    const log = await exec.run(['tail', '-n', '5', logFile]);
    const detail = (log.stdout || res.stderr || res.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new SegmentStartError(`pg_ctl start of ${datadir} on ${exec.host} failed (exit ${res.code}): ${detail}`);
  }
  return { alreadyRunning: false };
}
