import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SshConfig } from '../../cluster/config';
import { freePort } from '../../testkit/freePort';

const SSHD = '/usr/sbin/sshd';

export interface SshdOptions {
  /** Loopback address to listen on, e.g. 127.0.0.1 or 127.0.3.2; default 127.0.0.1. */
  address?: string;
  /** OS user that logs in; default `postgres` when running as root, else the current user. */
  username?: string;
  /** sshd's MaxSessions (channels per connection); default 10, OpenSSH's own default. */
  maxSessions?: number;
}

export interface TestSshd {
  address: string;
  port: number;
  username: string;
  /** Temporary directory holding the config, keys, known_hosts and pid file; removed by stop() (see keepFiles). */
  dir: string;
  privateKeyPath: string;
  /** Has one plain `[address]:port ssh-ed25519 …` line for this server. */
  knownHostsPath: string;
  /** `ssh-ed25519 AAAA…` of the server's host key. */
  hostPublicKey: string;
  pid: number;
  /** SshConfig for this server, ready for an SshExecutor or clusters.json. */
  sshConfig(): SshConfig;
  /** sshd's -e log so far. */
  log(): string;
  /** Successful logins so far, i.e. SSH connections that got past authentication. */
  acceptedLogins(): number;
  /** Kills sshd's per-connection processes, dropping every open connection; returns how many. */
  dropConnections(): number;
  /** Ends sshd; its files (the worker's key among them) stay until stop() unless `keepFiles` is false. */
  stop(opts?: { keepFiles?: boolean }): Promise<void>;
}

/** A nologin shell cannot run commands; a locked account ('!' password) is refused by sshd unless PAM decides. */
function loginAccount(username: string): { usePam: boolean } {
  let entry: string;
  try {
    entry = execFileSync('getent', ['passwd', username], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`test sshd: there is no OS user ${username}`);
  }
  const shell = entry.split(':')[6] ?? '';
  if (!shell || /(nologin|false)$/.test(shell)) {
    throw new Error(`test sshd: user ${username} has login shell '${shell}', which cannot run commands; pick a user with a POSIX shell`);
  }
  let locked = false;
  try {
    const shadow = fs.readFileSync('/etc/shadow', 'utf8').split('\n').find((l) => l.startsWith(`${username}:`));
    locked = (shadow?.split(':')[1] ?? '').startsWith('!');
  } catch {
    /* not root: the account is ours and logs in like any other */
  }
  // With UsePAM no, OpenSSH refuses a locked account even for key logins ("account is locked"); Debian locks
  // system users such as postgres. PAM's account check only looks at expiry, so the key login works through PAM.
  return { usePam: locked };
}

function waitForListening(child: ChildProcess, logOf: () => string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`test sshd did not start within ${timeoutMs} ms: ${logOf().trim()}`)), timeoutMs);
    const onData = () => {
      if (/Server listening on/.test(logOf())) done();
    };
    const onExit = (code: number | null) => done(new Error(`test sshd exited (${code}): ${logOf().trim()}`));
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    onData();
  });
}

function keygen(file: string, comment: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return fs.readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

/** A real OpenSSH server on a loopback address and a free port, with its own host key, user key and known_hosts. */
export async function startSshd(opts: SshdOptions = {}): Promise<TestSshd> {
  if (!fs.existsSync(SSHD)) throw new Error(`${SSHD} is missing: run scripts/setup.sh (it installs openssh-server)`);
  const address = opts.address ?? '127.0.0.1';
  const isRoot = process.getuid?.() === 0;
  const username = opts.username ?? (isRoot ? 'postgres' : os.userInfo().username);
  const { usePam } = loginAccount(username);
  // sshd's privilege separation directory; the Debian package only creates it at boot (tmpfiles).
  if (isRoot) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-sshd-'));
  // The login user reads authorized_keys itself, so the directory must be traversable; keys stay 0600.
  fs.chmodSync(dir, 0o755);
  const hostKey = path.join(dir, 'host_ed25519');
  const userKey = path.join(dir, 'user_ed25519');
  const hostPublicKey = keygen(hostKey, 'gprecover-test-host');
  const userPublicKey = keygen(userKey, 'gprecover-test-user');
  const authorizedKeys = path.join(dir, 'authorized_keys');
  fs.writeFileSync(authorizedKeys, `${userPublicKey}\n`, { mode: 0o644 });
  const configFile = path.join(dir, 'sshd_config');
  const knownHostsPath = path.join(dir, 'known_hosts');

  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort(address);
    fs.writeFileSync(
      configFile,
      [
        `ListenAddress ${address}`,
        `Port ${port}`,
        `HostKey ${hostKey}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        'StrictModes no',
        `UsePAM ${usePam ? 'yes' : 'no'}`,
        `AllowUsers ${username}`,
        `PermitRootLogin ${username === 'root' ? 'prohibit-password' : 'no'}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        `MaxSessions ${opts.maxSessions ?? 10}`,
        'UseDNS no',
        'PrintMotd no',
        'X11Forwarding no',
        'AllowTcpForwarding no',
        'AllowAgentForwarding no',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    let log = '';
    // Own process group, so stop() also ends the per-connection sshd processes.
    const child = spawn(SSHD, ['-D', '-e', '-f', configFile], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (log += c));
    try {
      await waitForListening(child, () => log, 10_000);
    } catch (err) {
      lastError = err as Error;
      if (child.exitCode === null) child.kill('SIGKILL');
      if (/Bind to port|Address already in use/.test(log)) continue;
      break;
    }
    fs.writeFileSync(knownHostsPath, `[${address}]:${port} ${hostPublicKey}\n`);
    const pid = child.pid!;
    const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
    return {
      address,
      port,
      username,
      dir,
      privateKeyPath: userKey,
      knownHostsPath,
      hostPublicKey,
      pid,
      sshConfig: () => ({ port, username, privateKeyPath: userKey, knownHostsPath }),
      log: () => log,
      acceptedLogins: () => (log.match(/^Accepted publickey for /gm) ?? []).length,
      dropConnections: () => {
        let pids: number[] = [];
        try {
          pids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
        } catch {
          /* none */
        }
        for (const p of pids) {
          try {
            process.kill(p, 'SIGTERM');
          } catch {
            /* already gone */
          }
        }
        return pids.length;
      },
      stop: async ({ keepFiles = false } = {}) => {
        try {
          process.kill(-pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        const killer = setTimeout(() => {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, 5_000);
        await exited;
        clearTimeout(killer);
        if (!keepFiles) fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw lastError ?? new Error('test sshd did not start');
}
