// Which pairs gprecoverseg -r returns to their preferred roles, and why the others stay.
import type { SkippedContent } from '../recovery';
import type { SegmentRow } from '../segment';

/** A pair that rebalance returns to its preferred roles. */
export interface Swap {
  content: number;
  actingPrimary: number;
  preferredPrimary: number;
}

/** Pairs up, synchronized and out of preferred role; the others are said why they stay. */
export function unbalancedPairs(segments: SegmentRow[]): { swaps: Swap[]; skipped: SkippedContent[] } {
  const segs = segments.filter((s) => s.content >= 0);
  const swaps: Swap[] = [];
  const skipped: SkippedContent[] = [];
  for (const preferred of segs.filter((s) => s.preferredRole === 'p' && s.role === 'm')) {
    const acting = segs.find((s) => s.content === preferred.content && s.dbid !== preferred.dbid);
    if (!acting) continue;
    if (acting.status !== 'u' || preferred.status !== 'u') {
      skipped.push({ content: preferred.content, dbid: preferred.dbid, reason: `Not rebalancing primary segment dbid ${acting.dbid} with its mirror dbid ${preferred.dbid} because one is down; recover it first` });
    } else if (acting.mode !== 's' || preferred.mode !== 's') {
      skipped.push({ content: preferred.content, dbid: preferred.dbid, reason: `Not rebalancing primary segment dbid ${acting.dbid} with its mirror dbid ${preferred.dbid} because they are not synchronized (mode n)` });
    } else {
      swaps.push({ content: preferred.content, actingPrimary: acting.dbid, preferredPrimary: preferred.dbid });
    }
  }
  return { swaps, skipped };
}
