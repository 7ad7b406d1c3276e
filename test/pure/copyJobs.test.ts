import { setTimeout as sleep } from 'node:timers/promises';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../cluster/exec/local';
import type { Executor } from '../../cluster/exec/executor';
import { jobDirFor, jobState, jobTails, killJob, removeJob, startJob } from '../../cluster/jobs';
import { GUARD_FRESH_MS, runCopyJob } from '../../cluster/segment/copyJob';
import { SafetyError } from '../../cluster/segment/errors';

/** Running: an ended process nothing has reaped yet (a zombie, state Z) has exited too. */
const alive = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

describe('detached jobs on a segment host', () => {
  const exec = new LocalExecutor('localhost');
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-jobs-'));

  it('outlive the call that started them, report output and exit code', async () => {
    const dir = jobDirFor(path.join(base, 'data', 'gpseg0'), 'copy');
    expect(dir).toBe(path.join(base, 'data', '.gprecover', 'gpseg0.copy'));
    await startJob(exec, dir, 'run-1', ['sh', '-c', 'echo "10/20 kB (50%)"; sleep 0.5; echo done; exit 3']);
    expect(await jobState(exec, dir)).toMatchObject({ state: 'running', owner: 'run-1' });
    for (let i = 0; i < 50 && (await jobState(exec, dir)).state === 'running'; i++) await sleep(100);
    expect(await jobState(exec, dir)).toMatchObject({ state: 'exited', code: 3, owner: 'run-1', lastLine: 'done' });
    await removeJob(exec, dir);
    expect(await jobState(exec, dir)).toEqual({ state: 'absent' });
  });

  it('a status call with a wait budget answers as soon as the job ends, and at the end of the budget otherwise', async () => {
    const dir = jobDirFor(path.join(base, 'data', 'gpseg2'), 'copy');
    await startJob(exec, dir, 'run-3', ['sh', '-c', 'sleep 0.4; exit 0']);
    let t0 = Date.now();
    expect(await jobState(exec, dir, 5000)).toMatchObject({ state: 'exited', code: 0 });
    expect(Date.now() - t0).toBeLessThan(2500);
    await startJob(exec, dir, 'run-4', ['sleep', '30']);
    t0 = Date.now();
    expect(await jobState(exec, dir, 1000)).toMatchObject({ state: 'running', owner: 'run-4' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    await killJob(exec, dir);
  });

  it("tails give each job's latest progress line, also when the tool separates its updates with carriage returns", async () => {
    const dir = jobDirFor(path.join(base, 'data', 'gpseg3'), 'copy');
    await startJob(exec, dir, 'run-5', ['sh', '-c', String.raw`printf '      1,024   1%%    1.00MB/s\r    512,000  50%%   10.00MB/s\r  1,024,000 100%%   20.00MB/s\n\n'`]);
    await jobState(exec, dir, 5000);
    expect(await jobTails(exec, [dir, path.join(base, 'data', 'none')])).toEqual(new Map([[dir, '  1,024,000 100%   20.00MB/s']]));
    await removeJob(exec, dir);
  });

  it('kill ends the whole process group, children included', async () => {
    const dir = jobDirFor(path.join(base, 'data', 'gpseg1'), 'copy');
    const pid = await startJob(exec, dir, 'run-2', ['sh', '-c', 'sleep 300 & echo $! > "$0/child"; wait', dir]);
    for (let i = 0; i < 50 && !fs.existsSync(path.join(dir, 'child')); i++) await sleep(50);
    const child = Number(fs.readFileSync(path.join(dir, 'child'), 'utf8'));
    expect(alive(pid) && alive(child)).toBe(true);
    await killJob(exec, dir);
    await sleep(200);
    expect({ job: alive(pid), child: alive(child) }).toEqual({ job: false, child: false });
    expect((await jobState(exec, dir)).state).toBe('vanished');
  });
  it('a job holds a lock for its life, so a waiting status call wakes at its end, also when it is killed', async () => {
    const dir = jobDirFor(path.join(base, 'data', 'gpseg4'), 'copy');
    const lockFree = () => spawnSync('flock', ['-n', path.join(dir, 'lock'), 'true']).status === 0;
    await startJob(exec, dir, 'run-6', ['sleep', '30']);
    // Without the lock a waiter could only look again every 50 ms.
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(true);
    expect(lockFree()).toBe(false);
    const waiting = jobState(exec, dir, 20_000);
    await sleep(300);
    const t0 = Date.now();
    process.kill(-Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8')), 'SIGKILL');
    expect((await waiting).state).toBe('vanished');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(lockFree()).toBe(true);
  });
  it('a job started without the lock (by an older worker) is still waited for, every 50 ms', async () => {
    const dir = jobDirFor(path.join(base, 'data', 'gpseg5'), 'copy');
    await startJob(exec, dir, 'run-7', ['sleep', '0.5']);
    fs.rmSync(path.join(dir, 'lock'));
    const t0 = Date.now();
    expect(await jobState(exec, dir, 10_000)).toMatchObject({ state: 'exited', code: 0 });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  // A segment host's login may set a locale whose decimal separator is a comma; flock reads -w with strtod.
  const localedef = spawnSync('sh', ['-c', 'command -v localedef && [ -d /usr/share/i18n/locales ] && [ -f /usr/share/i18n/locales/de_DE ]']).status === 0;
  it.skipIf(!localedef)('the wait is the same under a decimal-comma locale', async () => {
    const locales = path.join(base, 'locales');
    fs.mkdirSync(locales);
    expect(spawnSync('localedef', ['-i', 'de_DE', '-f', 'UTF-8', path.join(locales, 'de_DE.UTF-8')]).status).toBeLessThanOrEqual(1);
    const german: Executor = { host: 'localhost', kind: 'local', close: async () => undefined,
      run: (argv, o) => exec.run(['env', `LOCPATH=${locales}`, 'LC_ALL=de_DE.UTF-8', ...argv], o) };
    const dir = jobDirFor(path.join(base, 'data', 'gpseg6'), 'copy');
    await startJob(german, dir, 'run-8', ['sleep', '0.5']);
    // Before, flock refused "1.00" at once and the status call answered 'running' without waiting.
    expect(await jobState(german, dir, 10_000)).toMatchObject({ state: 'exited', code: 0 });
  });

  describe('the write guard of a copy (runCopyJob)', () => {
    /** The host's answers, with when each status read and job start began and ended. */
    const recording = (events: string[], stateDelayMs = 0): Executor => ({
      host: 'localhost', kind: 'local', close: async () => undefined,
      async run(argv, o) {
        const what = argv[2]?.includes('setsid') ? 'start' : argv[2]?.includes('flock -s') ? 'state' : 'other';
        events.push(`${what}:begin`);
        if (what === 'state') await sleep(stateDelayMs);
        const res = await exec.run(argv, o);
        events.push(`${what}:end`);
        return res;
      },
    });
    const slowGuard = (events: string[], refusal?: Error) => async () => {
      events.push('guard:begin');
      await sleep(100);
      events.push('guard:end');
      if (refusal) throw refusal;
    };

    it("looks while the job's state is read, and is waited for before the directory is prepared and the job started", async () => {
      const events: string[] = [];
      const jobDir = jobDirFor(path.join(base, 'data', 'gpseg7'), 'copy');
      const res = await runCopyJob({ exec: recording(events), jobDir, owner: 'run-9' }, 'pg_basebackup', ['true'],
        async () => { events.push('prepare'); }, { guard: slowGuard(events) });
      expect(res).toMatchObject({ attached: false, code: 0 });
      // It looked (again only if a stalled machine made its look older than GUARD_FRESH_MS, see the next test).
      expect(events).toContain('guard:end');
      // Before, the guard was a step of its own after the status read.
      expect(events.indexOf('guard:begin')).toBeLessThan(events.indexOf('state:end'));
      expect(events.slice(events.indexOf('guard:end'))).toEqual(expect.arrayContaining(['prepare', 'start:begin']));
      expect(events.indexOf('guard:end')).toBeLessThan(events.indexOf('prepare'));
      expect(events.indexOf('prepare')).toBeLessThan(events.indexOf('start:begin'));
    });

    it('looks again when its look is older than GUARD_FRESH_MS by the time the job would start (a slow status read)', async () => {
      const events: string[] = [];
      const jobDir = jobDirFor(path.join(base, 'data', 'gpseg9'), 'copy');
      await runCopyJob({ exec: recording(events, GUARD_FRESH_MS + 300), jobDir, owner: 'run-11' }, 'pg_basebackup', ['true'],
        async () => { events.push('prepare'); }, { guard: slowGuard(events) });
      const firstState = events.indexOf('state:end');
      expect(events.slice(0, firstState).filter((e) => e === 'guard:end')).toHaveLength(1);
      expect(events.slice(firstState, events.indexOf('prepare'))).toEqual(['state:end', 'guard:begin', 'guard:end']);
    });

    it('a refusal stops the copy before anything is prepared or started; attaching to its own running job needs no guard', async () => {
      const events: string[] = [];
      const jobDir = jobDirFor(path.join(base, 'data', 'gpseg8'), 'copy');
      const refusal = new SafetyError('refusing to write into sdw2:/data: a postgres (pid 1) is running in it');
      await expect(runCopyJob({ exec: recording(events), jobDir, owner: 'run-10' }, 'pg_basebackup', ['true'],
        async () => { events.push('prepare'); }, { guard: slowGuard(events, refusal) })).rejects.toBe(refusal);
      expect(events).not.toContain('prepare');
      expect(events).not.toContain('start:begin');
      expect(await jobState(exec, jobDir)).toEqual({ state: 'absent' });

      // The guard would see this run's own copy writing into the directory: an attempt that attaches to it goes on.
      await startJob(exec, jobDir, 'run-10', ['sleep', '2']);
      const attached = await runCopyJob({ exec, jobDir, owner: 'run-10', waitMs: 200 }, 'pg_basebackup', ['true'],
        async () => { throw new Error('not prepared again'); }, { guard: slowGuard([], new SafetyError('a copy is running into it')) });
      expect(attached).toMatchObject({ attached: true, code: 0 });
    });
  });
});
