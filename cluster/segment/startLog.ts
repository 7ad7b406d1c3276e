import { PermanentError } from '../../domain/failures';
import type { Location } from '../../domain/segment';
import type { Executor, RunResult } from '../exec/executor';
import { SegmentStartError } from './errors';

/**
 * What postgres says at its start when its own configuration stops it: no retry of pg_ctl start can change these
 * (a bad pg_hba.conf or postgresql.conf line, a port another process holds, a file that is missing).
 */
const CONFIGURATION_ERRORS: Array<[RegExp, string]> = [
  [/could not load pg_hba\.conf|invalid connection type|specifying both host name and CIDR mask is invalid/i, 'pg_hba.conf is invalid'],
  [/configuration file "[^"]*" contains errors|invalid value for parameter|unrecognized configuration parameter|syntax error in file/i, 'postgresql.conf is invalid'],
  [/could not translate host name/i, 'listen_addresses names a host that does not resolve'],
  [/could not bind|Address already in use|could not create any TCP\/IP sockets/i, 'the port is in use'],
  [/could not open file|No such file or directory|could not access the server configuration file|could not find the database system/i, 'a file is missing'],
  [/database files are incompatible with server|incorrect checksum in control file/i, 'the data directory does not fit this server'],
  [/permission denied|data directory "[^"]*" has invalid permissions/i, 'permission denied'],
];

// The last FATAL, PANIC or ERROR lines of the start's own log (pg_ctl -l log/startup.log), then of the newest server
// log: where postgres says why it did not come up.
const REASON = String.raw`
d=$1
for f in "$d/log/startup.log" $(ls -t "$d"/log/*.log "$d"/log/*.csv 2>/dev/null | head -1); do
  [ -f "$f" ] && tail -c 65536 "$f" | grep -E '(FATAL|PANIC|ERROR|LOG):' | grep -vE 'database system is shut down|received (fast|smart|immediate) shutdown' | tail -n 3
done | tail -n 3
`;

/** pg_ctl start failed: the reason postgres logged, permanent when it is one of configuration. */
export async function startFailure(exec: Executor, target: Location, res: RunResult): Promise<Error> {
  const logged = await exec.run(['sh', '-c', REASON, 'gprecover-start-log', target.datadir], { timeoutMs: 30_000 }).catch(() => undefined);
  const lines = (logged?.stdout ?? '').trim().split('\n').map((l) => l.replace(/^.*?\b(FATAL|PANIC|ERROR|LOG):\s*/, '$1: ')).filter(Boolean);
  const said = lines.length ? lines.join(' | ') : (res.stderr || res.stdout).trim().split('\n').slice(-2).join(' | ');
  const message = `pg_ctl start of ${target.datadir} on ${exec.host} failed (exit ${res.code}): ${said}`;
  const text = `${logged?.stdout ?? ''}\n${res.stderr}\n${res.stdout}`;
  for (const [pattern, reason] of CONFIGURATION_ERRORS) {
    if (pattern.test(text)) return new PermanentError(`${message} (${reason}; a retry of the start cannot fix this)`);
  }
  return new SegmentStartError(message);
}
