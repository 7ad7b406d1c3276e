import { activityInfo, log } from '@temporalio/activity';
import type { ClientBase } from 'pg';
import type { DbidInput, RecoveryActivities, SegmentStepInput, StartOutcome, VerifyDownInput, WipeTargetInput } from '../domain/activities';
import { readEra } from '../cluster/era';
import { ExecutorUnavailableError } from '../cluster/exec/executor';
import { jobDirFor, removeJob } from '../cluster/jobs';
import { requestFtsProbe, readSegments, withCoordinator } from '../cluster/catalog';
import { assertPlanAllows } from '../cluster/segment/guard';
import { removeOldLocation } from '../cluster/segment/removeOld';
import { startSegment, stopSegment, STOP_TIMEOUT_SECONDS } from '../cluster/segment/stopStart';
import { evidenceName, keepEvidence } from '../cluster/segment/evidence';
import { wipeTarget } from '../cluster/segment/wipe';
import { NotReadyError, SafetyError } from '../domain/failures';
import type { ActivityContext } from './context';
import { reportProgress } from './progress';

export function createSegmentActivities(actx: ActivityContext) {
  return {
    /**
     * gprecoverseg step 4: stop the failed segment, as gpsegstop does, if a live postmaster still runs there; only
     * where the catalog places that dbid, and never an acting primary.
     */
    async stopFailedSegment(input: SegmentStepInput) {
      const { item } = input;
      const ctx = await actx.cluster(input.cluster);
      const segments = await actx.segments(ctx);
      assertPlanAllows('before', item, segments);
      const row = segments.find((s) => s.dbid === item.dbid)!;
      reportProgress({ phase: `stopping dbid ${item.dbid} (gpsegstop: fast, ${STOP_TIMEOUT_SECONDS.failed} s, then the kill sequence)` });
      // The failed location, which the catalog still holds (or held until this run's catalog step moved the row).
      const stopped = await stopSegment(ctx.host(item.failed), ctx.bin, item.failed, STOP_TIMEOUT_SECONDS.failed);
      // gprecoverseg ignores a failed stop of a segment FTS already marked down: its host may be the one that died
      // (-p spare host). A segment still marked up must really be stopped before anything else happens.
      if (stopped.unreachable && row.status !== 'd') {
        throw new ExecutorUnavailableError(`cannot reach ${item.failed.hostname} to stop dbid ${item.dbid}: ${stopped.unreachable}`, item.failed.hostname);
      }
      log.info(`dbid ${item.dbid}: ${stopped.wasRunning ? `stopped (${stopped.mode})` : stopped.unreachable ? `host unreachable, not stopped (FTS marks it down): ${stopped.unreachable}` : 'was not running'}`);
      return stopped;
    },

    /** gprecoverseg step 5: the catalog must say 'd'; a mirror being moved may wait for FTS to notice it stopped. */
    async verifySegmentDown(input: VerifyDownInput): Promise<void> {
      const { item } = input;
      const ctx = await actx.cluster(input.cluster);
      const look = async (c: ClientBase) => {
        const before = await readSegments(c);
        assertPlanAllows('before', item, before);
        const row = before.find((s) => s.dbid === item.dbid);
        if (row?.status !== 'u' || !input.waitForFts) return row;
        await requestFtsProbe(c);
        return (await readSegments(c)).find((s) => s.dbid === item.dbid);
      };
      // An FTS probe request waits for FTS: on a connection of its own, not the worker's kept one for reads.
      const row = await (input.waitForFts ? withCoordinator(ctx.cfg, look) : ctx.catalog.use(look));
      if (!row) throw new SafetyError(`dbid ${item.dbid} is not in gp_segment_configuration`);
      if (row.status === 'd') return;
      if (!input.waitForFts) throw new SafetyError(`dbid ${item.dbid} is marked up in the catalog; refusing to recover it`);
      throw new NotReadyError(`dbid ${item.dbid} is still marked up; waiting for FTS to mark it down`);
    },

    /**
     * Before a full recovery copies over the failed segment where it was: its forensic bundle, kept on its host. Only
     * while the catalog holds it down at that location, as for the wipe that follows.
     */
    async keepEvidence(input: SegmentStepInput) {
      const { item } = input;
      const ctx = await actx.cluster(input.cluster);
      assertPlanAllows('write', item, await actx.segments(ctx));
      const info = activityInfo();
      reportProgress({ phase: `keeping the evidence of dbid ${item.dbid} before its full copy` });
      const out = await keepEvidence(ctx, item, evidenceName(item.dbid, new Date(info.scheduledTimestampMs), info.workflowExecution?.runId ?? ''));
      if (out.kept) log.info(`dbid ${item.dbid}: evidence kept in ${out.host}:${out.directory} (${out.kilobytes ?? '?'} kB, ${out.files?.length ?? 0} files)`);
      else log.warn(`dbid ${item.dbid}: ${out.note}`);
      return out;
    },

    /**
     * Full recovery only: the write guard on the target, and with plain PostgreSQL tools, its contents emptied; with
     * `checkOnly` (the short step of 0.6.0) the guard alone, saying whether the emptying is left to do.
     */
    async wipeTarget(input: WipeTargetInput) {
      const ctx = await actx.cluster(input.cluster);
      const out = await wipeTarget(ctx, input.item, await actx.segments(ctx), { checkOnly: input.checkOnly });
      log.info(`dbid ${input.item.dbid}: ${input.item.target.hostname}:${input.item.target.datadir} ${out.note}`);
      return out;
    },

    /** After a move has synchronized: its old directories go, with the wipe's care (see removeOld.ts). */
    async removeOldLocation(input: SegmentStepInput) {
      const ctx = await actx.cluster(input.cluster);
      const out = await removeOldLocation(ctx, input.item, await actx.segments(ctx));
      for (const r of out.removed) log.info(`dbid ${input.item.dbid}: removed its old ${r}`);
      for (const k of out.kept) log.warn(`dbid ${input.item.dbid}: kept its old ${k}`);
      return out;
    },

    /** gprecoverseg step 9: the catalog's port, then the flavour's start of a mirror, where the catalog places it. */
    async startRecoveredSegment(input: SegmentStepInput): Promise<StartOutcome> {
      const { item } = input;
      const ctx = await actx.cluster(input.cluster);
      const segments = await actx.segments(ctx);
      assertPlanAllows('start', item, segments);
      reportProgress({ phase: `starting dbid ${item.dbid}`, tool: 'pg_ctl' });
      const started = await startSegment({ ctx, target: item.target, source: item.source, era: readEra(ctx, segments) });
      // Only once started: a start that fails leaves the copy's output beside the data directory, for the DBA.
      await removeJob(ctx.host(item.target), jobDirFor(item.target.datadir, 'copy')).catch(() => undefined);
      log.info(`dbid ${item.dbid}: ${started.alreadyRunning ? 'already running' : `started as a mirror of dbid ${item.source.dbid} on port ${item.target.port}`}`);
      return started;
    },

    /**
     * A rebalance whose mirror was not promoted: the primary it stopped starts again as it was, so that no content is
     * left without a primary. Only a segment the catalog still holds as its content's primary.
     */
    async restartDemotedPrimary(input: DbidInput): Promise<StartOutcome> {
      const ctx = await actx.cluster(input.cluster);
      const segments = await actx.segments(ctx);
      const row = segments.find((s) => s.dbid === input.dbid);
      if (!row) throw new SafetyError(`dbid ${input.dbid} is not in gp_segment_configuration`);
      if (row.role !== 'p') {
        log.info(`dbid ${input.dbid} is a mirror now (its peer was promoted after all): not restarted as a primary`);
        return { alreadyRunning: false };
      }
      const started = await startSegment({ ctx, target: row, era: readEra(ctx, segments) });
      log.warn(`rebalance: restarted dbid ${input.dbid} as the primary of content ${row.content}${started.alreadyRunning ? ' (it was running)' : ''}`);
      return started;
    },
  } satisfies Pick<RecoveryActivities, 'stopFailedSegment' | 'verifySegmentDown' | 'keepEvidence' | 'wipeTarget' | 'removeOldLocation' | 'startRecoveredSegment' | 'restartDemotedPrimary'>;
}
