import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../cluster/config';
import { ExecutorUnavailableError } from '../../cluster/exec/executor';
import { ExecutorPool } from '../../cluster/exec/pool';
import { jobState, killJob, startJob } from '../../cluster/jobs';
import { HostKeyVerificationError, SshAuthenticationError, SshExecutor } from '../../cluster/exec/ssh';
import { startSshd, type TestSshd } from '../helpers/sshd';

// Not 127.0.0.1: proves the executor and the helper work for the per-host loopback addresses demo clusters use.
const ADDRESS = '127.0.201.1';

let sshd: TestSshd;
const executors: SshExecutor[] = [];

function executor(extra: ConstructorParameters<typeof SshExecutor>[1] = {}, host = 'sdw-test'): SshExecutor {
  const exec = new SshExecutor(host, { address: sshd.address, ...sshd.sshConfig(), ...extra });
  executors.push(exec);
  return exec;
}

/** Remote processes are visible locally: the "remote" host is this machine. */
function localPgrep(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

const sleepMarker = () => `300.${Date.now() % 100000}${Math.floor(Math.random() * 1000)}`;

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(50);
  }
  return check();
}

function otherKnownHosts(line: (port: number) => string): string {
  const file = path.join(sshd.dir, `kh-${randomBytes(4).toString('hex')}`);
  fs.writeFileSync(file, line(sshd.port));
  return file;
}

function freshPublicKey(): string {
  const key = path.join(sshd.dir, `other-${randomBytes(4).toString('hex')}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  return fs.readFileSync(`${key}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

beforeAll(async () => {
  sshd = await startSshd({ address: ADDRESS });
});

afterAll(async () => {
  await Promise.all(executors.map((e) => e.close()));
  await sshd?.stop();
});

describe('SshExecutor against a real sshd', () => {
  it('runs a command as the login user and returns stdout, stderr and the exit code', async () => {
    const exec = executor();
    const who = await exec.run(['id', '-un']);
    expect(who).toEqual({ code: 0, stdout: `${sshd.username}\n`, stderr: '' });
    const failing = await exec.run(['sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(failing).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
    expect((await exec.run(['no-such-command-gprecover'])).code).toBe(127);
    expect((await exec.run(['sh', '-c', 'kill -s SEGV $$'])).code).toBe(128 + 11);
  });

  it('passes environment variables, whatever their values hold', async () => {
    const exec = executor();
    const value = `a b 'c' "d" $(touch /tmp/x) \`y\` ; * \n end`;
    const r = await exec.run(['printenv', 'GP_TEST_VALUE'], { env: { GP_TEST_VALUE: value, OTHER: '1' } });
    expect(r).toEqual({ code: 0, stdout: `${value}\n`, stderr: '' });
    await expect(exec.run(['true'], { env: { 'A;B': 'x' } })).rejects.toThrow('invalid environment variable name: A;B');
  });

  it('writes input to stdin and closes it', async () => {
    const exec = executor();
    const input = `line one\nzwei ü ✓\n${'x'.repeat(300_000)}\nlast`;
    const r = await exec.run(['cat'], { input });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(input);
    // Without input, stdin is at EOF at once rather than left open.
    expect(await exec.run(['wc', '-c'], { timeoutMs: 10_000 })).toMatchObject({ code: 0, stdout: '0\n' });
  });

  it('streams output while the command runs', async () => {
    const exec = executor();
    const seen: Array<{ chunk: string; at: number }> = [];
    const start = Date.now();
    const r = await exec.run(['sh', '-c', 'echo first; echo warn >&2; sleep 1; echo second'], {
      onOutput: (chunk, stream) => seen.push({ chunk: `${stream}:${chunk}`, at: Date.now() - start }),
    });
    const done = Date.now() - start;
    expect(r).toEqual({ code: 0, stdout: 'first\nsecond\n', stderr: 'warn\n' });
    const first = seen.find((s) => s.chunk.includes('first'));
    expect(first).toBeDefined();
    expect(done - first!.at).toBeGreaterThan(500);
    expect(seen.map((s) => s.chunk).join('')).toContain('stderr:warn\n');
  });

  it('answers a short command without waiting on delayed ACKs: the connection sends its packets at once (TCP_NODELAY)', async () => {
    // With Nagle's algorithm on, the request to run a command waits for the ACK of the channel's opening, which the
    // host delays by 40 ms: every command cost at least that, a few dozen per segment on a real cluster.
    const exec = executor();
    await exec.run(['true']);
    const took: number[] = [];
    for (let i = 0; i < 12; i++) {
      const t0 = performance.now();
      expect((await exec.run(['true'])).code).toBe(0);
      took.push(performance.now() - t0);
    }
    took.sort((a, b) => a - b);
    expect(took[0], `fastest of 12 round trips (all: ${took.map((t) => t.toFixed(1)).join(', ')} ms)`).toBeLessThan(35);
  });

  it('asks for TCP_NODELAY on every connection it opens', async () => {
    const asked = vi.spyOn(Client.prototype, 'setNoDelay');
    try {
      await executor().run(['true']);
      expect(asked).toHaveBeenCalledWith(true);
    } finally {
      asked.mockRestore();
    }
  });

  it('copies polling their jobs leave channels free for the host\'s other commands', async () => {
    // Each copy step asks its job's state with a wait of a second, holding a channel while it waits. As many copies as
    // the connection has channels took them all, and a start or a stop on that host waited behind them.
    const exec = executor({ maxConcurrency: 4 });
    const root = (await exec.run(['mktemp', '-d'])).stdout.trim();
    const dirs = Array.from({ length: 6 }, (_, i) => `${root}/job${i}`);
    try {
      for (const d of dirs) await startJob(exec, d, 'test-owner', ['sleep', '30']);
      let polling = true;
      const polls = dirs.map(async (d) => {
        while (polling) expect((await jobState(exec, d, 1000)).state).toBe('running');
      });
      await sleep(300);
      const took: number[] = [];
      for (let i = 0; i < 6; i++) {
        const t0 = performance.now();
        await exec.run(['true']);
        took.push(performance.now() - t0);
        await sleep(150);
      }
      polling = false;
      await Promise.all(polls);
      expect(Math.max(...took), `a command beside 6 polling copies (each: ${took.map((t) => t.toFixed(0)).join(', ')} ms)`).toBeLessThan(400);
    } finally {
      for (const d of dirs) await killJob(exec, d);
      await exec.run(['rm', '-rf', root]);
    }
  });

  it('passes hostile arguments through byte-identical and never lets them run as shell code', async () => {
    const exec = executor();
    const pwned = `/tmp/pwned-${randomBytes(6).toString('hex')}`;
    const nasty = [
      'plain',
      'two words',
      "single ' quote",
      'double " quote',
      `; touch ${pwned}`,
      `$(touch ${pwned})`,
      `\`touch ${pwned}\``,
      `'; touch ${pwned}; '`,
      `"; touch ${pwned}; "`,
      `\ntouch ${pwned}\n`,
      `| touch ${pwned}`,
      `&& touch ${pwned}`,
      `> ${pwned}`,
      '*',
      '/data/primary/gp seg 0/base',
      '$HOME ${PATH} $$ $? \\ \\\\ \\n',
      '-n',
      '',
      '   ',
      '\t tab \r cr',
      'ünïcödé ✓ 漢字',
      "'",
      "''",
      '"',
      '!',
      '~',
      '#comment',
    ];
    const r = await exec.run(['printf', '%s\\0', ...nasty], { env: { GP_EVIL: `$(touch ${pwned})` } });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(nasty);
    expect(fs.existsSync(pwned)).toBe(false);

    // A program whose own path has spaces and quotes, as argv[0].
    const dir = fs.mkdtempSync('/tmp/gp dir \'with\' "spaces" ');
    fs.chmodSync(dir, 0o755);
    const script = path.join(dir, 'echo args.sh');
    fs.writeFileSync(script, '#!/bin/sh\nprintf "%s|" "$@"\n', { mode: 0o755 });
    try {
      expect(await exec.run([script, 'a b', `;touch ${pwned}`])).toEqual({ code: 0, stdout: `a b|;touch ${pwned}|`, stderr: '' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(fs.existsSync(pwned)).toBe(false);

    // Control: the login user can create that file, so its absence above means the injections never ran.
    expect((await exec.run(['sh', '-c', `touch ${pwned}`])).code).toBe(0);
    expect(fs.existsSync(pwned)).toBe(true);
    fs.rmSync(pwned, { force: true });
  });
});

describe('host key verification', () => {
  it('refuses a host missing from known_hosts, naming the host and the file, before logging in', async () => {
    const before = sshd.acceptedLogins();
    const knownHostsPath = otherKnownHosts(() => `# nothing for this host\n127.0.0.1 ${freshPublicKey()}\n`);
    const err = await executor({ knownHostsPath }).run(['true']).catch((e: Error) => e);
    expect(err).toBeInstanceOf(HostKeyVerificationError);
    expect((err as Error).name).toBe('HostKeyVerificationError');
    const msg = (err as Error).message;
    expect(msg).toContain('sdw-test');
    expect(msg).toContain(knownHostsPath);
    expect(msg).toContain('no entry for');
    expect(msg).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
    expect(msg).not.toContain('\n');
    expect(sshd.acceptedLogins()).toBe(before);
  });

  it('refuses a host whose key differs from the recorded one', async () => {
    const before = sshd.acceptedLogins();
    const knownHostsPath = otherKnownHosts((port) => `[${ADDRESS}]:${port} ${freshPublicKey()}\n`);
    const err = await executor({ knownHostsPath }).run(['true']).catch((e: Error) => e);
    expect(err).toBeInstanceOf(HostKeyVerificationError);
    expect((err as Error).message).toMatch(/does not match .*known|does not match/);
    expect((err as Error).message).toContain(`${knownHostsPath} line 1`);
    expect((err as Error).message).not.toContain('\n');
    expect(sshd.acceptedLogins()).toBe(before);
  });

  it('refuses when the known_hosts file is missing', async () => {
    const knownHostsPath = path.join(sshd.dir, 'no-such-known_hosts');
    await expect(executor({ knownHostsPath }).run(['true'])).rejects.toThrow(
      new RegExp(`known_hosts file ${knownHostsPath} is unreadable \\(ENOENT\\)`),
    );
  });

  it('refuses a key marked @revoked even when also listed as valid', async () => {
    const knownHostsPath = otherKnownHosts(
      (port) => `[${ADDRESS}]:${port} ${sshd.hostPublicKey}\n@revoked * ${sshd.hostPublicKey}\n`,
    );
    await expect(executor({ knownHostsPath }).run(['true'])).rejects.toThrow(/marked @revoked in .* line 2/);
  });

  it('accepts entries hashed by ssh-keygen -H, and still refuses a hashed entry with another key', async () => {
    const good = otherKnownHosts((port) => `[${ADDRESS}]:${port} ${sshd.hostPublicKey}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', good], { stdio: 'ignore' });
    expect(fs.readFileSync(good, 'utf8')).toMatch(/^\|1\|/);
    expect((await executor({ knownHostsPath: good }).run(['true'])).code).toBe(0);

    const bad = otherKnownHosts((port) => `[${ADDRESS}]:${port} ${freshPublicKey()}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', bad], { stdio: 'ignore' });
    await expect(executor({ knownHostsPath: bad }).run(['true'])).rejects.toThrow(/does not match/);
  });

  it('accepts wildcard patterns and skips negated ones', async () => {
    const wild = otherKnownHosts((port) => `[127.0.201.*]:${port} ${sshd.hostPublicKey}\n`);
    expect((await executor({ knownHostsPath: wild }).run(['true'])).code).toBe(0);
    const negated = otherKnownHosts((port) => `[127.0.201.*]:${port},![${ADDRESS}]:${port} ${sshd.hostPublicKey}\n`);
    await expect(executor({ knownHostsPath: negated }).run(['true'])).rejects.toThrow(/no entry for/);
  });

  it('connects to an unknown host when strictHostKeyChecking is false', async () => {
    const knownHostsPath = path.join(sshd.dir, 'no-such-known_hosts');
    expect((await executor({ knownHostsPath, strictHostKeyChecking: false }).run(['true'])).code).toBe(0);
  });
});

describe('connection failures are one-line errors', () => {
  it('reports a refused key as SshAuthenticationError', async () => {
    const key = path.join(sshd.dir, `stranger-${randomBytes(4).toString('hex')}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const err = await executor({ privateKeyPath: key }).run(['true']).catch((e: Error) => e);
    expect(err).toBeInstanceOf(SshAuthenticationError);
    expect((err as Error).message).toContain(`with key ${key} was refused`);
    expect((err as Error).message).not.toContain('\n');
  });

  it('reports an unreadable or encrypted key as SshAuthenticationError', async () => {
    await expect(executor({ privateKeyPath: '/nonexistent/key' }).run(['true'])).rejects.toThrow(
      /cannot read SSH private key \/nonexistent\/key for sdw-test: ENOENT/,
    );
    const key = path.join(sshd.dir, `locked-${randomBytes(4).toString('hex')}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', key]);
    await expect(executor({ privateKeyPath: key }).run(['true'])).rejects.toThrow(SshAuthenticationError);
  });

  it('rejects nonsense settings as ConfigError', () => {
    expect(() => new SshExecutor('sdw-test', { maxConcurrency: 0 })).toThrow(ConfigError);
    expect(() => new SshExecutor('sdw-test', { port: 70000 })).toThrow('ssh.port for sdw-test must be 1-65535, not 70000');
  });

  it('reports a closed port as ExecutorUnavailableError', async () => {
    const err = await executor({ port: 1 }).run(['true']).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ExecutorUnavailableError);
    expect((err as Error).message).toMatch(/^cannot connect to sdw-test \(postgres@127\.0\.201\.1:1\) over SSH: .*ECONNREFUSED/);
  });
});

describe('cancellation and timeouts kill the remote process tree', () => {
  it('abort kills every process the command started, not just the channel', async () => {
    const exec = executor();
    const mark = sleepMarker();
    const pattern = `^sleep ${mark.replace('.', '\\.')}$`;
    const ac = new AbortController();
    const running = exec.run(['sh', '-c', `sleep ${mark} & sleep ${mark}`], { signal: ac.signal });
    expect(await eventually(() => localPgrep(pattern).length === 2)).toBe(true);
    const t0 = Date.now();
    ac.abort();
    const r = await running;
    expect(r.code).toBe(137);
    expect(r.stderr).toBe('');
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await eventually(() => localPgrep(pattern).length === 0)).toBe(true);
    expect(localPgrep(mark.replace('.', '\\.'))).toEqual([]);
  });

  it('TERM-ignoring commands are KILLed after the grace period', async () => {
    const exec = executor({ killGraceMs: 500 });
    const mark = sleepMarker();
    const pattern = `^sleep ${mark.replace('.', '\\.')}$`;
    const ac = new AbortController();
    const running = exec.run(['sh', '-c', `trap '' TERM; sleep ${mark} & sleep ${mark}`], { signal: ac.signal });
    expect(await eventually(() => localPgrep(pattern).length === 2)).toBe(true);
    ac.abort();
    expect((await running).code).toBe(137);
    expect(await eventually(() => localPgrep(pattern).length === 0)).toBe(true);
  });

  it('timeoutMs kills the tree and reports 137', async () => {
    const exec = executor();
    const mark = sleepMarker();
    const pattern = `^sleep ${mark.replace('.', '\\.')}$`;
    const t0 = Date.now();
    const r = await exec.run(['sh', '-c', `echo started; sleep ${mark} & sleep ${mark}`], { timeoutMs: 1_000 });
    const took = Date.now() - t0;
    expect(r.code).toBe(137);
    expect(r.stdout).toBe('started\n');
    expect(took).toBeGreaterThanOrEqual(1_000);
    expect(took).toBeLessThan(6_000);
    expect(await eventually(() => localPgrep(pattern).length === 0)).toBe(true);
  });

  it('kills a full house of commands at once (kill channels stay within MaxSessions)', async () => {
    const exec = executor();
    const mark = sleepMarker();
    const pattern = `^sleep ${mark.replace('.', '\\.')}$`;
    const ac = new AbortController();
    const runs = Array.from({ length: exec.maxConcurrency }, () => exec.run(['sleep', mark], { signal: ac.signal }));
    expect(await eventually(() => localPgrep(pattern).length === exec.maxConcurrency)).toBe(true);
    ac.abort();
    const results = await Promise.all(runs);
    expect(results.map((r) => r.code)).toEqual(Array(exec.maxConcurrency).fill(137));
    expect(await eventually(() => localPgrep(pattern).length === 0)).toBe(true);
  });

  it('an already-aborted signal starts nothing', async () => {
    const ac = new AbortController();
    ac.abort(new Error('cancelled before start'));
    await expect(executor().run(['true'], { signal: ac.signal })).rejects.toThrow('cancelled before start');
  });

  it('close() kills what is still running', async () => {
    const exec = executor();
    const mark = sleepMarker();
    const pattern = `^sleep ${mark.replace('.', '\\.')}$`;
    const running = exec.run(['sleep', mark]);
    expect(await eventually(() => localPgrep(pattern).length === 1)).toBe(true);
    await exec.close();
    expect((await running).code).toBe(137);
    expect(await eventually(() => localPgrep(pattern).length === 0)).toBe(true);
    await expect(exec.run(['true'])).rejects.toThrow(/closed/);
  });
});

describe('one connection per host, bounded channels', () => {
  it('runs many commands over a single SSH connection', async () => {
    const exec = executor();
    const before = sshd.acceptedLogins();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => exec.run(['echo', String(i)])));
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 40 }, (_, i) => `${i}\n`));
    for (let i = 0; i < 10; i++) expect((await exec.run(['true'])).code).toBe(0);
    expect(exec.connectionsOpened).toBe(1);
    expect(sshd.acceptedLogins() - before).toBe(1);
  });

  it('reconnects after the connection drops', async () => {
    const exec = executor();
    const before = sshd.acceptedLogins();
    expect((await exec.run(['true'])).code).toBe(0);
    expect(sshd.dropConnections()).toBeGreaterThan(0);
    await sleep(200);
    expect((await exec.run(['echo', 'again'])).stdout).toBe('again\n');
    expect(exec.connectionsOpened).toBe(2);
    expect(sshd.acceptedLogins() - before).toBe(2);
  });

  it('a drop during a command is reported as an unknown outcome, not an exit status', async () => {
    const exec = executor();
    const running = exec.run(['sleep', '2']);
    await sleep(500);
    sshd.dropConnections();
    const err = await running.catch((e: Error) => e);
    expect(err).toBeInstanceOf(ExecutorUnavailableError);
    expect((err as Error).message).toMatch(/was lost while sleep was running/);
  });

  it('never has more than maxConcurrency commands running on the host', async () => {
    const exec = executor({ maxConcurrency: 2 });
    const dir = (await exec.run(['mktemp', '-d'])).stdout.trim();
    // Each command counts the commands running alongside it, on the remote side.
    const probe = ['sh', '-c', 'touch "$1/$$"; ls "$1" | wc -l; sleep 0.6; rm "$1/$$"', 'sh', dir];
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 6 }, () => exec.run(probe)));
    const took = Date.now() - t0;
    await exec.run(['rmdir', dir]);
    const counts = results.map((r) => Number(r.stdout.trim()));
    expect(Math.max(...counts)).toBe(2);
    expect(took).toBeGreaterThanOrEqual(3 * 600);
  });
});

describe('ExecutorPool', () => {
  it('creates SSH executors from clusters.json settings: defaultSsh merged with the host, osUser as login', async () => {
    const pool = new ExecutorPool({
      name: 'ssh-test',
      coordinator: { host: ADDRESS, port: 5432, user: 'postgres', database: 'postgres' },
      pgBin: '/usr/lib/postgresql/15/bin',
      osUser: sshd.username,
      defaultSsh: { privateKeyPath: sshd.privateKeyPath, knownHostsPath: '/nonexistent/known_hosts', port: 22 },
      hosts: { sdw9: { executor: 'ssh', address: ADDRESS, ssh: { port: sshd.port, knownHostsPath: sshd.knownHostsPath } }, here: { executor: 'local' } },
    });
    try {
      expect(pool.forHost('here', '10.1.2.3').kind).toBe('local');
      const exec = pool.forHost('sdw9');
      expect(exec.kind).toBe('ssh');
      expect(pool.forHost('sdw9')).toBe(exec);
      expect(await exec.run(['id', '-un'])).toMatchObject({ code: 0, stdout: `${sshd.username}\n` });
      // Issue 19: an address that looks local (in -i or the catalog) never makes a host's commands run on the
      // worker's own host; only the configuration does.
      expect(pool.forHost('localseg', '127.0.0.1').kind).toBe('ssh');
    } finally {
      await pool.closeAll();
    }
  });
});
