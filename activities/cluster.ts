import { log } from '@temporalio/activity';
import type { ClusterInput, ProbeTargetsInput, RecoveryActivities } from '../domain/activities';
import { InvalidRequestError } from '../domain/failures';
import type { ClusterSnapshot, DirProbe, ProbeResult } from '../domain/probe';
import { sameLocation } from '../domain/segment';
import { directoryProblem, hostProblem } from '../domain/values';
import { batchesByKey, mapLimited } from '../cluster/limit';
import { probeDirs } from '../cluster/segment/probeDir';
import { probeSource } from '../cluster/segment/sql';
import type { ActivityContext } from './context';
import { reportProgress } from './progress';

/** Probes in flight at once: in all, and on one host (sshd's MaxSessions is 10 by default). */
export const PROBE_CONCURRENCY = { total: 32, perHost: 4 } as const;
/** A host's directories go to it at least this many to a round trip (fewer only where it has fewer). */
export const PROBE_BATCH_MIN = 4;

export function createClusterActivities(actx: ActivityContext) {
  return {
    /** Catalog of the cluster, its flavour, and the addresses of its configured hosts (spares too). */
    async readCluster(input: ClusterInput): Promise<ClusterSnapshot> {
      const ctx = await actx.cluster(input.cluster);
      const segments = await actx.segments(ctx);
      const hostAddresses: Record<string, string> = {};
      for (const s of segments) hostAddresses[s.hostname] = s.address;
      for (const [h, hc] of Object.entries(ctx.cfg.hosts ?? {})) hostAddresses[h] = hc.address ?? hostAddresses[h] ?? h;
      log.info(`cluster ${input.cluster}: ${ctx.summary.title}, ${segments.filter((s) => s.status === 'd').length} segment(s) down`);
      return { cluster: input.cluster, flavor: ctx.summary, segments, hostAddresses };
    },

    /**
     * Live state of each target directory (port and room for moves) and of each copy source, read-only. A directory
     * is probed only on a host the catalog or the worker's configuration knows, and a source only if the catalog has
     * it there; a host that does not answer in time is reported unreachable, not waited for.
     */
    async probeTargets(input: ProbeTargetsInput): Promise<ProbeResult> {
      const ctx = await actx.cluster(input.cluster);
      const segments = await actx.segments(ctx);
      for (const d of input.dirs) {
        const { hostname, datadir } = d.location;
        const wrong = hostProblem(hostname, 'host') ?? directoryProblem(datadir);
        if (wrong) throw new InvalidRequestError(`refusing to probe ${hostname}:${datadir}: ${wrong}`);
        if (!segments.some((s) => s.hostname === hostname) && !ctx.cfg.hosts?.[hostname]) {
          throw new InvalidRequestError(`refusing to probe host '${hostname}': it is neither in gp_segment_configuration nor configured for cluster '${input.cluster}'`);
        }
      }
      for (const s of input.sources) {
        if (!segments.some((r) => r.dbid === s.dbid && sameLocation(r, s))) throw new InvalidRequestError(`refusing to probe dbid ${s.dbid}: the catalog does not have it at ${s.hostname}:${s.port}`);
      }
      let probed = 0;
      const total = input.dirs.length + input.sources.length;
      const counted = <T>(p: Promise<T>) => p.finally(() => reportProgress({ phase: `probing: ${++probed} of ${total} done` }));
      // A host's directories in a few round trips, not one each: its process list is read once per batch.
      const batches = batchesByKey(input.dirs.map((d, index) => ({ d, index })), (x) => x.d.location.hostname, { perKey: PROBE_CONCURRENCY.perHost, minBatch: PROBE_BATCH_MIN });
      const dirProbes = new Array<DirProbe>(input.dirs.length);
      const dirs = mapLimited(batches, async (b) => {
        const probes = await probeDirs(ctx.host(b.items[0].d.location), ctx.bin, b.items.map((x) => x.d));
        probes.forEach((p, i) => { dirProbes[b.items[i].index] = p; });
        probed += probes.length;
        reportProgress({ phase: `probing: ${probed} of ${total} done` });
      }, { total: PROBE_CONCURRENCY.total, perKey: PROBE_CONCURRENCY.perHost, key: (b) => b.key }).then(() => dirProbes);
      const sources = mapLimited(input.sources, (s) => counted(probeSource(ctx, s.dbid, s)), { total: PROBE_CONCURRENCY.total });
      const checksum = ctx.catalog.use(async (c) => Number((await c.query('SELECT data_page_checksum_version AS v FROM pg_control_init()')).rows[0].v));
      const [d, s, coordinatorChecksumVersion] = await Promise.all([dirs, sources, checksum]);
      return { dirs: d, sources: s, coordinatorChecksumVersion };
    },
  } satisfies Pick<RecoveryActivities, 'readCluster' | 'probeTargets'>;
}
