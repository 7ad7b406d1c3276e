/**
 * What parent runs answered when asked for their plan, by run (workflow id and run id). A run's plan is fixed before
 * its first child starts, so a worker asks each run once instead of once per child: a thousand children no longer
 * each carry the whole plan through the server, and eight started at once no longer queue eight queries behind
 * the parent's workflow tasks. Callers asking while a question is out share it; a failed question is forgotten.
 */
export class RunPlanCache<T> {
  private readonly answers = new Map<string, Promise<T>>();

  constructor(private readonly maxRuns = 64) {}

  /** The run's answer, asked with `ask` unless it was asked before; `fresh` asks again (and keeps the new answer). */
  get(run: string, ask: () => Promise<T>, fresh = false): Promise<T> {
    const known = this.answers.get(run);
    if (known && !fresh) return known;
    const asked = ask();
    this.answers.delete(run);
    this.answers.set(run, asked);
    asked.catch(() => {
      if (this.answers.get(run) === asked) this.answers.delete(run);
    });
    while (this.answers.size > this.maxRuns) this.answers.delete(this.answers.keys().next().value!);
    return asked;
  }
}
