// `gprecover state`'s words for what each content needs: the contents' actions (domain/decide), as gpstate-like labels.
import { contentActions, type ContentAction } from '../../domain/decide';
import type { SegmentRow } from '../../domain/segment';

/**
 * `recover`: one segment down, its peer the acting primary (gprecover start-recovery); `rebalance`: the pair up and in
 * sync but out of its preferred roles (gprecover rebalance); `double fault`: both down (no live copy to recover
 * from); `down`: a content without a mirror whose only segment is down; `catching up`: both up, the mirror not yet in
 * sync (FTS marks it 's' when it has caught up); `waiting for FTS`: its primary is down and FTS has not promoted the
 * mirror yet.
 */
export type StateAction = 'recover' | 'rebalance' | 'double fault' | 'down' | 'catching up' | 'waiting for FTS';

export interface ContentState {
  content: number;
  /** null: nothing to do. */
  action: StateAction | null;
  /** Why, when there is something to do (domain/decide's reason). */
  reason?: string;
}

export function stateAction(a: ContentAction): StateAction | null {
  switch (a.action) {
    case 'recover':
    case 'rebalance':
      return a.action;
    case 'double fault':
      return a.peer ? 'double fault' : 'down';
    case 'wait':
      return a.until === 'sync' ? 'catching up' : 'waiting for FTS';
    case 'nothing':
      return null;
  }
}

/** One entry per segment content (the coordinator and its standby, content -1, are gpinitstandby's business). */
export function contentStates(rows: SegmentRow[]): ContentState[] {
  return contentActions(rows).map((a) => {
    const action = stateAction(a);
    return action ? { content: a.content, action, reason: a.reason } : { content: a.content, action };
  });
}

const NEXT_STEP: Partial<Record<StateAction, string>> = {
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

/** Each content's reason under the summary, one line each. */
export const reasonLines = (contents: ContentState[]): string[] => contents.flatMap((c) => (c.reason ? [`  ${c.reason}`] : []));
