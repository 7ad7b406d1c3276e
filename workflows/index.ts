export { workerCheckWorkflow } from './workerCheck';
