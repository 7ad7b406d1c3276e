// rsync's exit judged for a copy inside a backup. Output lines are rsync 3.5.0's and 3.2.7's, as printed here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../cluster/exec/local';
import { jobDirFor, jobLines, jobState, startJob } from '../../cluster/jobs';
import { RSYNC_DIAGNOSTIC_ERE, rsyncVerdict } from '../../domain/decide/rsyncExit';

const SUMMARY_23 = 'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]';
const shrank = (p: string) => `rsync: [sender] read errors mapping "${p}": No data available (61)`;

describe('rsync exit codes of a differential copy', () => {
  it('0 and 24 (files vanished: WAL recycled, tables dropped) are success, as unix.py Rsync.validate has it', () => {
    expect(rsyncVerdict(0, '')).toEqual({ ok: true });
    expect(rsyncVerdict(24, 'file has vanished: "/d/pg_wal/000000010000000000000003"\nrsync warning: some files vanished before they could be transferred (code 24) at main.c(1338) [sender=3.2.7]')).toEqual({ ok: true });
  });

  // The hole: a VACUUM or TRUNCATE on a busy primary cut a relation file while rsync read it; exit 23 failed the copy,
  // and on a busy primary every one of its three runs did (crash.test, clean clone at afc5602).
  it('23 from files that shrank while read is success, with a note naming them (base backup semantics)', () => {
    const out = [
      '     12,345,678  40%    2.01MB/s    0:00:05 (xfr#1, to-chk=9/20)',
      shrank('/data/primary/gpseg0/base/5/21425'),
      'file has vanished: "/data/primary/gpseg0/base/5/21426"',
      SUMMARY_23,
    ].join('\r');
    const v = rsyncVerdict(23, out);
    expect(v).toEqual({ ok: true, note: expect.stringMatching(/^1 file\(s\) shrank while rsync read them \(\/data\/primary\/gpseg0\/base\/5\/21425\); WAL replay/) });
  });

  it('a diagnostic run into a progress line without its newline is still read', () => {
    expect(rsyncVerdict(23, `  1,000 10%  1.00MB/s 0:00:01${shrank('/d/base/5/1')}\n${SUMMARY_23}`).ok).toBe(true);
    expect(rsyncVerdict(23, `  1,000 10%  1.00MB/s 0:00:01rsync: [sender] send_files failed to open "/d/base/5/2": Permission denied (13)\n${shrank('/d/base/5/1')}\n${SUMMARY_23}`).ok).toBe(false);
  });

  it('23 with any other error, without a shrunk file, or with deletions skipped is a failure', () => {
    expect(rsyncVerdict(23, `rsync: [sender] send_files failed to open "/d/base/5/2": Permission denied (13)\n${shrank('/d/base/5/1')}\n${SUMMARY_23}`).ok).toBe(false);
    expect(rsyncVerdict(23, `rsync: [generator] opendir "/d/base/7" failed: Permission denied (13)\n${SUMMARY_23}`).ok).toBe(false);
    expect(rsyncVerdict(23, SUMMARY_23).ok).toBe(false);
    expect(rsyncVerdict(23, `${shrank('/d/base/5/1')}\nIO error encountered -- skipping file deletion\n${SUMMARY_23}`).ok).toBe(false);
    expect(rsyncVerdict(12, 'rsync error: error in rsync protocol data stream (code 12)').ok).toBe(false);
  });

  it("the notes name three files and count the rest", () => {
    const out = [1, 2, 3, 4, 5].map((n) => shrank(`/d/base/5/${n}`)).concat(SUMMARY_23).join('\n');
    expect(rsyncVerdict(23, out)).toMatchObject({ ok: true, note: expect.stringContaining('5 file(s) shrank while rsync read them (/d/base/5/1, /d/base/5/2, /d/base/5/3 and 2 more)') });
  });

  // The tail a job's state keeps is 16 KiB: hours of progress push an early error out of it, so exit 23 is judged on
  // every diagnostic line of the job's whole output.
  it("a job's diagnostics are read from its whole output, and a cut list says so", async () => {
    const exec = new LocalExecutor('localhost');
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-rsyncexit-'));
    const dir = jobDirFor(path.join(base, 'data', 'gpseg0'), 'copy');
    const script = `printf '%s\\n' 'rsync: [sender] send_files failed to open "/d/base/5/2": Permission denied (13)' >&2
i=0; while [ $i -lt 2000 ]; do printf '\\r   %d,000 10%%  1.00MB/s 0:00:01 (xfr#1, to-chk=9/20)' $i; i=$((i+1)); done
printf '%s\\n%s\\n' '${shrank('/d/base/5/1')}' '${SUMMARY_23}' >&2; exit 23`;
    await startJob(exec, dir, 'run-1', ['sh', '-c', script]);
    let st = await jobState(exec, dir, 5000);
    for (let i = 0; i < 50 && st.state === 'running'; i++) st = await jobState(exec, dir, 200);
    expect(st).toMatchObject({ state: 'exited', code: 23 });
    const tail = (st as { output: string }).output;
    expect(tail).not.toContain('Permission denied');
    expect(rsyncVerdict(23, tail).ok, 'the tail alone hides the error').toBe(true);
    const all = await jobLines(exec, dir, RSYNC_DIAGNOSTIC_ERE);
    expect(all.complete).toBe(true);
    expect(all.lines.split('\n').filter(Boolean)).toEqual([expect.stringContaining('Permission denied (13)'), shrank('/d/base/5/1'), SUMMARY_23]);
    expect(rsyncVerdict(23, all.lines).ok).toBe(false);
    expect((await jobLines(exec, dir, RSYNC_DIAGNOSTIC_ERE, 100)).complete).toBe(false);
    spawnSync('rm', ['-rf', base]);
  });
});
