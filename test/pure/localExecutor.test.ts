import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../cluster/exec/local';

const exec = new LocalExecutor('sdw-local');

function pgrep(pattern: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('LocalExecutor', () => {
  it('returns stdout, stderr and the exit code, feeds stdin, names the host it stands for and passes no secret', async () => {
    process.env.PGPASSWORD = 'not-for-commands';
    try {
      expect(await exec.run(['sh', '-c', 'echo out; echo err >&2; exit 7'])).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
      const input = `zwei ü ✓\n${'x'.repeat(300_000)}\nlast`;
      expect((await exec.run(['cat'], { input })).stdout).toBe(input);
      const env = await exec.run(['sh', '-c', 'echo "$GPRECOVER_HOST/$EXTRA/${PGPASSWORD:-none}"'], { env: { EXTRA: 'x y' } });
      expect(env.stdout).toBe('sdw-local/x y/none\n');
    } finally {
      delete process.env.PGPASSWORD;
    }
  });

  it('streams output while the command runs', async () => {
    const seen: string[] = [];
    const done = exec.run(['sh', '-c', 'echo first; sleep 1; echo second'], { onOutput: (c, s) => seen.push(`${s}:${c}`) });
    await sleep(500);
    expect(seen.join('')).toBe('stdout:first\n');
    expect((await done).stdout).toBe('first\nsecond\n');
  });

  it('rejects a program that does not exist with its errno code', async () => {
    await expect(exec.run(['/nonexistent/gprecover-no-such-program'])).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a timeout or an abort kills the command and everything it started', async () => {
    const marker = `gprecover-local-${process.pid}-${Date.now()}`;
    const t0 = performance.now();
    const timedOut = await exec.run(['sh', '-c', `sleep 300.${Date.now() % 1000} & exec sh -c 'sleep 301; : ${marker}'`], { timeoutMs: 300 });
    expect(timedOut.code).toBe(137);
    expect(performance.now() - t0).toBeLessThan(5_000);
    const ac = new AbortController();
    const aborted = exec.run(['sh', '-c', `sleep 302 & exec sh -c 'sleep 303; : ${marker}'`], { signal: ac.signal });
    await sleep(200);
    ac.abort();
    expect((await aborted).code).toBe(137);
    for (let i = 0; i < 50 && pgrep(marker).length; i++) await sleep(50);
    expect(pgrep(marker)).toEqual([]);
  });

  it('starts commands without holding up the caller: a fork of a big worker blocked its event loop for each one', async () => {
    // The worker is a few hundred MB: fork() copies its page tables on the main thread, about 9 ms for 366 MB.
    const ballast = Array.from({ length: 300 }, () => Buffer.alloc(1 << 20, 1));
    const held: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      const running = exec.run(['true']);
      held.push(performance.now() - t0);
      expect((await running).code).toBe(0);
    }
    held.sort((a, b) => a - b);
    expect(ballast.length).toBe(300);
    expect(held[7], `the caller's time in run() until it returns, median of 15 (all: ${held.map((t) => t.toFixed(2)).join(', ')} ms)`).toBeLessThan(2);
  });

  it('a spawner that dies fails what it was running and kills it, and the next command gets a new one, without secrets', async () => {
    const nap = `31.${process.pid % 1000}${Date.now() % 1000}`;
    const ours = () => pgrep('cluster/exec/spawnHelper.cjs').filter((pid) => execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim() === String(process.pid));
    try {
      const running = exec.run(['sleep', nap]);
      await sleep(200);
      const helpers = ours();
      expect(helpers).toHaveLength(1);
      // What a terminal or a service manager sends the worker's process group is the worker's to act on.
      process.kill(helpers[0], 'SIGTERM');
      await sleep(200);
      expect(ours()).toEqual(helpers);
      process.kill(helpers[0], 'SIGKILL');
      await expect(running).rejects.toThrow('the local command spawner exited while the command ran');
      // Nothing could time it out or cancel it any more: it is killed with its spawner.
      for (let i = 0; i < 50 && pgrep(`^sleep ${nap}$`).length; i++) await sleep(50);
      expect(pgrep(`^sleep ${nap}$`)).toEqual([]);
      process.env.PGPASSWORD = 'not-for-the-spawner';
      expect(await exec.run(['echo', 'again'])).toMatchObject({ code: 0, stdout: 'again\n' });
      const [fresh] = ours();
      expect(fresh).toBeDefined();
      expect(fresh).not.toBe(helpers[0]);
      expect(fs.readFileSync(`/proc/${fresh}/environ`, 'utf8')).not.toContain('PGPASSWORD');
    } finally {
      delete process.env.PGPASSWORD;
      if (pgrep(`^sleep ${nap}$`).length) execFileSync('pkill', ['-f', `^sleep ${nap}$`]);
    }
  });
});
