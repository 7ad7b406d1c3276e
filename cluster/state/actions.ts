// What needs doing per content, from the catalog alone: pure, so every rule is unit-tested.
import type { SegmentRow } from '../../domain/segment';

/**
 * `recover`: one segment down, its peer up (gprecover start-recovery); `rebalance`: the pair up and in sync but out of
 * its preferred roles (gprecover rebalance); `double fault`: both down (no live copy to recover from); `catching up`:
 * both up, the mirror not yet in sync (FTS marks it 's' when it has caught up); `down`: a content without a mirror
 * whose only segment is down.
 */
export type ContentAction = 'recover' | 'rebalance' | 'double fault' | 'catching up' | 'down';

export interface ContentState {
  content: number;
  /** null: nothing to do. */
  action: ContentAction | null;
}

export function actionFor(rows: SegmentRow[]): ContentAction | null {
  const up = rows.filter((r) => r.status === 'u');
  if (up.length === 0) return rows.length > 1 ? 'double fault' : 'down';
  if (up.length < rows.length) return 'recover';
  if (rows.some((r) => r.mode === 'n') && rows.length > 1) return 'catching up';
  if (rows.some((r) => r.role !== r.preferredRole)) return 'rebalance';
  return null;
}

/** One entry per segment content (the coordinator and its standby, content -1, are gpinitstandby's business). */
export function contentActions(rows: SegmentRow[]): ContentState[] {
  const contents = [...new Set(rows.filter((r) => r.content >= 0).map((r) => r.content))].sort((a, b) => a - b);
  return contents.map((content) => ({ content, action: actionFor(rows.filter((r) => r.content === content)) }));
}

const NEXT_STEP: Partial<Record<ContentAction, string>> = {
  recover: 'gprecover start-recovery',
  rebalance: 'gprecover rebalance',
};

/** 'to do: content 0 recover, content 2 rebalance (gprecover start-recovery; gprecover rebalance)', or 'nothing to do'. */
export function actionSummary(contents: ContentState[]): string {
  const todo = contents.filter((c) => c.action !== null);
  if (!todo.length) return 'nothing to do: every segment is up, in sync and in its preferred role';
  const steps = [...new Set(todo.map((c) => NEXT_STEP[c.action!]).filter(Boolean))];
  return `to do: ${todo.map((c) => `content ${c.content} ${c.action}`).join(', ')}${steps.length ? ` (${steps.join('; ')})` : ''}`;
}
