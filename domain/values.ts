// What a host name, an address and a data directory may be, wherever one enters: an -i file, a -p list, workflow
// input typed into the Web UI, or the catalog itself. These values end up in pg_hba.conf, in shell commands that
// gpstart and gpstop build from gp_segment_configuration, in libpq conninfo strings and in rsync's host:path, so
// anything else is refused where it enters, in one line. Pure code: the workflow bundle imports it.

/** Words with a meaning of their own in pg_hba.conf's address column: never a host. */
const PG_HBA_ADDRESS_KEYWORDS = new Set(['all', 'samehost', 'samenet']);

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

/** An IPv6 literal (optionally with an embedded IPv4 tail), without brackets or a zone. */
export function isIpv6(s: string): boolean {
  if (!s.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(s)) return false;
  let groups = s.split(':');
  const last = groups[groups.length - 1];
  let width = 8;
  if (last.includes('.')) {
    if (!isIpv4(last)) return false;
    groups = groups.slice(0, -1);
    width = 6;
  }
  const empties = groups.filter((g, i) => g === '' && !(i === 0 && groups[1] === '') && !(i === groups.length - 1 && groups[i - 1] === '')).length;
  if (s.includes(':::') || empties > 1 || (s.match(/::/g)?.length ?? 0) > 1) return false;
  const filled = groups.filter((g) => g !== '');
  if (!filled.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return s.includes('::') ? filled.length < width : filled.length === width;
}

export const isIpLiteral = (s: string): boolean => isIpv4(s) || isIpv6(s);

/** RFC 1123 host name (underscores allowed, as gprecoverseg's -i check allows them): labels of letters, digits, '-', '_'. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** Why `value` cannot name a host (as a hostname or an address column), or undefined when it can. */
export function hostProblem(value: string, what = 'host'): string | undefined {
  if (typeof value !== 'string' || value === '') return `${what} must not be empty`;
  if (PG_HBA_ADDRESS_KEYWORDS.has(value.toLowerCase())) return `${what} '${value}' is a pg_hba.conf keyword, not a host`;
  if (value.startsWith('-')) return `${what} '${value}' starts with '-' (it would be read as an option)`;
  if (isIpLiteral(value)) return undefined;
  if (/^[0-9.]+$/.test(value)) return `${what} '${value}' is not a valid IPv4 address`;
  if (!HOST_NAME.test(value)) return `${what} '${value.slice(0, 80)}' is not a host name or an IP address (letters, digits, '-', '_' and '.' only)`;
  return undefined;
}

/** Characters a data directory may hold: what gpstart/gpstop and the shell commands gpMgmt builds carry safely. */
const DATADIR_CHARS = /^[A-Za-z0-9._/+-]+$/;

export const MAX_PATH_LENGTH = 1024;

/**
 * Why `path` cannot be a segment data directory (or another directory gprecover writes to), or undefined: absolute,
 * normalized (no '//', '.', '..' or trailing '/'), at least two components deep, no component starting with '-'.
 */
export function directoryProblem(path: string, what = 'data directory'): string | undefined {
  if (typeof path !== 'string' || path === '') return `${what} must not be empty`;
  const shown = path.length > 80 ? `${path.slice(0, 80)}…` : path;
  if (path.length > MAX_PATH_LENGTH) return `${what} '${shown}' is longer than ${MAX_PATH_LENGTH} characters`;
  if (!path.startsWith('/')) return `${what} '${shown}' is not an absolute path`;
  if (!DATADIR_CHARS.test(path)) return `${what} '${shown}' holds characters other than letters, digits, '.', '_', '+', '-' and '/'`;
  const parts = path.slice(1).split('/');
  if (path !== '/' && path.endsWith('/')) return `${what} '${shown}' ends with '/'`;
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return `${what} '${shown}' is not normalized ('//', '.' or '..')`;
  if (parts.some((p) => p.startsWith('-'))) return `${what} '${shown}' has a component starting with '-'`;
  if (parts.length < 2) return `${what} '${shown}' is too short to be a segment directory`;
  return undefined;
}

/** '/data//p1/' -> '/data/p1': what an -i file or the CLI gives, before directoryProblem judges it. */
export function normalizeDirectory(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/+$/, '') : collapsed;
}

/** A cluster is named by the worker's clusters file; input only has to be a name of bounded length. */
export function clusterNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'input must name the cluster: {"cluster": "<name>"}';
  if (name.length > 200) return `cluster name '${name.slice(0, 40)}…' is longer than 200 characters`;
  return undefined;
}
