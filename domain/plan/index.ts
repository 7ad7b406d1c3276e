export { PlanError } from './planError';
export { selectTargets } from './selectTargets';
export { GiB, MIN_RSYNC_VERSION, probeRequests, validateTargets, versionBelow } from './validateTargets';
export { unbalancedPairs, type Swap } from './rebalancePairs';
