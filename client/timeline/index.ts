// A run's timeline for `gprecover show`: what it is (model.ts), how it is read from event histories
// (fromHistory.ts), and how it is printed (format.ts).
export type {
  ActivityStep,
  CatalogChange,
  ExecutionStatus,
  ExecutionTimeline,
  PlanItemView,
  PlanView,
  RunError,
  RunTimeline,
  StepOutcome,
} from './model';
export { buildRunTimeline, childExecutions, childKey, failureText, type TimelineSources } from './fromHistory';
export { formatDuration, formatTimeline } from './format';
