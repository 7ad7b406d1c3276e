// Which pg_hba.conf rule (as pg_hba_file_rules lists them) decides a replication connection from an address, the way
// PostgreSQL's check_hba walks them: the first rule whose type, database, user and address match decides.
import { isIpv4, isIpv6 } from '../values';
import type { HbaRuleFact } from './facts';

function ipv4Bytes(a: string): number[] {
  return a.split('.').map(Number);
}

function ipv6Bytes(a: string): number[] {
  let text = a;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail = ipv4Bytes(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').filter((g) => g !== '') : []);
  const h = groups(head);
  const r = groups(rest);
  const all = rest === undefined ? h : [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
  const bytes = all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  return tail.length ? [...bytes.slice(0, 12), ...tail] : bytes;
}

/** An IP literal as bytes (4 or 16), undefined for anything else. */
export function ipBytes(a: string): number[] | undefined {
  if (isIpv4(a)) return ipv4Bytes(a);
  if (isIpv6(a)) return ipv6Bytes(a);
  return undefined;
}

function inNetwork(client: string, address: string, netmask: string | null): boolean {
  const c = ipBytes(client);
  const a = ipBytes(address);
  const m = netmask ? ipBytes(netmask) : a?.map(() => 0xff);
  if (!c || !a || !m || c.length !== a.length || m.length !== a.length) return false;
  return c.every((byte, i) => (byte & m[i]) === (a[i] & m[i]));
}

export interface ReplicationClient {
  /** The address the connection leaves from. */
  ip: string;
  user: string;
  /** Every address of the primary's own host: `samehost` is any of them. */
  serverAddresses: string[];
}

function addressMatches(rule: HbaRuleFact, c: ReplicationClient): boolean {
  const address = rule.address;
  if (address === null) return false;
  if (address === 'all') return true;
  // samenet needs the server's netmasks, which no fact holds: only the server's own addresses count as its net.
  if (address === 'samehost' || address === 'samenet') return c.serverAddresses.includes(c.ip);
  if (ipBytes(address)) return inNetwork(c.ip, address, rule.netmask);
  return (rule.resolved ?? []).includes(c.ip);
}

/**
 * The rule that decides a replication connection from `c.ip` as `c.user`: a `host*` line whose database list has
 * `replication` (PostgreSQL's `all` does not cover it), whose users have `all` or the user, and whose address matches.
 * Lines the server could not load are skipped, as it skips them. A `+group` member is not known here: no match.
 */
export function decidingReplicationRule(rules: HbaRuleFact[], c: ReplicationClient): HbaRuleFact | undefined {
  return rules.find((r) => r.error === null && r.type.startsWith('host')
    && r.databases.includes('replication')
    && r.users.some((u) => u === 'all' || u === c.user)
    && addressMatches(r, c));
}

/** The rule admits the connection (anything but reject; a password method still needs the password from ~/.pgpass). */
export const ruleAdmits = (rule: HbaRuleFact | undefined): boolean => rule !== undefined && rule.method !== 'reject';

/** An address as gprecoverseg writes it into pg_hba.conf: IPv4 /32, IPv6 /128. */
export function hbaCidr(a: string): string {
  if (isIpv6(a)) return `${a}/128`;
  if (isIpv4(a)) return `${a}/32`;
  return a;
}
