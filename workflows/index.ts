export { workerCheckWorkflow } from './workerCheck';
export { recoveryWorkflow } from './recovery';
export { segmentRecoveryWorkflow } from './segmentRecovery';
export { rebalanceWorkflow } from './rebalance';
export { autoRecoveryWorkflow } from './autoRecovery';
