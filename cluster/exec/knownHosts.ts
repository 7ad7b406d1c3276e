import { InvalidRequestError } from '../../domain/failures';
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';

/** Refusing an unknown or changed host key is the only defence against a man-in-the-middle; never retry it. */
export class HostKeyVerificationError extends InvalidRequestError {
  override name = 'HostKeyVerificationError';
}

export interface KnownHostEntry {
  marker?: '@revoked' | '@cert-authority';
  /** The comma-separated host pattern field, or one hashed `|1|salt|hash` name. */
  hosts: string;
  keyType: string;
  key: Buffer;
  line: number;
}

/** OpenSSH known_hosts lines: `[marker] hostpatterns keytype base64key [comment]`; unparseable lines are skipped as ssh does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      if (fields[0] !== '@revoked' && fields[0] !== '@cert-authority') return;
      marker = fields.shift() as KnownHostEntry['marker'];
    }
    if (fields.length < 3) return;
    const [hosts, keyType, b64] = fields;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0 || blobKeyType(key) !== keyType) return;
    entries.push({ marker, hosts, keyType, key, line: i + 1 });
  });
  return entries;
}

export function readKnownHosts(file: string): KnownHostEntry[] {
  return parseKnownHosts(fs.readFileSync(file, 'utf8'));
}

/** ssh looks a non-default port up as `[host]:port`, and only that way. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function hashedMatches(field: string, name: string): boolean {
  const [, kind, salt, hash] = field.split('|');
  if (kind !== '1' || !salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

/** Whether an entry's host field names `name`, with ssh's wildcards and `!negation`. */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedMatches(field, name);
  let matched = false;
  for (const pattern of field.split(',')) {
    if (!pattern) continue;
    if (pattern.startsWith('!')) {
      if (globToRegExp(pattern.slice(1)).test(name)) return false;
    } else if (globToRegExp(pattern).test(name)) {
      matched = true;
    }
  }
  return matched;
}

/** The key type is the first length-prefixed string of the SSH wire-format key blob. */
export function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  if (len > 64 || blob.length < 4 + len) return '';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Same text as `ssh-keygen -lf`: SHA256, base64 without padding. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export type HostKeyVerdict =
  | { status: 'match'; line: number }
  | { status: 'revoked'; line: number }
  | { status: 'mismatch'; lines: number[] }
  | { status: 'unknown' };

/** `names` are every name this host goes by in the cluster configuration (address and hostname). */
export function checkHostKey(entries: KnownHostEntry[], names: string[], blob: Buffer): HostKeyVerdict {
  const forHost = entries.filter((e) => e.marker !== '@cert-authority' && names.some((n) => hostFieldMatches(e.hosts, n)));
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key.equals(blob));
  if (revoked) return { status: 'revoked', line: revoked.line };
  const plain = forHost.filter((e) => !e.marker);
  const match = plain.find((e) => e.key.equals(blob));
  if (match) return { status: 'match', line: match.line };
  if (plain.length) return { status: 'mismatch', lines: plain.map((e) => e.line) };
  return { status: 'unknown' };
}

/** The host key algorithms ssh2 supports, per known_hosts key type. */
const ALGORITHMS_FOR_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-dss': ['ssh-dss'],
};

/**
 * A server holding several host keys offers whichever the client prefers; like ssh, ask for the types already
 * recorded for this host, so a legitimate server is not refused for presenting a key we never saw.
 */
export function preferredHostKeyAlgorithms(entries: KnownHostEntry[], names: string[]): string[] {
  const types = entries
    .filter((e) => !e.marker && names.some((n) => hostFieldMatches(e.hosts, n)))
    .map((e) => e.keyType);
  return [...new Set(types.flatMap((t) => ALGORITHMS_FOR_TYPE[t] ?? []))];
}
