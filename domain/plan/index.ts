export { PlanError } from './planError';
export { selectTargets } from './selectTargets';
export { MIN_RSYNC_VERSION, probeRequests, validateTargets, versionBelow } from './validateTargets';
export { largestFirst, type StartOrder } from './startOrder';
