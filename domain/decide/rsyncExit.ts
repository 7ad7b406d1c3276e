/**
 * Whether an rsync of a live data directory inside a backup copied what WAL replay needs.
 *
 * - Exit 24 (files vanished: WAL recycled, tables dropped) is success, as gpMgmt's unix.py Rsync.validate has it.
 * - Exit 23 is success only when every error is a file that shrank while rsync read it ("read errors mapping ...:
 *   No data available (61)": a VACUUM or TRUNCATE cut a relation on a busy primary) and rsync still did its deletions.
 *   PostgreSQL's own base backup does the same with such a file (basebackup.c pads it and goes on): the truncation
 *   is in the WAL after the backup's start point, and replay applies it. Anything else in exit 23 (a file rsync
 *   could not open, a directory it could not list) is a copy with holes, and fails.
 */
export type RsyncVerdict = { ok: true; note?: string } | { ok: false };

const SHRANK = /^rsync: (?:\[\w+\] )?read errors mapping "(.+)": .*\(61\)$/;
const VANISHED = /^file has vanished: "(.+)"$/;
/** The receiver's checksum of a changed file did not match: rsync sends that file again in its redo phase. */
const REDONE = /^WARNING: .* failed verification -- update discarded \(will try again\)\.?$/;
const SUMMARY = /^rsync (?:error|warning): some files(?:\/attrs were not transferred \(see previous errors\) \(code 23\)| vanished before they could be transferred \(code 24\))/;
/** What rsync prints instead of deleting when it met an I/O error: the target would keep files the source dropped. */
const DELETIONS_SKIPPED = /IO error encountered -- skipping file deletion/;
/**
 * Where one of rsync's own diagnostics starts in a line (an ERE, for grep on the host too); everything else in its
 * output is progress. A progress line without its newline may run into a diagnostic written after it.
 */
export const RSYNC_DIAGNOSTIC_ERE = '(rsync( error| warning)?: |ERROR|WARNING|file has vanished|IO error encountered).*';
const DIAGNOSTIC = new RegExp(RSYNC_DIAGNOSTIC_ERE);

export function rsyncVerdict(code: number, output: string): RsyncVerdict {
  if (code === 0 || code === 24) return { ok: true };
  if (code !== 23 || DELETIONS_SKIPPED.test(output)) return { ok: false };
  const shrank: string[] = [];
  for (const raw of output.split(/[\r\n]+/)) {
    const found = DIAGNOSTIC.exec(raw);
    if (!found) continue;
    const line = found[0].trim();
    const m = SHRANK.exec(line);
    if (m) shrank.push(m[1]);
    else if (!VANISHED.test(line) && !REDONE.test(line) && !SUMMARY.test(line)) return { ok: false };
  }
  if (shrank.length === 0) return { ok: false };
  const named = shrank.slice(0, 3).join(', ') + (shrank.length > 3 ? ` and ${shrank.length - 3} more` : '');
  return { ok: true, note: `${shrank.length} file(s) shrank while rsync read them (${named}); WAL replay from the backup's start applies the truncation` };
}
