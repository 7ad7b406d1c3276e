import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair, type TypedSearchAttributes } from '@temporalio/common';

/** Custom search attributes every run carries, for the audit trail (`gprecover history`). */
export const ClusterNameKey = defineSearchAttributeKey('ClusterName', SearchAttributeType.KEYWORD);
export const ContentIdsKey = defineSearchAttributeKey('ContentIds', SearchAttributeType.KEYWORD_LIST);
export const RecoveryTypeKey = defineSearchAttributeKey('RecoveryType', SearchAttributeType.KEYWORD);
export const RecoveryOutcomeKey = defineSearchAttributeKey('RecoveryOutcome', SearchAttributeType.KEYWORD);
/** What an automatic run decided: started, skipped or failed (its memo says why). */
export const AutoDecisionKey = defineSearchAttributeKey('AutoDecision', SearchAttributeType.KEYWORD);
/** When a running recovery should be done, by its copies' rates: a column the Web UI's list can show. */
export const RecoveryEtaKey = defineSearchAttributeKey('RecoveryEta', SearchAttributeType.DATETIME);

export const ALL_SEARCH_ATTRIBUTES = [ClusterNameKey, ContentIdsKey, RecoveryTypeKey, RecoveryOutcomeKey, AutoDecisionKey, RecoveryEtaKey];

/** Each type as `temporal operator search-attribute create --type` and `temporal server start-dev --search-attribute` spell it. */
export const CLI_TYPE_NAMES: Partial<Record<SearchAttributeType, string>> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
  [SearchAttributeType.DATETIME]: 'Datetime',
};

/** Values of RecoveryType: a run's recovery type, 'mixed' for several (-i with per-line types), or a rebalance. */
export const RECOVERY_TYPES = ['full', 'incremental', 'differential', 'rebalance', 'mixed'] as const;

/** Values of RecoveryOutcome: how a run (or an automatic check's recovery) ended; 'invalid' is a refused request. */
export const OUTCOMES = { succeeded: 'succeeded', failed: 'failed', invalid: 'invalid', cancelled: 'cancelled', dryRun: 'dry-run' } as const;
export type Outcome = (typeof OUTCOMES)[keyof typeof OUTCOMES];

/** Values of AutoDecision that autoRecoveryWorkflow writes. */
export const AUTO_DECISIONS = ['started', 'skipped', 'failed', 'awaiting-approval'] as const;

/** Temporal refuses (and terminates the run for) a search attribute value over 2 KiB by default. */
export const SEARCH_ATTRIBUTE_VALUE_BUDGET = 1800;

/**
 * As many content ids as fit one search attribute value, lowest first. A run over hundreds of contents keeps a
 * prefix; every segment's child workflow carries its own content id, so each content stays searchable.
 */
export function contentIdsThatFit(contents: number[], budget = SEARCH_ATTRIBUTE_VALUE_BUDGET): string[] {
  const out: string[] = [];
  let size = 2; // []
  for (const c of [...new Set(contents)].sort((a, b) => a - b)) {
    const item = JSON.stringify(String(c)).length + (out.length ? 1 : 0);
    if (size + item > budget) break;
    out.push(String(c));
    size += item;
  }
  return out;
}

/** What a segment's child workflow carries: its parent gives them at its start, an older parent's child upserts them. */
export function segmentSearchAttributes(cluster: string, item: { content: number; type: string }): SearchAttributePair[] {
  return [
    { key: ClusterNameKey, value: cluster },
    { key: ContentIdsKey, value: [String(item.content)] },
    { key: RecoveryTypeKey, value: item.type },
  ];
}

/** Whether a run started with these attributes already (an upsert of them would add an event and a visibility write). */
export function startedWith(attributes: TypedSearchAttributes, pairs: SearchAttributePair[]): boolean {
  return pairs.every((p) => JSON.stringify(attributes.get(p.key as never)) === JSON.stringify(p.value));
}
