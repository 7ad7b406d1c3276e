import { planRefusal, type GuardedStep } from '../../domain/planGuards';
import { directoryProblem } from '../../domain/values';
import type { SegmentPlan } from '../../domain/recovery';
import type { Location, SegmentRow } from '../../domain/segment';
import type { ClusterContext } from '../context';
import { ExecutorUnavailableError } from '../exec/executor';
import { CopyConflictError, SafetyError } from './errors';
import { probeWriters, type WritersProbe } from './probeDir';

/** The catalog's word on one step of a planned segment (domain/planGuards.ts), as a refusal that is never retried. */
export function assertPlanAllows(step: GuardedStep, item: SegmentPlan, segments: SegmentRow[]): void {
  const refusal = planRefusal(step, item, segments);
  if (refusal) throw new SafetyError(`refusing to ${STEP_WORDS[step]}: ${refusal}`);
}

const STEP_WORDS: Record<GuardedStep, string> = {
  before: 'act on it',
  catalog: 'change its catalog row',
  write: 'write into its directory',
  start: 'start it',
  removeOld: 'remove its old location',
};

export interface WriteGuardOptions {
  /** A copy job of this very run and segment runs into the directory: that is the write being guarded. */
  ownCopy?: boolean;
}

/**
 * Right before anything writes into a data directory: the catalog places the planned segment there and holds it
 * down, and on the host no postgres runs in the directory and no other copy writes into it. Returns what the probe
 * saw. Given rows already read, the catalog is judged before the host is contacted. Given the catalog still being
 * read (the copy step, while it also reads its job's state), the host is looked at meanwhile, both only reading, and
 * the catalog's refusal still comes first: one round trip less before a copy starts.
 */
export async function assertSafeToWrite(
  ctx: ClusterContext, item: SegmentPlan, segments: SegmentRow[] | Promise<SegmentRow[]>, at: Location = item.target, opts: WriteGuardOptions = {},
): Promise<WritersProbe> {
  const step = at === item.target ? 'write' : 'removeOld';
  let judged: Promise<void>;
  if (Array.isArray(segments)) {
    assertPlanAllows(step, item, segments);
    judged = Promise.resolve();
  } else {
    judged = segments.then((rows) => assertPlanAllows(step, item, rows));
    judged.catch(() => undefined);
  }
  const badPath = directoryProblem(at.datadir);
  if (badPath) {
    await judged;
    throw new SafetyError(`refusing to write into ${at.hostname}:${at.datadir}: ${badPath}`);
  }
  // Whatever fails in starting the look (an executor refused by the config) is said after the catalog's word.
  const probing = (async () => probeWriters(ctx.host(at), at.datadir))();
  probing.catch(() => undefined);
  await judged;
  const probe = await probing;
  const where = `${at.hostname}:${at.datadir}`;
  if (!probe.reachable) throw new ExecutorUnavailableError(`cannot reach ${at.hostname} to check ${at.datadir} before writing: ${probe.error}`, at.hostname);
  if (probe.postmasterLive) throw new SafetyError(`refusing to write into ${where}: a postgres (pid ${probe.postmasterPid}) is running in it`);
  if (probe.copyRunning && !opts.ownCopy) throw new CopyConflictError(`refusing to write into ${where}: a copy is running into it (${probe.copyRunning.slice(0, 160)})`);
  return probe;
}
