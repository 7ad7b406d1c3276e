import type { RecoveryType } from '../domain/recovery';
import type { Executor } from './exec/executor';
import { runChecked } from './exec/executor';

/** gprecoverseg's file for gpstate -e, in its log directory on the coordinator host (buildMirrorSegments.py). */
export const PROGRESS_FILE = 'recovery_progress.file';

/**
 * The line patterns gpstate keeps (get_recovery_progress_pattern): pg_basebackup and pg_rewind print
 * "164848/1371715 kB (84%)", rsync --info=progress2 "1,036,923,510  99%   39.90MB/s    0:00:24".
 */
export function isProgressLine(type: RecoveryType, line: string): boolean {
  return type === 'differential' ? / +\d+% +\d+(\.\d+)?(kB|MB|GB)\/s/.test(line) : /\d+\/\d+ (kB|mB) \(\d+%\)/.test(line);
}

/** `<type>:<dbid>:<the tool's last progress line>`, one per segment copying. */
export function progressFileLines(entries: Array<{ type: RecoveryType; dbid: number; line: string }>): string {
  return entries.filter((e) => isProgressLine(e.type, e.line)).map((e) => `${e.type}:${e.dbid}:${e.line.trim()}\n`).join('');
}

// The directory defaults to ~/gpAdminLogs of the OS user on the coordinator host, as gplog.get_logger_dir().
const WRITE = String.raw`d=$1; [ -n "$d" ] || d="$HOME/gpAdminLogs"; mkdir -p "$d" && cat > "$d/.${PROGRESS_FILE}.tmp" && mv "$d/.${PROGRESS_FILE}.tmp" "$d/${PROGRESS_FILE}"`;
const REMOVE = String.raw`d=$1; [ -n "$d" ] || d="$HOME/gpAdminLogs"; rm -f "$d/${PROGRESS_FILE}" "$d/.${PROGRESS_FILE}.tmp"`;

export async function writeProgressFile(exec: Executor, logDirectory: string | undefined, content: string): Promise<void> {
  await runChecked(exec, ['sh', '-c', WRITE, 'gprecover-progress', logDirectory ?? ''], { input: content, timeoutMs: 30_000 });
}

export async function removeProgressFile(exec: Executor, logDirectory: string | undefined): Promise<void> {
  await runChecked(exec, ['sh', '-c', REMOVE, 'gprecover-progress', logDirectory ?? ''], { timeoutMs: 30_000 });
}
