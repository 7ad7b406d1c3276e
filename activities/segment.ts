import { log } from '@temporalio/activity';
import { requestFtsProbe, readSegments, withCoordinator } from '../cluster/catalog';
import { readEra } from '../cluster/era';
import { ExecutorUnavailableError } from '../cluster/exec/executor';
import { jobDirFor, removeJob } from '../cluster/jobs';
import { startRecoveredSegment, stopIfRunning, type StopResult } from '../cluster/segment/stopStart';
import { wipeTarget, type WipeOutcome } from '../cluster/segment/wipe';
import { removeOldLocation, type RemovalOutcome } from '../cluster/segment/removeOld';
import { NotReadyError, SafetyError } from '../domain/failures';
import type { SegmentPlan } from '../domain/recovery';
import { isActingPrimary, type Location } from '../domain/segment';
import type { ActivityContext } from './context';
import { beating } from './heartbeat';

export function createSegmentActivities(actx: ActivityContext) {
  return {
    /** gprecoverseg step 4: stop the failed segment if a live postmaster still runs there; never an acting primary. */
    async stopFailedSegment(input: { cluster: string; dbid: number; location: Location }): Promise<StopResult> {
      return beating(async () => {
        const ctx = await actx.cluster(input.cluster);
        const row = (await actx.segments(ctx)).find((s) => s.dbid === input.dbid);
        if (row && isActingPrimary(row)) {
          throw new SafetyError(`dbid ${input.dbid} is the acting primary of content ${row.content}; it is never stopped by a recovery`);
        }
        const stopped = await stopIfRunning(ctx.host(input.location), ctx.bin, input.location);
        // gprecoverseg ignores a failed stop of a segment FTS already marked down: its host may be the one that died
        // (-p spare host). A segment still marked up must really be stopped before anything else happens.
        if (stopped.unreachable && row?.status !== 'd') {
          throw new ExecutorUnavailableError(`cannot reach ${input.location.hostname} to stop dbid ${input.dbid}: ${stopped.unreachable}`, input.location.hostname);
        }
        log.info(`dbid ${input.dbid}: ${stopped.wasRunning ? `stopped (${stopped.mode})` : stopped.unreachable ? `host unreachable, not stopped (FTS marks it down): ${stopped.unreachable}` : 'was not running'}`);
        return stopped;
      });
    },

    /** gprecoverseg step 5: the catalog must say 'd'; a mirror being moved may wait for FTS to notice it stopped. */
    async verifySegmentDown(input: { cluster: string; dbid: number; waitForFts: boolean }): Promise<void> {
      const ctx = await actx.cluster(input.cluster);
      const row = await withCoordinator(ctx.cfg, async (c) => {
        const before = (await readSegments(c)).find((s) => s.dbid === input.dbid);
        if (before?.status === 'u' && input.waitForFts) await requestFtsProbe(c);
        return (await readSegments(c)).find((s) => s.dbid === input.dbid);
      });
      if (!row) throw new SafetyError(`dbid ${input.dbid} is not in gp_segment_configuration`);
      if (row.status === 'd') return;
      if (!input.waitForFts) throw new SafetyError(`dbid ${input.dbid} is marked up in the catalog; refusing to recover it`);
      throw new NotReadyError(`dbid ${input.dbid} is still marked up; waiting for FTS to mark it down`);
    },

    /** Full recovery only: the safety checks on the target, and with plain PostgreSQL tools, its contents emptied. */
    async wipeTarget(input: { cluster: string; item: SegmentPlan }): Promise<WipeOutcome> {
      return beating(async () => {
        const ctx = await actx.cluster(input.cluster);
        const out = await wipeTarget(ctx, input.item, await actx.segments(ctx));
        log.info(`dbid ${input.item.dbid}: ${input.item.target.hostname}:${input.item.target.datadir} ${out.note}`);
        return out;
      });
    },

    /** After a move has synchronized: its old directories go, with the wipe's care (see removeOld.ts). */
    async removeOldLocation(input: { cluster: string; item: SegmentPlan }): Promise<RemovalOutcome> {
      return beating(async () => {
        const ctx = await actx.cluster(input.cluster);
        const out = await removeOldLocation(ctx, input.item, await actx.segments(ctx));
        for (const r of out.removed) log.info(`dbid ${input.item.dbid}: removed its old ${r}`);
        for (const k of out.kept) log.warn(`dbid ${input.item.dbid}: kept its old ${k}`);
        return out;
      });
    },

    /** gprecoverseg step 9: the catalog's port, then the flavour's start of a mirror. */
    async startRecoveredSegment(input: { cluster: string; item: SegmentPlan }): Promise<{ alreadyRunning: boolean }> {
      return beating(async () => {
        const { item } = input;
        const ctx = await actx.cluster(input.cluster);
        const era = await readEra(ctx, await actx.segments(ctx));
        const started = await startRecoveredSegment({ ctx, target: item.target, source: item.source, era });
        await removeJob(ctx.host(item.target), jobDirFor(item.target.datadir, 'copy')).catch(() => undefined);
        log.info(`dbid ${item.dbid}: ${started.alreadyRunning ? 'already running' : `started as a mirror of dbid ${item.source.dbid} on port ${item.target.port}`}`);
        return started;
      });
    },
  };
}

