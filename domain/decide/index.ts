// The pure decisions, each with its reason: what every content needs, which pairs rebalance swaps, whether an
// automatic check starts a run. Workflows, the plan and `gprecover state` all decide through these.
export { contentAction, contentActions, sourceFor, type ContentAction, type SourceDecision } from './contentAction';
export { unbalancedPairs, type Swap } from './rebalancePairs';
export { overReplayLag } from './replayLag';
export { autoNeeds, type AutoNeeds, type RebalanceCandidate } from './autoNeeds';
export { DAY_MS, decide } from './autoDecision';
export { inQuietHours, minutesOfDay } from './quietHours';
export { recoveryInputFor } from './autoRecoveryInput';
