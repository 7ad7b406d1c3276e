import type { Location, SegmentRow } from '../../domain/segment';
import type { ClusterContext } from '../context';
import type { Executor } from '../exec/executor';
import { runChecked } from '../exec/executor';
import { commandArgv } from '../flavor';
import { SegmentStartError } from './errors';
import { probeDir } from './probeDir';
import { configureAsMirror, setAutoConf } from './recoveryConf';
import { replicationConninfo } from './sql';

export interface StopResult {
  wasRunning: boolean;
  mode?: 'fast' | 'immediate';
  /** Set when the host could not be reached: a dead host runs no postgres either. */
  unreachable?: string;
}

/** Stops the postgres in the directory only if its postmaster.pid points to a live postgres (gprecoverseg step 4). */
export async function stopIfRunning(exec: Executor, bin: string, location: Location): Promise<StopResult> {
  const { datadir } = location;
  const probe = await probeDir(exec, bin, { location });
  if (!probe.reachable) return { wasRunning: false, unreachable: probe.error ?? 'unreachable' };
  if (!probe.postmasterLive) return { wasRunning: false };
  const fast = await exec.run([`${bin}/pg_ctl`, 'stop', '-D', datadir, '-m', 'fast', '-w', '-t', '60'], { timeoutMs: 90_000 });
  if (fast.code === 0) return { wasRunning: true, mode: 'fast' };
  await exec.run([`${bin}/pg_ctl`, 'stop', '-D', datadir, '-m', 'immediate', '-w', '-t', '60'], { timeoutMs: 90_000 });
  const after = await probeDir(exec, bin, { location });
  if (after.postmasterLive) throw new Error(`postgres in ${datadir} on ${exec.host} (pid ${after.postmasterPid}) did not stop`);
  return { wasRunning: true, mode: 'immediate' };
}

export interface StartRequest {
  ctx: ClusterContext;
  target: Location;
  /** The acting primary it mirrors. */
  source: SegmentRow;
  /** The coordinator's era (GPERA). */
  era: string;
}

/** gprecoverseg step 9: the segment's port, then the flavour's start of a mirror, unless it already runs. */
export async function startRecoveredSegment(req: StartRequest): Promise<{ alreadyRunning: boolean }> {
  const { ctx, target } = req;
  const exec = ctx.host(target);
  const probe = await probeDir(exec, ctx.bin, { location: target });
  if (probe.postmasterLive) return { alreadyRunning: true };
  if (!ctx.flavor.toolsWriteRecoverySettings) {
    await configureAsMirror(exec, target.datadir, { port: target.port, primaryConninfo: replicationConninfo(ctx.cfg, req.source) });
  }
  // Hosts that share one machine (the demo) tell their instances apart by address only.
  if (ctx.cfg.listenOnCatalogAddress) await setAutoConf(exec, target.datadir, { listen_addresses: target.address });
  const setPort = ctx.flavor.setPort(target.datadir, target.port);
  if (setPort) await runChecked(exec, commandArgv(setPort), { timeoutMs: 60_000 });
  // A postmaster.pid left by a killed postgres names a pid the system may have given to another process since;
  // postgres would then refuse to start ("lock file already exists").
  if (probe.postmasterPid !== undefined) await exec.run(['rm', '-f', `${target.datadir}/postmaster.pid`]);
  await runChecked(exec, ['mkdir', '-p', `${target.datadir}/log`]);
  const start = ctx.flavor.start({ bin: ctx.bin, datadir: target.datadir, port: target.port, era: req.era });
  const res = await exec.run(commandArgv(start), { timeoutMs: 660_000 });
  if (res.code !== 0) {
    const log = await exec.run(['tail', '-n', '5', `${target.datadir}/log/startup.log`]);
    const detail = (log.stdout || res.stderr || res.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new SegmentStartError(`pg_ctl start of ${target.datadir} on ${exec.host} failed (exit ${res.code}): ${detail}`);
  }
  return { alreadyRunning: false };
}
