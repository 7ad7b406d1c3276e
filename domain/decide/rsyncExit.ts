/**
 * Whether an rsync of a live data directory inside a backup copied what WAL replay needs.
 *
 * - Exit 24 (files vanished: WAL recycled, tables dropped) is success, as gpMgmt's unix.py Rsync.validate has it.
 * - Exit 23 is success only when every line rsync printed besides its progress is a relation file that shrank while
 *   rsync read it ("read errors mapping ...: No data available (61)": a VACUUM or TRUNCATE on a busy primary), a
 *   vanished file, rsync's resend of a file whose checksum failed, or its closing summary, and it did its deletions.
 *   rsync sends such a file again in its redo phase (a failed resend says "ERROR: ... failed verification"), and
 *   whatever it holds, the truncation is in the WAL after the backup's start point: replay applies it, as it does to
 *   a file PostgreSQL's own base backup read while it shrank (basebackup.c pads it and goes on). Any other line (a
 *   file rsync could not open or replace, a directory it could not list, one it does not know) fails the copy.
 */
/** A failure names the first line nothing accounts for, when there is one. */
export type RsyncVerdict = { ok: true; note?: string } | { ok: false; unexplained?: string };

/** A relation's file (main fork, FSM, VM, init fork, 1 GB segment, AO segment) in base/, global/ or a tablespace. */
const RELATION_FILE = /(?:^|\/)(?:base\/\d+|global|(?:PG|GPDB)_[^/]+\/\d+)\/(?:t\d+_)?\d+(?:_fsm|_vm|_init)?(?:\.\d+)?$/;
const SHRANK = /^rsync: (?:\[\w+\] )?read errors mapping "([^"]*)": [^"]*\(61\)$/;
const ALLOWED = [
  /^file has vanished: "[^"]*"$/,
  /^WARNING: [^"]* failed verification -- update discarded \(will try again\)\.?$/,
  /^rsync error: some files\/attrs were not transferred \(see previous errors\) \(code 23\) at /,
  /^rsync warning: some files vanished before they could be transferred \(code 24\) at /,
  // The target host's own ssh to the source host, the first time it meets it.
  /^Warning: Permanently added .* to the list of known hosts\.$/,
];
/**
 * rsync --info=progress2: bytes, percent, rate, time left, and the file counts (a diagnostic may follow on the line).
 * The time left is ??:??:?? when it is negative: in the redo phase the bytes sent pass the total (a shrunk file is sent
 * twice), and rsync 3.x prints it so (progress.c rprint_progress).
 */
const PROGRESS_ERE = ' *[0-9,]+ +[0-9]+% +[0-9.]+[kMGTP]?B/s +([0-9]+:[0-9]{2}:[0-9]{2}|[?]{2}:[?]{2}:[?]{2})( +\\((xfr#[0-9]+, )?(to|ir)-chk=[0-9]+/[0-9]+\\))?';
const PROGRESS = new RegExp(`^${PROGRESS_ERE}`);
/** A line that is only progress, or blank (an ERE, for grep on the host, which leaves such lines out). */
export const RSYNC_PROGRESS_ONLY_ERE = `^(${PROGRESS_ERE})?[[:space:]]*$`;

export function rsyncVerdict(code: number, output: string): RsyncVerdict {
  if (code === 0 || code === 24) return { ok: true };
  if (code !== 23) return { ok: false };
  const shrank: string[] = [];
  for (const raw of output.split(/[\r\n]+/)) {
    const line = raw.replace(PROGRESS, '').trim();
    if (!line) continue;
    const m = SHRANK.exec(line);
    if (m && RELATION_FILE.test(m[1])) shrank.push(m[1]);
    else if (!ALLOWED.some((a) => a.test(line))) return { ok: false, unexplained: line };
  }
  if (shrank.length === 0) return { ok: false };
  const named = shrank.slice(0, 3).join(', ') + (shrank.length > 3 ? ` and ${shrank.length - 3} more` : '');
  return { ok: true, note: `${shrank.length} relation file(s) shrank while rsync read them (${named}); rsync sent them again, and WAL replay from the backup's start applies the truncation` };
}
