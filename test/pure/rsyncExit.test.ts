// rsync's exit judged for a copy inside a backup. Output lines are rsync 3.5.0's and 3.2.7's, as printed here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../cluster/exec/local';
import { RSYNC, rsyncOutcome } from '../../cluster/segment/differentialCopy';
import { jobDirFor, jobOutputLines, jobState, killJob, startJob } from '../../cluster/jobs';
import { RSYNC_PROGRESS_ONLY_ERE, rsyncVerdict } from '../../domain/decide/rsyncExit';

const SUMMARY_23 = 'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]';
const shrank = (p: string) => `rsync: [sender] read errors mapping "${p}": No data available (61)`;

describe('rsync exit codes of a differential copy', () => {
  it('0 and 24 (files vanished: WAL recycled, tables dropped) are success, as unix.py Rsync.validate has it', () => {
    expect(rsyncVerdict(0, '')).toEqual({ ok: true });
    expect(rsyncVerdict(24, 'file has vanished: "/d/pg_wal/000000010000000000000003"\nrsync warning: some files vanished before they could be transferred (code 24) at main.c(1338) [sender=3.2.7]')).toEqual({ ok: true });
  });

  // The hole: a VACUUM or TRUNCATE on a busy primary cut a relation file while rsync read it; exit 23 failed the copy,
  // and on a busy primary every one of its three runs did (crash.test, clean clone at afc5602).
  it('23 from relation files that shrank while read is success, with a note naming them (base backup semantics)', () => {
    // As rsync 3.5.0 wrote it into one file (stdout and stderr), the summary run into the last progress line.
    const out = [
      '         32,768   0%    0.00kB/s    0:00:00  ',
      '     12,345,678  40%    2.01MB/s    0:00:05 (xfr#1, to-chk=9/20)',
      shrank('/data/primary/gpseg0/base/5/21425'),
      'file has vanished: "/data/primary/gpseg0/base/5/21426"',
      `     40,000,000 200%    7.97MB/s    0:00:04 (xfr#2, to-chk=0/4)${SUMMARY_23}`,
    ].join('\r');
    expect(rsyncVerdict(23, out)).toEqual({ ok: true, note: expect.stringMatching(/^1 relation file\(s\) shrank while rsync read them \(\/data\/primary\/gpseg0\/base\/5\/21425\); rsync sent them again/) });
    for (const file of ['global/1262', 'base/16384/16401_fsm', 'base/16384/16401.3', 'base/1/t3_16500', 'pg_tblspc/16390/PG_12_201909212/16384/16401', '/ts/7/GPDB_7_302307241/16384/16402.129']) {
      expect(rsyncVerdict(23, `${shrank(`/d/${file}`)}\n${SUMMARY_23}`).ok, file).toBe(true);
    }
    expect(rsyncVerdict(23, `Warning: Permanently added 'sdw1' (ED25519) to the list of known hosts.\n${shrank('/d/base/5/1')}\n${SUMMARY_23}`).ok).toBe(true);
  });

  // Review of the first version: lines that did not start with a known word were never looked at, so rsync's bare
  // "could not make way for new regular file: x" (a file not copied at all) passed with a shrunk file beside it.
  it('23 with any line nothing accounts for fails, and names that line', () => {
    const with1 = (line: string) => rsyncVerdict(23, `${shrank('/d/base/5/1')}\n${line}\n${SUMMARY_23}`);
    expect(with1('could not make way for new regular file: base/5/2')).toEqual({ ok: false, unexplained: 'could not make way for new regular file: base/5/2' });
    expect(with1('rsync: [sender] send_files failed to open "/d/base/5/2": Permission denied (13)').ok).toBe(false);
    expect(with1('rsync: [generator] opendir "/d/base/7" failed: Permission denied (13)').ok).toBe(false);
    expect(with1('IO error encountered -- skipping file deletion').ok).toBe(false);
    expect(with1('ERROR: base/5/3 failed verification -- update discarded.').ok).toBe(false);
    expect(with1(`  1,000 10%  1.00MB/s 0:00:01rsync: [sender] send_files failed to open "/d/base/5/2": Permission denied (13)`).ok).toBe(false);
    // Only a relation's file may shrink; two messages run into one line are not one shrunk file.
    expect(rsyncVerdict(23, `${shrank('/d/postgresql.conf')}\n${SUMMARY_23}`).ok).toBe(false);
    expect(rsyncVerdict(23, `rsync: read errors mapping "/d/base/5/1": Input/output error (5)rsync: read errors mapping "/d/base/5/2": No data available (61)\n${SUMMARY_23}`).ok).toBe(false);
    expect(rsyncVerdict(23, SUMMARY_23).ok).toBe(false);
    expect(rsyncVerdict(12, 'rsync error: error in rsync protocol data stream (code 12)').ok).toBe(false);
  });

  // The hole: in rsync's redo phase the bytes sent pass the total, so its progress shows ??:??:?? for the time left;
  // such a line was taken for an unknown diagnostic, and a differential copy under a VACUUM failed its first run
  // (realTopology in the clean clone at 298b97b: 2 copy attempts). The failure's message hid the line as progress.
  it('23 with progress whose time left is ??:??:?? (the redo phase) is success', () => {
    const out = [
      '     30,160,000  97%    3.95MB/s    0:00:07 (xfr#9, to-chk=42/54)',
      shrank('/d/base/5/16910'),
      '     56,145,728 181%    8.94MB/s   ??:??:??  ',
      `     61,000,000 196%    6.14MB/s    0:00:09 (xfr#52, to-chk=0/54)${SUMMARY_23}`,
    ].join('\r');
    expect(rsyncVerdict(23, out)).toMatchObject({ ok: true });
    // The host's grep leaves it out as progress, too.
    const grep = spawnSync('grep', ['-cE', RSYNC_PROGRESS_ONLY_ERE], { input: '     56,145,728 181%    8.94MB/s   ??:??:??  \n', encoding: 'utf8' });
    expect(grep.stdout.trim()).toBe('1');
  });

  it('a failure names the line nothing accounts for, even one that starts like progress', () => {
    const odd = '  1,000  10%  1.00MB/s  ??:?? odd';
    const outcome = rsyncOutcome('rsync into sdw1:/d', 23, `${shrank('/d/base/5/1')}\n${odd}\n${SUMMARY_23}`);
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toContain('(not accounted for: 1,000  10%  1.00MB/s  ??:?? odd)');
    expect(rsyncOutcome('rsync on sdw1', 24, 'file has vanished: "/d/pg_wal/1"')).toEqual({ note: undefined });
  });

  // rsync itself, through the job the copy step starts: a file cut while it is read, and resent long enough for the
  // redo phase to print progress past 100% (rsync prints progress about once a second; the resend takes 3 s).
  it('a real rsync of a file cut while read: exit 23, judged success from the job\'s whole output', async () => {
    const exec = new LocalExecutor('localhost');
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-rsyncshrink-'));
    const src = path.join(base, 'src');
    const dst = path.join(base, 'dst');
    const rel = path.join('base', '5');
    fs.mkdirSync(path.join(src, rel), { recursive: true });
    fs.mkdirSync(dst);
    for (let i = 1; i <= 20; i++) fs.writeFileSync(path.join(src, rel, String(i)), Buffer.alloc(8192, i));
    const big = path.join(src, rel, '16910');
    // Cut at 1 MB read to 9 MB: at 3 MB/s the sender reaches the cut 2.7 s later, and resends 9 MB in 3 s.
    fs.writeFileSync(big, Buffer.alloc(12_000_000, 7));
    const dir = jobDirFor(path.join(base, 'mirror', 'gpseg0'), 'copy');
    const deadline = Date.now() + 40_000;
    try {
      await startJob(exec, dir, 'run-1', [...RSYNC, '--bwlimit=3000', `${src}/`, `${dst}/`]);
      const reading = () => fs.existsSync(path.join(dst, rel)) && fs.readdirSync(path.join(dst, rel))
        .some((f) => f.startsWith('.16910.') && (fs.statSync(path.join(dst, rel, f), { throwIfNoEntry: false })?.size ?? 0) > 1_000_000);
      while (!reading()) {
        if (Date.now() > deadline) throw new Error('rsync never started on the big file');
        await new Promise((r) => setTimeout(r, 20));
      }
      fs.truncateSync(big, 9_000_000);
      let st = await jobState(exec, dir, 5000);
      while (st.state === 'running' && Date.now() < deadline) st = await jobState(exec, dir, 1000);
      expect(st).toMatchObject({ state: 'exited', code: 23 });
      const raw = fs.readFileSync(path.join(dir, 'out'), 'utf8');
      expect(raw, 'rsync printed progress past the total').toMatch(/\?\?:\?\?:\?\?/);
      const all = await jobOutputLines(exec, dir, RSYNC_PROGRESS_ONLY_ERE);
      expect(all.lines, 'the host left the redo phase\'s progress out').not.toMatch(/\?\?:\?\?:\?\?/);
      expect(rsyncOutcome('rsync into localhost:dst', 23, all.lines)).toEqual({ note: expect.stringContaining(big) });
      expect(fs.readFileSync(path.join(dst, rel, '16910')).equals(fs.readFileSync(big))).toBe(true);
    } finally {
      await killJob(exec, dir).catch(() => undefined);
      spawnSync('rm', ['-rf', base]);
    }
  }, 50_000);

  it('rsync 3.1 (no [sender] tag) reads the same', () => {
    expect(rsyncVerdict(23, `rsync: read errors mapping "/d/base/5/1": No data available (61)\nrsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1196) [generator=3.1.3]`).ok).toBe(true);
  });

  it('the notes name three files and count the rest', () => {
    const out = [1, 2, 3, 4, 5].map((n) => shrank(`/d/base/5/${n}`)).concat(SUMMARY_23).join('\n');
    expect(rsyncVerdict(23, out)).toMatchObject({ ok: true, note: expect.stringContaining('5 relation file(s) shrank while rsync read them (/d/base/5/1, /d/base/5/2, /d/base/5/3 and 2 more)') });
  });

  // The tail a job's state keeps is 16 KiB: hours of progress push an early error out of it, so exit 23 is judged on
  // every line of the job's whole output but its progress.
  it("a job's lines are read from its whole output, progress left out, and a cut list says so", async () => {
    const exec = new LocalExecutor('localhost');
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-rsyncexit-'));
    const dir = jobDirFor(path.join(base, 'data', 'gpseg0'), 'copy');
    const script = `printf '%s\\n' 'could not make way for new regular file: base/5/2' >&2
i=0; while [ $i -lt 2000 ]; do printf '\\r   %12s  10%%    1.00MB/s    0:00:01  ' "$i,000"; i=$((i+1)); done
printf '\\r %s (xfr#1, to-chk=0/4)' '40,000,000 200%    7.97MB/s    0:00:04'
printf '%s\\n%s\\n' '${shrank('/d/base/5/1')}' '${SUMMARY_23}' >&2; exit 23`;
    await startJob(exec, dir, 'run-1', ['sh', '-c', script]);
    let st = await jobState(exec, dir, 5000);
    for (let i = 0; i < 50 && st.state === 'running'; i++) st = await jobState(exec, dir, 200);
    expect(st).toMatchObject({ state: 'exited', code: 23 });
    const tail = (st as { output: string }).output;
    expect(tail).not.toContain('could not make way');
    expect(rsyncVerdict(23, tail).ok, 'the tail alone hides the error').toBe(true);
    const all = await jobOutputLines(exec, dir, RSYNC_PROGRESS_ONLY_ERE);
    expect(all.complete).toBe(true);
    // A progress line without its newline stays with the line run into it; the verdict strips it.
    expect(all.lines.split('\n').filter(Boolean)).toEqual(['could not make way for new regular file: base/5/2', ` 40,000,000 200%    7.97MB/s    0:00:04 (xfr#1, to-chk=0/4)${shrank('/d/base/5/1')}`, SUMMARY_23]);
    expect(rsyncVerdict(23, all.lines)).toEqual({ ok: false, unexplained: 'could not make way for new regular file: base/5/2' });
    expect((await jobOutputLines(exec, dir, RSYNC_PROGRESS_ONLY_ERE, 20)).complete).toBe(false);
    spawnSync('rm', ['-rf', base]);
  });
});
