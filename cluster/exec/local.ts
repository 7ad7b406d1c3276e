import { execFileSync } from 'node:child_process';
import { childEnvironment } from './environment';
import type { Executor, RunOptions, RunResult } from './executor';
import { spawnViaHelper } from './spawner';

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
      let stdout = '';
      let stderr = '';
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => command.kill();
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      // In its own process group (the spawner starts it detached), so a timeout or cancellation kills everything the
      // command started.
      const command = spawnViaHelper({
        file: argv[0],
        args: argv.slice(1),
        env,
        uid: this.identity?.uid,
        gid: this.identity?.gid,
        cwd: this.identity ? '/' : undefined,
        input: opts.input,
      }, {
        onOutput: (chunk, stream) => {
          if (stream === 'stdout') stdout += chunk;
          else stderr += chunk;
          opts.onOutput?.(chunk, stream);
        },
        onExit: (code, sig) => finish(() => resolve({ code: code ?? (sig ? 128 + 9 : 1), stdout, stderr })),
        onError: (err) => finish(() => reject(err)),
      });
      if (opts.timeoutMs) timer = setTimeout(() => command.kill(), opts.timeoutMs);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {}
}
