import type { SegmentRow } from '../domain/segment';
import type { ClusterContext } from './context';

const READ = String.raw`cat "$1/log/gp_era" 2>/dev/null || cat "$1/pg_log/gp_era" 2>/dev/null || true`;

/**
 * The coordinator's era (gppylib gp_era.read_era: `era = <hash>_<time>` in gp_era under its log directory), which
 * gpsegrecovery passes to every segment it starts as GPERA.
 */
export async function readEra(ctx: ClusterContext, segments: SegmentRow[]): Promise<string> {
  const coordinator = segments.find((s) => s.content === -1 && s.role === 'p');
  if (!coordinator) return 'None';
  const res = await ctx.host(coordinator).run(['sh', '-c', READ, 'gprecover-era', coordinator.datadir], { timeoutMs: 30_000 });
  // read_era returns None for a missing file, and gpsegrecovery then passes the string "None" on; so do we.
  return /^\s*era\s*=\s*(\w+)/m.exec(res.stdout)?.[1] ?? 'None';
}
