// What each content needs, from the catalog alone: the one answer behind the plan, rebalance's pair selection, the
// automatic check and `gprecover state`. Pure and deterministic (workflows run it), every rule unit-tested.
import type { SegmentRow } from '../segment';

/** Which way a segment is rebuilt: from its content's acting primary, or why that cannot be done now. */
export type SourceDecision =
  | { action: 'recover'; reason: string; failed: SegmentRow; source: SegmentRow }
  /** No live copy to recover from: its peer is down too, or it has none. */
  | { action: 'double fault'; reason: string; failed: SegmentRow; peer?: SegmentRow }
  /** Its peer is up but not the acting primary yet: FTS promotes it within a few probe intervals. */
  | { action: 'wait'; until: 'promotion'; reason: string; failed: SegmentRow; peer: SegmentRow };

/**
 * `recover`: one segment down, its peer the acting primary; `rebalance`: the pair up and in sync out of its preferred
 * roles; `wait`: FTS has not promoted the peer yet, or the mirror is not in sync yet; `double fault`: nothing live to
 * recover from; `nothing`: up, in sync, in its preferred roles.
 */
export type ContentAction = { content: number } & (
  | SourceDecision
  | { action: 'rebalance'; reason: string; actingPrimary: SegmentRow; preferredPrimary: SegmentRow }
  | { action: 'wait'; until: 'sync'; reason: string }
  | { action: 'nothing'; reason: string }
);

/** `segment` (of `rows`, the content's or the cluster's) rebuilt from its peer, or why not. */
export function sourceFor(segment: SegmentRow, rows: SegmentRow[]): SourceDecision {
  const c = `content ${segment.content}`;
  const peer = rows.find((r) => r.content === segment.content && r.dbid !== segment.dbid);
  if (!peer) {
    const alone = segment.status === 'd' ? 'is down and has no mirror' : 'has no mirror or primary peer';
    return { action: 'double fault', reason: `${c}: dbid ${segment.dbid} ${alone}`, failed: segment };
  }
  if (peer.status === 'd') return { action: 'double fault', reason: `${c}: both dbid ${segment.dbid} and dbid ${peer.dbid} are down`, failed: segment, peer };
  if (peer.role !== 'p') return { action: 'wait', until: 'promotion', reason: `${c}: FTS has not promoted dbid ${peer.dbid} yet`, failed: segment, peer };
  return { action: 'recover', reason: `${c}: dbid ${segment.dbid} is down; it is rebuilt from its acting primary dbid ${peer.dbid}`, failed: segment, source: peer };
}

/** The action of one content, from its rows (in catalog order: the first segment down is the one named). */
export function contentAction(content: number, rows: SegmentRow[]): ContentAction {
  const own = rows.filter((r) => r.content === content);
  const c = `content ${content}`;
  const down = own.find((r) => r.status === 'd');
  if (down) return { content, ...sourceFor(down, own) };
  if (own.length > 1 && own.some((r) => r.mode === 'n')) {
    const mirror = own.find((r) => r.role === 'm');
    return { content, action: 'wait', until: 'sync', reason: `${c}: ${mirror ? `mirror dbid ${mirror.dbid}` : 'the mirror'} is not in sync yet (mode n)` };
  }
  const preferredPrimary = own.find((r) => r.preferredRole === 'p' && r.role === 'm');
  const actingPrimary = preferredPrimary && own.find((r) => r.dbid !== preferredPrimary.dbid);
  if (preferredPrimary && actingPrimary) {
    return {
      content, action: 'rebalance', actingPrimary, preferredPrimary,
      reason: `${c}: up and in sync out of its preferred roles; dbid ${preferredPrimary.dbid} returns to primary, dbid ${actingPrimary.dbid} to mirror`,
    };
  }
  return { content, action: 'nothing', reason: `${c}: up, in sync and in its preferred roles` };
}

/** One action per segment content, lowest first (the coordinator and its standby, content -1, are gpinitstandby's). */
export function contentActions(segments: SegmentRow[]): ContentAction[] {
  const rows = segments.filter((r) => r.content >= 0);
  return [...new Set(rows.map((r) => r.content))].sort((a, b) => a - b).map((content) => contentAction(content, rows));
}
