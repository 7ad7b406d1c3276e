// What an automatic check leaves on its own visibility record, where `history --auto` and `auto status` read it.
import { upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { AutoDecisionName, AutoRunMemo } from '../domain/autoPolicy';
import { AutoDecisionKey, ClusterNameKey, ContentIdsKey, contentIdsThatFit, RecoveryTypeKey } from '../domain/searchAttributes';

/** A skip is notified again only when this changes from one decision to the next. */
export const keyOf = (code: string, contents: number[]) => `${code}:${contents.join(',')}`;

export const withoutUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The decision on the run's search attributes (AutoDecision, ContentIds, RecoveryType), its reason in the memo. */
export function recordDecision(requestedBy: string, decision: AutoDecisionName, memo: AutoRunMemo, contents: number[], type?: string): void {
  upsertSearchAttributes([
    { key: AutoDecisionKey, value: decision },
    { key: ContentIdsKey, value: contentIdsThatFit(contents) },
    ...(type ? [{ key: RecoveryTypeKey, value: type }] : []),
  ]);
  upsertMemo(withoutUndefined({ requestedBy, ...memo }));
}

/** Input no policy can be read from: the check fails, and says why where `auto status` looks. */
export function recordRefusedInput(input: unknown, message: string): void {
  const cluster = (input as { cluster?: unknown } | undefined)?.cluster;
  if (typeof cluster === 'string' && cluster) upsertSearchAttributes([{ key: ClusterNameKey, value: cluster }]);
  upsertSearchAttributes([{ key: AutoDecisionKey, value: 'failed' }]);
  upsertMemo({ reason: `the input was refused: ${message}`.slice(0, 500), code: 'check-failed' });
}
