import { log } from '@temporalio/activity';
import { InvalidRequestError } from '../domain/failures';
import type { ClusterSnapshot, DirProbeRequest, ProbeResult } from '../domain/probe';
import type { SegmentRow } from '../domain/segment';
import { probeDir } from '../cluster/segment/probeDir';
import { probeSource } from '../cluster/segment/sql';
import { withCoordinator } from '../cluster/catalog';
import type { ActivityContext } from './context';

export function createClusterActivities(actx: ActivityContext) {
  return {
    /** Catalog of the cluster, its flavour, and the addresses of its configured hosts (spares too). */
    async readCluster(cluster: string): Promise<ClusterSnapshot> {
      const ctx = await actx.cluster(cluster);
      const segments = await actx.segments(ctx);
      const hostAddresses: Record<string, string> = {};
      for (const s of segments) hostAddresses[s.hostname] = s.address;
      for (const [h, hc] of Object.entries(ctx.cfg.hosts ?? {})) hostAddresses[h] = hc.address ?? hostAddresses[h] ?? h;
      log.info(`cluster ${cluster}: ${ctx.summary.title}, ${segments.filter((s) => s.status === 'd').length} segment(s) down`);
      return { cluster, flavor: ctx.summary, segments, hostAddresses };
    },

    /** Live state of each target directory (port and room for moves) and of each copy source. */
    async probeTargets(input: { cluster: string; dirs: DirProbeRequest[]; sources: SegmentRow[] }): Promise<ProbeResult> {
      const ctx = await actx.cluster(input.cluster);
      const dirs = await Promise.all(input.dirs.map(async (d) => {
        try {
          return await probeDir(ctx.host(d.location), ctx.bin, d);
        } catch (err) {
          // A refused host key or login is the DBA's to fix, not an unreachable host to skip.
          if (err instanceof InvalidRequestError) throw err;
          return { location: d.location, reachable: false, error: (err as Error).message, exists: false, empty: true, postmasterLive: false, standbySignal: false };
        }
      }));
      const [sources, coordinatorChecksumVersion] = await Promise.all([
        Promise.all(input.sources.map((s) => probeSource(ctx, s.dbid, s))),
        withCoordinator(ctx.cfg, async (c) => Number((await c.query('SELECT data_page_checksum_version AS v FROM pg_control_init()')).rows[0].v)),
      ]);
      return { dirs, sources, coordinatorChecksumVersion };
    },
  };
}
