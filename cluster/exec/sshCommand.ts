import { randomBytes } from 'node:crypto';
import { commandLine } from './quote';

/**
 * Closing an SSH channel does not stop a command started without a pty: sshd sends no signal, so the remote
 * process tree would live on. The command therefore runs in a process group of its own (setsid) and reports that
 * group's id on stderr before anything else, so cancellation can kill the whole group through a second channel.
 * `setsid -w` because the login shell sshd starts is already a group leader, which makes setsid fork; -w keeps the
 * channel open until the command ends and passes its exit status on. The inner sh does not exec the command, so a
 * command killed by a signal still yields 128+signal rather than a setsid complaint.
 */
const WRAPPER = (marker: string) => `printf '${marker} %s\\n' "$$" >&2; "$@"; rc=$?; exit $rc`;

export interface RemoteCommand {
  /** The whole line for the remote login shell, built only from quoted argument words. */
  line: string;
  marker: string;
}

export function remoteCommand(argv: string[], env?: Record<string, string>): RemoteCommand {
  if (argv.length === 0) throw new Error('empty command');
  const marker = `gprecover-pgid-${randomBytes(6).toString('hex')}`;
  const line = `exec ${commandLine(['setsid', '-w', 'sh', '-c', WRAPPER(marker), 'sh', ...argv], env)}`;
  return { line, marker };
}

/**
 * TERM the group, give it `graceMs` to exit, then KILL what is left. Exits 0 whether or not anything was alive.
 * Liveness ignores zombies: members orphaned by the group leader's death wait for init to reap them, and
 * `kill -0` keeps succeeding on zombies, which would stretch every kill to the whole grace period.
 */
export function killGroupCommand(pgid: number, graceMs: number): string {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new Error(`refusing to signal process group ${pgid}`);
  const script = [
    'kill -s TERM -- "-$1" 2>/dev/null || exit 0',
    'alive() { ps -e -o pgid= -o stat= | awk -v g="$1" \'$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }\'; }',
    'i=0',
    'while alive "$1"; do',
    '  i=$((i+1)); if [ "$i" -gt "$2" ]; then kill -s KILL -- "-$1" 2>/dev/null; exit 0; fi',
    '  sleep 0.1',
    'done',
  ].join('\n');
  return commandLine(['sh', '-c', script, 'sh', String(pgid), String(Math.max(1, Math.ceil(graceMs / 100)))]);
}

/**
 * Separates the group-id marker from the command's own stderr. Anything the login shell printed before the marker
 * (a chatty .bashrc) is kept as stderr; stderr is held back only until the marker arrives, which is first.
 */
export class PgidMarkerFilter {
  private pending = '';
  private found = false;
  pgid: number | undefined;

  constructor(private readonly marker: string) {}

  /** Returns the part of `chunk` that belongs to the command's stderr. */
  push(chunk: string): string {
    if (this.found) return chunk;
    this.pending += chunk;
    const at = this.pending.indexOf(`${this.marker} `);
    if (at < 0) return '';
    const end = this.pending.indexOf('\n', at);
    if (end < 0) return '';
    this.pgid = Number(this.pending.slice(at + this.marker.length + 1, end));
    this.found = true;
    const out = this.pending.slice(0, at) + this.pending.slice(end + 1);
    this.pending = '';
    return out;
  }

  /** At end of stream: whatever was held back, when no marker ever came (setsid missing, shell failed). */
  flush(): string {
    const out = this.pending;
    this.pending = '';
    return out;
  }
}
