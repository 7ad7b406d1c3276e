import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { readSegments, requestFtsProbe, withCoordinator, type SegmentRow } from '../cluster/catalog';
import { applyRecoveryCatalogUpdate, backOutRecoveryCatalogUpdate, type RecoveryCatalogChange } from '../cluster/catalogUpdate';
import { runChecked } from '../cluster/exec/executor';
import { jobDirFor, removeJob } from '../cluster/jobs';
import type { ClusterSnapshot, DirProbeRequest, ProbeResult } from '../cluster/probeTypes';
import { differentialCopy, fullCopy, incrementalCopy, type CopyOutcome } from '../cluster/segment/copy';
import { SafetyError } from '../cluster/segment/errors';
import { probeDir } from '../cluster/segment/probeDir';
import { formatProgress } from '../cluster/segment/progress';
import { configureAsMirror } from '../cluster/segment/recoveryConf';
import { assertSafeToWipe, type TargetDir } from '../cluster/segment/safety';
import { probeSource, replicationConninfo } from '../cluster/segment/sql';
import { startSegment, stopIfRunning, type StopResult } from '../cluster/segment/stopStart';
import { syncState, type SyncState } from '../cluster/sync';
import type { SegmentPlan } from '../workflows/types';
import { classified, type ActivityContext } from './context';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function owner(): string {
  const run = Context.current().info.workflowExecution;
  return run ? `${run.workflowId}/${run.runId}` : 'standalone';
}

export function createRecoveryActivities(ctx: ActivityContext) {
  const segmentsOf = (cluster: string) => withCoordinator(ctx.cluster(cluster), readSegments);

  async function wipe(cluster: string, target: TargetDir): Promise<boolean> {
    const cfg = ctx.cluster(cluster);
    const exec = ctx.pool(cfg).forHost(target.hostname, target.address);
    const [segments, probe] = await Promise.all([segmentsOf(cluster), probeDir(exec, cfg.pgBin, { ...target })]);
    if (!probe.reachable) throw new Error(`cannot reach ${target.hostname}: ${probe.error}`);
    assertSafeToWipe(target, segments, probe);
    if (!probe.exists) return false;
    await runChecked(exec, ['rm', '-rf', '--one-file-system', target.datadir], { timeoutMs: 3_600_000 });
    return true;
  }

  return {
    /** Catalog of the cluster plus the addresses of its configured hosts (spares too). */
    async readCluster(cluster: string): Promise<ClusterSnapshot> {
      return classified(async () => {
        const cfg = ctx.cluster(cluster);
        const segments = await segmentsOf(cluster);
        const hostAddresses: Record<string, string> = {};
        for (const s of segments) hostAddresses[s.hostname] = s.address;
        for (const [h, hc] of Object.entries(cfg.hosts ?? {})) hostAddresses[h] = hc.address ?? hostAddresses[h] ?? h;
        return { cluster, segments, hostAddresses };
      });
    },

    /** Live state of each target directory (and port) and of each copy source. */
    async probeTargets(input: { cluster: string; dirs: DirProbeRequest[]; sources: SegmentRow[] }): Promise<ProbeResult> {
      return classified(async () => {
        const cfg = ctx.cluster(input.cluster);
        const pool = ctx.pool(cfg);
        const dirs = await Promise.all(input.dirs.map(async (d) => {
          try {
            return await probeDir(pool.forHost(d.hostname, d.address), cfg.pgBin, d);
          } catch (err) {
            return { ...d, reachable: false, error: (err as Error).message, exists: false, empty: true, postmasterLive: false, standbySignal: false };
          }
        }));
        const sources = await Promise.all(input.sources.map((s) => probeSource(cfg, s.dbid, s)));
        return { dirs, sources };
      });
    },

    /** gprecoverseg step 4: stop the failed segment if a live postmaster still runs there; never an acting primary. */
    async stopFailedSegment(input: { cluster: string; dbid: number; location: TargetDir }): Promise<StopResult> {
      return classified(async () => {
        const cfg = ctx.cluster(input.cluster);
        const row = (await segmentsOf(input.cluster)).find((s) => s.dbid === input.dbid);
        if (row?.role === 'p' && row.status === 'u') {
          throw new SafetyError(`dbid ${input.dbid} is the acting primary of content ${row.content}; it is never stopped by a recovery`);
        }
        const stopped = await stopIfRunning(ctx.pool(cfg).forHost(input.location.hostname, input.location.address), cfg.pgBin, input.location.datadir);
        // gprecoverseg ignores a failed stop of a segment FTS already marked down: its host may be the one that died
        // (-p spare host). A segment still marked up must really be stopped before anything else happens.
        if (stopped.unreachable && row?.status !== 'd') {
          throw new Error(`cannot reach ${input.location.hostname} to stop dbid ${input.dbid}: ${stopped.unreachable}`);
        }
        return stopped;
      });
    },

    /** gprecoverseg step 5: the catalog must say 'd'; a mirror being moved may wait for FTS to notice it stopped. */
    async verifySegmentDown(input: { cluster: string; dbid: number; waitForFts: boolean }): Promise<void> {
      return classified(async () => {
        const cfg = ctx.cluster(input.cluster);
        const row = await withCoordinator(cfg, async (c) => {
          const before = (await readSegments(c)).find((s) => s.dbid === input.dbid);
          if (before?.status === 'u' && input.waitForFts) await requestFtsProbe(c);
          return (await readSegments(c)).find((s) => s.dbid === input.dbid);
        });
        if (!row) throw new SafetyError(`dbid ${input.dbid} is not in gp_segment_configuration`);
        if (row.status === 'd') return;
        if (!input.waitForFts) throw new SafetyError(`dbid ${input.dbid} is marked up in the catalog; refusing to recover it`);
        throw ApplicationFailure.create({ message: `dbid ${input.dbid} is still marked up; waiting for FTS`, type: 'SegmentStillUp' });
      });
    },

    async updateCatalog(input: { cluster: string; change: RecoveryCatalogChange }) {
      return classified(() => withCoordinator(ctx.cluster(input.cluster), (c) => applyRecoveryCatalogUpdate(c, input.change)));
    },

    async backOutCatalog(input: { cluster: string; before: SegmentRow; runTag: string; reason: string }): Promise<boolean> {
      return classified(() => withCoordinator(ctx.cluster(input.cluster), (c) => backOutRecoveryCatalogUpdate(c, input.before, input.runTag, input.reason)));
    },

    /** Full recovery only: delete the failed segment's directory, after the safety checks. */
    async wipeTarget(input: { cluster: string; target: TargetDir }): Promise<boolean> {
      return classified(() => wipe(input.cluster, input.target));
    },

    /** pg_basebackup (full), pg_rewind (incremental) or rsync (differential), heartbeating the tool's progress. */
    async copySegment(input: { cluster: string; item: SegmentPlan }): Promise<CopyOutcome> {
      return classified(async () => {
        const { item } = input;
        const cfg = ctx.cluster(input.cluster);
        const pool = ctx.pool(cfg);
        const target = pool.forHost(item.target.hostname, item.target.address);
        const source = pool.forHost(item.source.hostname, item.source.address);
        const actx = Context.current();
        let last = '';
        const beat = setInterval(() => actx.heartbeat(last), 2000);
        actx.heartbeat('starting');
        try {
          const req = {
            cfg,
            target,
            targetDir: item.target.datadir,
            source: item.source,
            sourceIsLocalToTarget: target.kind === 'local' && source.kind === 'local',
            owner: `${owner()}/dbid${item.dbid}`,
            dbid: item.dbid,
            signal: actx.cancellationSignal,
            onProgress: (p: Parameters<typeof formatProgress>[0]) => {
              const text = formatProgress(p);
              if (text !== last) {
                last = text;
                actx.heartbeat(text);
              }
            },
            clearTarget: async () => {
              await wipe(input.cluster, item.target);
            },
          };
          const copy = item.type === 'full' ? fullCopy : item.type === 'differential' ? differentialCopy : incrementalCopy;
          return await copy(req);
        } finally {
          clearInterval(beat);
        }
      }, { heartbeat: false });
    },

    /** gprecoverseg step 9: the catalog's port, recovery settings pointing at the primary, then pg_ctl start. */
    async startRecoveredSegment(input: { cluster: string; item: SegmentPlan }): Promise<{ alreadyRunning: boolean }> {
      return classified(async () => {
        const { item } = input;
        const cfg = ctx.cluster(input.cluster);
        const exec = ctx.pool(cfg).forHost(item.target.hostname, item.target.address);
        const probe = await probeDir(exec, cfg.pgBin, { ...item.target });
        if (probe.postmasterLive) return { alreadyRunning: true };
        await configureAsMirror(exec, item.target.datadir, {
          port: item.target.port,
          listenAddress: cfg.listenOnCatalogAddress ? item.target.address : undefined,
          primaryConninfo: replicationConninfo(cfg, item.source),
        });
        const started = await startSegment(exec, cfg.pgBin, item.target.datadir);
        await removeJob(exec, jobDirFor(item.target.datadir, 'copy')).catch(() => undefined);
        return started;
      });
    },

    /** gprecoverseg step 10: ask FTS to probe, then wait until the catalog says u/s, reporting WAL bytes left. */
    async waitForSync(input: { cluster: string; dbid: number }): Promise<SyncState> {
      return classified(async () => {
        const cfg = ctx.cluster(input.cluster);
        const actx = Context.current();
        let round = 0;
        for (;;) {
          // Probe on the first two rounds (gprecoverseg asks twice: a known race) and every tenth after.
          const state = await syncState(cfg, input.dbid, round < 2 || round % 10 === 0);
          actx.heartbeat(`status ${state.status} mode ${state.mode}${state.walBytesBehind !== undefined ? `, ${state.walBytesBehind} WAL bytes behind` : ''}`);
          if (state.status === 'u' && state.mode === 's') return state;
          if (actx.cancellationSignal.aborted) throw actx.cancellationSignal.reason ?? new Error('cancelled');
          round++;
          await sleep(1000);
        }
      }, { heartbeat: false });
    },
  };
}
