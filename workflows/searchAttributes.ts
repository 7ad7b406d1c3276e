import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes every run carries, for the audit trail (`gprecover history`). */
export const ClusterName = defineSearchAttributeKey('ClusterName', SearchAttributeType.KEYWORD);
export const ContentIds = defineSearchAttributeKey('ContentIds', SearchAttributeType.KEYWORD_LIST);
export const RecoveryType = defineSearchAttributeKey('RecoveryType', SearchAttributeType.KEYWORD);
export const RecoveryOutcome = defineSearchAttributeKey('RecoveryOutcome', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [ClusterName, ContentIds, RecoveryType, RecoveryOutcome];
