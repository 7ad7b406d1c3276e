import type { HostFacts } from '../../domain/doctor';
import { errorMessage } from '../../domain/failures';
import type { Executor } from '../exec/executor';
import { HostKeyVerificationError } from '../exec/knownHosts';
import { SshAuthenticationError } from '../exec/sshAuth';
import { ENV_SCRIPTS } from '../flavor';

/** The probe's first line: whatever ran before it (the SSH login, the environment script) worked. */
const RAN = 'gprecover-doctor=ran';

// Reads only: which environment script the executor sourced (the first of ENV_SCRIPTS there, as it picks them) and
// rsync's version on the PATH commands get.
const PROBE = String.raw`
echo ${RAN}
gphome=$1; rsync=$2
if [ -n "$gphome" ]; then
  for f in ${ENV_SCRIPTS.join(' ')}; do if [ -f "$gphome/$f" ]; then echo "env_script=$gphome/$f"; break; fi; done
fi
if [ "$rsync" = 1 ]; then
  echo "rsync_version=$(rsync --version 2>/dev/null | sed -n 's/.*version \([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -1)"
fi
exit 0
`;

/** Bounds the probe: SSH's own connect and handshake bound (15 s by default) comes first. */
const PROBE_WITHIN_MS = 30_000;
/** What a command we killed reports (LocalExecutor and SshExecutor alike). */
const KILLED = 137;

export type Reach = Pick<HostFacts, 'failure' | 'envScript' | 'rsync'>;

const tail = (text: string) => text.trim().split('\n').slice(-2).join(' | ');

/**
 * One round trip to the host through the cluster's executor, as a recovery's first command there goes: SSH (host key
 * checked against known_hosts, the login) or local, then the environment script, then the probe. Says which step
 * failed, never throws.
 */
export async function reachHost(exec: Executor, opts: { gpHome?: string; rsync: boolean }): Promise<Reach> {
  let res;
  try {
    res = await exec.run(['sh', '-c', PROBE, 'gprecover-doctor', opts.gpHome ?? '', opts.rsync ? '1' : ''], { timeoutMs: PROBE_WITHIN_MS });
  } catch (err) {
    const kind = err instanceof HostKeyVerificationError ? 'host key' : err instanceof SshAuthenticationError ? 'login' : 'unreachable';
    return { failure: { kind, message: errorMessage(err) } };
  }
  if (!res.stdout.split('\n').includes(RAN)) {
    if (res.code === KILLED) return { failure: { kind: 'unreachable', message: `a command did not finish within ${PROBE_WITHIN_MS / 1000} s` } };
    // The executor's environment step exits 127 when the script is missing or fails (cluster/exec/envScript.ts).
    if (res.code === 127 && opts.gpHome) {
      return { failure: { kind: 'environment script', message: `sourcing the environment script of ${opts.gpHome} failed (exit 127)${res.stderr.trim() ? `: ${tail(res.stderr)}` : ''}` } };
    }
    return { failure: { kind: 'unreachable', message: `sh -c ended with exit ${res.code} before running anything${res.stderr.trim() ? `: ${tail(res.stderr)}` : ''}` } };
  }
  const kv = new Map(res.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
  return {
    envScript: kv.get('env_script'),
    ...(opts.rsync ? { rsync: { version: kv.get('rsync_version') ?? '' } } : {}),
  };
}
