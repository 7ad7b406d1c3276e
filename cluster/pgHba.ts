// gprecoverseg's pg_hba.conf update (gppylib/operations/update_pg_hba_on_segments.py, sbin/seg_update_pg_hba.py):
// before copying, each source primary trusts the host its new mirror is rebuilt on.

export interface HbaTarget {
  /** Database user of the copies (the OS user running gpMgmt, gpadmin). */
  user: string;
  /** Where the mirror is rebuilt: its address (IP/32), or its hostname with --hba-hostnames. */
  mirror: { hostname: string; address: string };
  primary: { hostname: string; address: string };
  hostnames?: boolean;
}

const cidr = (address: string) => (address.includes(':') ? `${address}/128` : `${address}/32`);

/** create_entries: `all` for the mirror host, `replication` for the mirror host and the primary's own, and samehost. */
export function hbaEntries(t: HbaTarget): string[] {
  const name = (h: { hostname: string; address: string }) => (t.hostnames ? h.hostname : cidr(h.address));
  const entries = [`host replication ${t.user} samehost trust`, `host all ${t.user} ${name(t.mirror)} trust`, `host replication ${t.user} ${name(t.mirror)} trust`];
  if (name(t.primary) !== name(t.mirror)) entries.push(`host replication ${t.user} ${name(t.primary)} trust`);
  return entries;
}

const canonical = (line: string) => line.trim().replace(/\s+/g, ' ');

/**
 * remove_dup_add_entries: the file's lines with duplicates dropped, then each entry it does not have yet; running it
 * again changes nothing. Returns undefined when the file already has every entry.
 */
export function withHbaEntries(current: string, entries: string[]): string | undefined {
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
  const missing = entries.filter((e) => !seen.has(canonical(e)));
  if (!missing.length) return undefined;
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return [...lines, ...missing, ''].join('\n');
}
