import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { childEnvironment } from './environment';
import type { Executor, RunOptions, RunResult } from './executor';

interface OsIdentity {
  uid: number;
  gid: number;
  home: string;
}

const identities = new Map<string, OsIdentity | undefined>();

/** PostgreSQL refuses to run as root, so a root worker runs cluster commands as the cluster's OS user. */
export function osIdentity(osUser: string | undefined): OsIdentity | undefined {
  if (!osUser || process.getuid?.() !== 0 || osUser === 'root') return undefined;
  if (!identities.has(osUser)) {
    const line = execFileSync('getent', ['passwd', osUser], { encoding: 'utf8' }).trim();
    const [, , uid, gid, , home] = line.split(':');
    identities.set(osUser, { uid: Number(uid), gid: Number(gid), home });
  }
  return identities.get(osUser);
}

/**
 * Commands run through a local executor learn which host they stand for: hosts that share one machine (the demo
 * cluster) tell themselves apart by it.
 */
export const HOST_NAME_ENV = 'GPRECOVER_HOST';

export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;
  private readonly identity: OsIdentity | undefined;

  constructor(
    readonly host: string,
    osUser?: string,
  ) {
    this.identity = osIdentity(osUser);
  }

  run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const env = childEnvironment({ [HOST_NAME_ENV]: this.host, ...opts.env });
      if (this.identity) env.HOME = this.identity.home;
      // Own process group, so a timeout or cancellation can kill everything the command started.
      const child = spawn(argv[0], argv.slice(1), {
        env,
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
        uid: this.identity?.uid,
        gid: this.identity?.gid,
        cwd: this.identity ? '/' : undefined,
      });
      let stdout = '';
      let stderr = '';
      let settled = false;
      const killTree = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const timer = opts.timeoutMs ? setTimeout(killTree, opts.timeoutMs) : undefined;
      const onAbort = () => killTree();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
        opts.onOutput?.(c, 'stdout');
      });
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
        opts.onOutput?.(c, 'stderr');
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input ?? '');
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      child.on('error', (err) => finish(() => reject(err)));
      child.on('close', (code, sig) => finish(() => resolve({ code: code ?? (sig ? 128 + 9 : 1), stdout, stderr })));
    });
  }

  async close(): Promise<void> {}
}
