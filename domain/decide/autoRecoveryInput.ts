// The recovery an automatic check starts for its decision: the normal recovery workflow's input.
import type { AutoDecision, AutoPolicy } from '../autoPolicy';
import type { RecoveryInput } from '../recovery';

export function recoveryInputFor(cluster: string, d: Exclude<AutoDecision, { action: 'skip' }>, policy: AutoPolicy, requestedBy: string): RecoveryInput {
  const type = d.action === 'recover' ? d.type : undefined;
  return {
    cluster,
    ...(type === 'full' ? { full: true } : type === 'differential' ? { differential: true } : {}),
    ...(policy.rebalance ? { rebalance: true, replayLagGB: policy.replayLagGB } : {}),
    requestedBy,
  };
}
