import { InvalidRequestError } from '../failures';

/** What the plan refuses, every problem at once: one line, exit 2, nothing changed. */
export class PlanError extends InvalidRequestError {
  override name = 'PlanError';
  readonly problems: string[];
  constructor(problems: string[]) {
    problems = [...new Set(problems)];
    super(problems.length === 1 ? problems[0] : `${problems.length} problems: ${problems.join('; ')}`);
    this.problems = problems;
  }
}
