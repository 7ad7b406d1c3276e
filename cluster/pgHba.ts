// gprecoverseg's pg_hba.conf update (gppylib/operations/update_pg_hba_on_segments.py create_entries,
// sbin/seg_update_pg_hba.py): before copying, each source primary trusts every address of the host its mirror is
// rebuilt on (and of its own host for replication), or their canonical names with --hba-hostnames.

export interface HbaHosts {
  /** Database user of the copies (the OS user running gpMgmt, gpadmin). */
  user: string;
  /** The mirror host's addresses, as its own interfaces list them (ifaddrs --no-loopback), or its canonical name. */
  mirror: string[];
  /** The primary host's, when it is another host than the mirror's (replication entries only). */
  primary: string[];
}

/** An address as pg_hba.conf takes it: IPv4 /32, IPv6 /128; a host name as it is. */
export function hbaAddress(a: string): string {
  if (a.includes(':')) return `${a}/128`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(a)) return `${a}/32`;
  return a;
}

/** create_entries: replication from samehost; `all` for the mirror host; replication for the mirror and primary hosts. */
export function hbaEntries(h: HbaHosts): string[] {
  const entries = [`host replication ${h.user} samehost trust`];
  for (const a of h.mirror) entries.push(`host all ${h.user} ${hbaAddress(a)} trust`);
  for (const a of [...new Set([...h.mirror, ...h.primary])]) entries.push(`host replication ${h.user} ${hbaAddress(a)} trust`);
  return [...new Set(entries)];
}

const canonical = (line: string) => line.trim().replace(/\s+/g, ' ');

/** seg_update_pg_hba.py is_stale_replication_entry (Greenplum 7): any replication line but the host's own loopback ones. */
function isStaleReplicationEntry(line: string): boolean {
  if (line.trim().startsWith('#') || !line.includes('replication')) return false;
  return !['127.0.0.1/32', '::1/128', 'local', 'samehost'].some((e) => line.includes(e));
}

/**
 * remove_dup_add_entries, then (Greenplum 7) remove_stale_replication_entries: the file's lines with duplicates
 * dropped, each entry it does not have yet appended, and every other non-local replication line dropped. Running it
 * again changes nothing. Returns undefined when the file is already what it would become.
 */
export function withHbaEntries(current: string, entries: string[], removeStale: boolean): string | undefined {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const line of current.split('\n')) {
    const c = canonical(line);
    if (c && !c.startsWith('#')) {
      if (seen.has(c)) continue;
      seen.add(c);
    }
    lines.push(line.trimEnd());
  }
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  const wanted = new Set(entries.map(canonical));
  const kept = removeStale ? lines.filter((l) => wanted.has(canonical(l)) || !isStaleReplicationEntry(l)) : lines;
  const next = [...kept, ...entries.filter((e) => !seen.has(canonical(e))), ''].join('\n');
  return next === [...lines, ''].join('\n') ? undefined : next;
}
