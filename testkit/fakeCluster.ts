// Catalogs of clusters that exist only in memory, for the fakes of testkit/fakeActivities.ts: fast workflow tests, the
// stub runs behind `history` and `show` tests, and the bench's simulation. Nothing here touches PostgreSQL.
import type { ClusterSnapshot } from '../domain/probe';
import type { SegmentRow } from '../domain/segment';

export interface FakeClusterShape {
  /** Contents (primary/mirror pairs). */
  contents: number;
  /** Primaries per host; host h's primaries are mirrored on host h+1 (group mirroring). */
  perHost: number;
  /** dbids FTS marks down (their pair goes mode n). */
  down?: number[];
  /** Contents whose mirror acts as primary (what a rebalance undoes). */
  swapped?: number[];
  /** Hosts the worker's configuration names beside the catalog's (spare hosts), by number after the last one. */
  spareHosts?: number;
}

const hostOf = (h: number) => ({ hostname: `sdw${h + 1}`, address: `10.${Math.floor((h + 1) / 250)}.${(h + 1) % 250}.1` });

/**
 * dbid 1 is the coordinator; primaries are dbid 2 .. contents+1, mirrors contents+2 .. 2*contents+1 (content c's
 * primary 2+c, its mirror 2+contents+c), as gpinitsystem numbers them.
 */
export function fakeSegments(shape: FakeClusterShape): SegmentRow[] {
  const n = shape.contents;
  const hosts = Math.max(2, Math.ceil(n / shape.perHost));
  const rows: SegmentRow[] = [{ dbid: 1, content: -1, role: 'p', preferredRole: 'p', mode: 'n', status: 'u', port: 5432, hostname: 'cdw', address: '10.255.0.1', datadir: '/data/coordinator/gpseg-1' }];
  for (let c = 0; c < n; c++) {
    const h = Math.floor(c / shape.perHost);
    rows.push({ dbid: 2 + c, content: c, role: 'p', preferredRole: 'p', mode: 's', status: 'u', port: 6000 + (c % shape.perHost), ...hostOf(h), datadir: `/data/primary/gpseg${c}` });
  }
  for (let c = 0; c < n; c++) {
    const h = (Math.floor(c / shape.perHost) + 1) % hosts;
    rows.push({ dbid: 2 + n + c, content: c, role: 'm', preferredRole: 'm', mode: 's', status: 'u', port: 7000 + (c % shape.perHost), ...hostOf(h), datadir: `/data/mirror/gpseg${c}` });
  }
  for (const r of rows) {
    if (shape.swapped?.includes(r.content)) r.role = r.role === 'p' ? 'm' : 'p';
    if (shape.down?.includes(r.dbid)) {
      r.status = 'd';
      if (r.role === 'p') r.role = 'm';
      for (const p of rows) {
        if (p.content !== r.content) continue;
        p.mode = 'n';
        if (p.dbid !== r.dbid) p.role = 'p';
      }
    }
  }
  return rows;
}

export function fakeSnapshot(cluster: string, shape: FakeClusterShape): ClusterSnapshot {
  const segments = fakeSegments(shape);
  const hostAddresses: Record<string, string> = {};
  for (const s of segments) hostAddresses[s.hostname] = s.address;
  const known = Object.keys(hostAddresses).filter((h) => h !== 'cdw').length;
  for (let i = 0; i < (shape.spareHosts ?? 0); i++) {
    const { hostname, address } = hostOf(known + i);
    hostAddresses[hostname] = address;
  }
  return { cluster, flavor: { name: 'gp7', title: 'Greenplum 7 (fake)', differential: true }, segments, hostAddresses };
}
