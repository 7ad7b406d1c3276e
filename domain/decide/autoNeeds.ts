// What the catalog alone says an automatic check must look into: the automatic run gathers facts only for these.
import type { AutoPolicy } from '../autoPolicy';
import type { ClusterSnapshot } from '../probe';
import type { SegmentRow } from '../segment';
import { contentActions, type ContentAction } from './contentAction';
import { unbalancedPairs } from './rebalancePairs';

export interface RebalanceCandidate {
  content: number;
  actingPrimary: number;
}

export interface AutoNeeds {
  /** Segments FTS marks down, in catalog order. */
  down: SegmentRow[];
  /** Each content's action: the decision reads the contents of the segments down from it. */
  actions: Map<number, ContentAction>;
  /** Acting primaries of the contents to recover: the copies' sources, asked whether they answer. */
  sources: SegmentRow[];
  /** With rebalance in the policy and nothing down: pairs up, in sync and out of their preferred roles. */
  rebalance: RebalanceCandidate[];
  /** Pairs out of their preferred roles whose mirror is not in sync yet (rebalance waits for them). */
  unsynchronized: number[];
}

export function autoNeeds(snapshot: ClusterSnapshot, policy: Pick<AutoPolicy, 'rebalance'>): AutoNeeds {
  const rows = snapshot.segments.filter((s) => s.content >= 0);
  const actions = new Map(contentActions(rows).map((a) => [a.content, a]));
  const down = rows.filter((s) => s.status === 'd');
  const sources = down.map((d) => actions.get(d.content)!).flatMap((a) => (a.action === 'recover' ? [a.source] : []));
  let rebalance: RebalanceCandidate[] = [];
  let unsynchronized: number[] = [];
  if (policy.rebalance && !down.length) {
    // What the rebalance it would start decides: with nothing down, a pair it leaves alone is one not in sync yet.
    const { swaps, skipped } = unbalancedPairs(rows);
    rebalance = swaps.map((s) => ({ content: s.content, actingPrimary: s.actingPrimary }));
    unsynchronized = skipped.map((s) => s.content);
  }
  return { down, actions, sources: [...new Map(sources.map((s) => [s.dbid, s])).values()], rebalance, unsynchronized };
}
