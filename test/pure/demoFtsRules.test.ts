import { describe, expect, it } from 'vitest';
import type { SegmentRow } from '../../domain/segment';
import { decideFtsActions, type FtsContext, type InstanceObservation } from '../../demo/ftsDecide';
import { buildLayout } from '../../demo/layout';

function pair(content: number, p: Partial<SegmentRow> = {}, m: Partial<SegmentRow> = {}): SegmentRow[] {
  const base = { content, port: 0, hostname: 'h', address: '127.0.0.2', datadir: '/d' };
  return [
    { ...base, dbid: 2 + content, role: 'p', preferredRole: 'p', mode: 's', status: 'u', ...p },
    { ...base, dbid: 10 + content, role: 'm', preferredRole: 'm', mode: 's', status: 'u', ...m },
  ];
}

const primaryOk = (state = 'streaming', lag = 0, syncRepOn = true): InstanceObservation =>
  ({ reachable: true, inRecovery: false, walsender: { state, flushLagBytes: lag }, syncRepOn });
const primaryAlone = (syncRepOn = false): InstanceObservation => ({ reachable: true, inRecovery: false, walsender: null, syncRepOn });
const standby: InstanceObservation = { reachable: true, inRecovery: true };
const dead: InstanceObservation = { reachable: false, error: 'connect ECONNREFUSED' };

const ctx = (over: Partial<FtsContext> = {}): FtsContext =>
  ({ reportedDoubleFaults: new Set(), mirrorDisconnectedMs: new Map(), mirrorDownGraceMs: 10_000, ...over });
const obs = (entries: Array<[number, InstanceObservation]>) => new Map(entries);

describe('decideFtsActions', () => {
  it('leaves a healthy synchronized pair alone', () => {
    expect(decideFtsActions(pair(0), obs([[2, primaryOk()], [10, standby]]), ctx())).toEqual([]);
  });

  it('promotes an in-sync mirror when the primary is dead', () => {
    const [a] = decideFtsActions(pair(0), obs([[2, dead], [10, standby]]), ctx());
    expect(a.kind).toBe('failover');
    expect(a.promote).toBe(10);
    expect(a.updates).toEqual([
      { dbid: 10, role: 'p', status: 'u', mode: 'n' },
      { dbid: 2, role: 'm', status: 'd', mode: 'n' },
    ]);
    expect(a.history.map((h) => h.desc)).toEqual([
      'FTS: content 0 fault marking status down dbid 2 (primary unreachable: connect ECONNREFUSED)',
      'FTS: content 0 promoted mirror dbid 10 to primary',
    ]);
    expect(a.syncRep).toEqual({ dbid: 10, on: false });
  });

  it('reports a double fault once when the primary dies while the pair is not in sync', () => {
    const rows = pair(1, { mode: 'n' }, { mode: 'n' });
    const [a] = decideFtsActions(rows, obs([[3, dead], [11, standby]]), ctx());
    expect(a.kind).toBe('doubleFault');
    expect(a.updates).toEqual([]);
    expect(a.history).toHaveLength(1);
    expect(a.history[0].desc).toMatch(/content 1 double fault: primary dbid 3 unreachable.*mirror dbid 11 is not in sync/);
    expect(decideFtsActions(rows, obs([[3, dead], [11, standby]]), ctx({ reportedDoubleFaults: new Set([1]) }))).toEqual([]);
  });

  it('treats both dead as a double fault, not a failover', () => {
    const [a] = decideFtsActions(pair(0), obs([[2, dead], [10, dead]]), ctx());
    expect(a.kind).toBe('doubleFault');
  });

  it('marks an unreachable mirror down, the pair unsynchronized, and turns sync rep off after the catalog', () => {
    const [a] = decideFtsActions(pair(2), obs([[4, primaryAlone(true)], [12, dead]]), ctx());
    expect(a.kind).toBe('mirrorDown');
    expect(a.updates).toEqual([{ dbid: 12, status: 'd', mode: 'n' }, { dbid: 4, mode: 'n' }]);
    expect(a.history[0].desc).toBe('FTS: content 2 fault marking status down dbid 12 (mirror unreachable: connect ECONNREFUSED)');
    expect(a.syncRep).toEqual({ dbid: 4, on: false });
  });

  it('gives a reachable but disconnected mirror its grace period', () => {
    const rows = pair(0);
    const o = obs([[2, primaryAlone(true)], [10, standby]]);
    expect(decideFtsActions(rows, o, ctx({ mirrorDisconnectedMs: new Map([[0, 3_000]]) }))).toEqual([]);
    expect(decideFtsActions(rows, o, ctx({ mirrorDisconnectedMs: new Map([[0, 12_000]]) }))[0].kind).toBe('mirrorDown');
  });

  it('keeps a catching-up mirror up even when it does not accept connections yet', () => {
    const rows = pair(0, { mode: 'n' }, { mode: 'n' });
    expect(decideFtsActions(rows, obs([[2, primaryOk('catchup', 5_000, false)], [10, dead]]), ctx())).toEqual([]);
  });

  it('marks a down mirror up only once its walsender is connected, in sync only when caught up', () => {
    const rows = pair(0, { mode: 'n' }, { mode: 'n', status: 'd' });
    expect(decideFtsActions(rows, obs([[2, primaryAlone()]]), ctx())).toEqual([]);
    const [catching] = decideFtsActions(rows, obs([[2, primaryOk('catchup', 8192, false)]]), ctx());
    expect(catching.kind).toBe('mirrorUp');
    expect(catching.updates).toEqual([{ dbid: 10, status: 'u', mode: 'n' }, { dbid: 2, mode: 'n' }]);
    expect(catching.syncRep).toBeUndefined();
    const [synced] = decideFtsActions(rows, obs([[2, primaryOk('streaming', 0, false)]]), ctx());
    expect(synced.updates).toEqual([{ dbid: 10, status: 'u', mode: 's' }, { dbid: 2, mode: 's' }]);
    expect(synced.syncRep).toEqual({ dbid: 2, on: true });
  });

  it('with identity checks (Greenplum flavours), refuses to mark up a mirror that is not who the catalog says, once per problem', () => {
    const rows = pair(3, { mode: 'n' }, { status: 'd', mode: 'n' });
    const mirror = (gpDbid: number | undefined, tablespaceLinks: string[] = ['/ts/13']): InstanceObservation =>
      ({ reachable: true, inRecovery: true, identity: { ...(gpDbid === undefined ? {} : { gpDbid }), tablespaceLinks } });
    const check = (o: InstanceObservation, reported = new Set<string>()) =>
      decideFtsActions(rows, obs([[5, primaryOk('streaming', 0)], [13, o]]), ctx({ checkIdentity: true, reportedIdentityProblems: reported }));
    const [copied] = check(mirror(5));
    expect(copied).toMatchObject({ kind: 'identityRefused', updates: [], identityKey: expect.any(String) });
    expect(copied.history.map((h) => h.desc)).toEqual(['FTS: content 3 mirror dbid 13 carries gp_dbid=5 in internal.auto.conf, not its own dbid 13; not marking it up']);
    expect(check(mirror(5), new Set([copied.identityKey!]))[0].history).toEqual([]);
    expect(check(mirror(13, ['/ts/5']))[0].history[0].desc).toMatch(/has a tablespace linked to \/ts\/5, not to a directory of its own dbid 13/);
    expect(check(mirror(undefined))[0].history[0].desc).toMatch(/carries gp_dbid=nothing/);
    expect(check(mirror(13))[0]).toMatchObject({ kind: 'mirrorUp' });
    // Plain PostgreSQL demos have no identity to check.
    expect(decideFtsActions(rows, obs([[5, primaryOk('streaming', 0)], [13, mirror(5)]]), ctx())[0]).toMatchObject({ kind: 'mirrorUp' });
  });

  it('ignores a base backup walsender: only gp_walreceiver states count', () => {
    const rows = pair(0, { mode: 'n' }, { mode: 'n', status: 'd' });
    expect(decideFtsActions(rows, obs([[2, primaryOk('backup', 0, false)]]), ctx())).toEqual([]);
  });

  it('moves an up pair from n to s when the mirror has caught up, with sync rep first', () => {
    const rows = pair(0, { mode: 'n' }, { mode: 'n' });
    expect(decideFtsActions(rows, obs([[2, primaryOk('catchup', 0, false)], [10, standby]]), ctx())).toEqual([]);
    const [a] = decideFtsActions(rows, obs([[2, primaryOk('streaming', 0, false)], [10, standby]]), ctx());
    expect(a.kind).toBe('inSync');
    expect(a.updates).toEqual([{ dbid: 2, mode: 's' }, { dbid: 10, mode: 's' }]);
    expect(a.syncRep).toEqual({ dbid: 2, on: true });
  });

  // Greenplum's GetMirrorStatus: in sync = up and streaming. The demo also wanted no WAL in flight, which a busy
  // primary's mirror seldom shows when probed: a probe asked for just after the walsender streamed marked nothing.
  it('marks a streaming mirror in sync while WAL is still in flight to it, as Greenplum does', () => {
    const [a] = decideFtsActions(pair(0, { mode: 'n' }, { mode: 'n' }), obs([[2, primaryOk('streaming', 100, false)], [10, standby]]), ctx());
    expect(a?.kind).toBe('inSync');
    const [up] = decideFtsActions(pair(0, { mode: 'n' }, { mode: 'n', status: 'd' }), obs([[2, primaryOk('streaming', 8192, false)]]), ctx());
    expect(up.updates).toEqual([{ dbid: 10, status: 'u', mode: 's' }, { dbid: 2, mode: 's' }]);
  });

  it('switches sync rep without touching the catalog of a healthy pair', () => {
    const [a] = decideFtsActions(pair(0), obs([[2, primaryOk('streaming', 0, false)], [10, standby]]), ctx());
    expect(a).toMatchObject({ kind: 'syncRep', updates: [], history: [], syncRep: { dbid: 2, on: true } });
  });

  it('leaves contents alone whose catalog is mid-change or whose primary is already down', () => {
    const onlyPrimary = pair(0).slice(0, 1);
    const twoPrimaries = pair(1, {}, { role: 'p' });
    const primaryDown = pair(2, { status: 'd' });
    const rows = [...onlyPrimary, ...twoPrimaries, ...primaryDown];
    expect(decideFtsActions(rows, obs([[2, dead], [3, dead], [11, dead], [4, dead], [12, standby]]), ctx())).toEqual([]);
  });

  it('never probes the coordinator', () => {
    const coordinator: SegmentRow = { dbid: 1, content: -1, role: 'p', preferredRole: 'p', mode: 'n', status: 'u', port: 1, hostname: 'c', address: 'a', datadir: '/c' };
    expect(decideFtsActions([coordinator], obs([[1, dead]]), ctx())).toEqual([]);
  });
});

describe('buildLayout', () => {
  it('places mirrors on the next host (group mirroring) with dbids after the primaries', () => {
    const l = buildLayout({ rootDir: '/r', ipPrefix: '127.0.9', hosts: 3, primariesPerHost: 2, osUser: 'gpadmin', addresses: 'ips' });
    expect(l.coordinator).toMatchObject({ dbid: 1, content: -1, address: '127.0.9.1', port: 15432, datadir: '/r/coordinator/gpseg-1' });
    const m = (c: number) => l.segments.find((s) => s.content === c && s.role === 'm')!;
    const p = (c: number) => l.segments.find((s) => s.content === c && s.role === 'p')!;
    expect(p(3)).toMatchObject({ dbid: 5, hostname: 'sdw2', address: '127.0.9.3', port: 16001, datadir: '/r/sdw2/primary/gpseg3' });
    expect(m(3)).toMatchObject({ dbid: 11, hostname: 'sdw3', address: '127.0.9.4', port: 17001, datadir: '/r/sdw3/mirror/gpseg3' });
    expect(m(5).hostname).toBe('sdw1');
    expect(l.hostAddresses).toEqual({ sdw1: '127.0.9.2', sdw2: '127.0.9.3', sdw3: '127.0.9.4' });
    expect(l.hostIps.sdw3).toEqual(['127.0.9.4', '127.128.9.4']);
    // By default the catalog holds names, unique to the cluster, as gpinitsystem writes host names there.
    const named = buildLayout({ name: 'prod_a', rootDir: '/r', ipPrefix: '127.0.9', osUser: 'gpadmin' });
    expect(named.hostAddresses).toEqual({ sdw1: 'prod-a-sdw1', sdw2: 'prod-a-sdw2' });
    expect(named.coordinator.address).toBe('prod-a-cdw');
  });

  it('rejects addresses outside loopback and overlapping port ranges with a DemoError', () => {
    expect(() => buildLayout({ ipPrefix: '10.0.0' })).toThrow(expect.objectContaining({ name: 'DemoError' }));
    expect(() => buildLayout({ primaryBasePort: 16000, mirrorBasePort: 16001 })).toThrow(/overlap/);
  });
});
