import type { Executor, RunOptions, RunResult } from './executor';

/** One command run on a host: what ran there, as the host's shell saw it named. */
export interface CommandRecord {
  host: string;
  /** The program, or for `sh -c SCRIPT NAME …` the script's name (gprecover-probe, gprecover-job …). */
  what: string;
}

/**
 * Which hosts a worker reached and with what (docs/ssh-reach.md keeps the table, test/cluster/sshReach.test.ts keeps
 * it true). Off unless enabled: in production nothing is recorded.
 */
class CommandLog {
  private records: CommandRecord[] | undefined;

  enable(): void {
    this.records = [];
  }

  /** What has been recorded so far, recording on. */
  recorded(): CommandRecord[] {
    return [...(this.records ?? [])];
  }

  disable(): CommandRecord[] {
    const out = this.records ?? [];
    this.records = undefined;
    return out;
  }

  record(host: string, argv: string[]): void {
    if (!this.records) return;
    this.records.push({ host, what: nameOf(argv) });
  }
}

/** `bash -c SOURCE_ENV gprecover-env GPHOME cmd …` (the environment script) is the command it runs. */
function nameOf(argv: string[]): string {
  let a = argv;
  if (a[0] === 'bash' && a[1] === '-c' && a[3] === 'gprecover-env') a = a.slice(5);
  if (a[0] === 'env') a = a.slice(1).filter((x, i, all) => i >= all.findIndex((y) => !y.includes('=')));
  if ((a[0] === 'sh' || a[0] === 'bash') && a[1] === '-c') return a[3] ?? 'sh -c';
  return a[0]?.split('/').pop() ?? '';
}

export const commandLog = new CommandLog();

/** An executor that tells the command log what it runs. */
export class RecordingExecutor implements Executor {
  readonly kind: Executor['kind'];
  readonly host: string;
  readonly maxConcurrency: number | undefined;

  constructor(private readonly inner: Executor) {
    this.kind = inner.kind;
    this.host = inner.host;
    this.maxConcurrency = inner.maxConcurrency;
  }

  run(argv: string[], opts?: RunOptions): Promise<RunResult> {
    commandLog.record(this.host, argv);
    return this.inner.run(argv, opts);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
