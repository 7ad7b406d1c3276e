// Which pairs gprecoverseg -r returns to their preferred roles, and why the others stay: the contents' actions
// (contentAction.ts), in rebalanceSegments.py's words.
import type { SkippedContent } from '../recovery';
import type { SegmentRow } from '../segment';
import { contentAction } from './contentAction';

/** A pair that rebalance returns to its preferred roles. */
export interface Swap {
  content: number;
  actingPrimary: number;
  preferredPrimary: number;
  /** Why: the content's action (contentAction.ts). */
  reason: string;
}

/** Pairs up, synchronized and out of preferred role; the others are said why they stay. */
export function unbalancedPairs(segments: SegmentRow[]): { swaps: Swap[]; skipped: SkippedContent[] } {
  const segs = segments.filter((s) => s.content >= 0);
  const swaps: Swap[] = [];
  const skipped: SkippedContent[] = [];
  // In catalog order of the preferred primaries, as rebalanceSegments.py walks them.
  for (const preferred of segs.filter((s) => s.preferredRole === 'p' && s.role === 'm')) {
    const acting = segs.find((s) => s.content === preferred.content && s.dbid !== preferred.dbid);
    if (!acting) continue;
    const decided = contentAction(preferred.content, segs);
    const not = `Not rebalancing primary segment dbid ${acting.dbid} with its mirror dbid ${preferred.dbid} because`;
    if (decided.action === 'rebalance') {
      swaps.push({ content: preferred.content, actingPrimary: acting.dbid, preferredPrimary: preferred.dbid, reason: decided.reason });
    } else if (decided.action === 'wait' && decided.until === 'sync') {
      skipped.push({ content: preferred.content, dbid: preferred.dbid, reason: `${not} they are not synchronized (mode n)` });
    } else {
      skipped.push({ content: preferred.content, dbid: preferred.dbid, reason: `${not} one is down; recover it first` });
    }
  }
  return { swaps, skipped };
}
