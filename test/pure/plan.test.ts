import { describe, expect, it } from 'vitest';
import type { SegmentRow } from '../../domain/segment';
import type { ClusterSnapshot, DirProbe, ProbeResult } from '../../domain/probe';
import { parseRecoverConfig } from '../../domain/recoverConfig';
import { largestFirst, probeRequests, selectTargets, validateTargets } from '../../domain/plan';
import { recoveryInputProblems } from '../../domain/recoveryInput';

const row = (dbid: number, content: number, role: 'p' | 'm', pref: 'p' | 'm', status: 'u' | 'd', host: string, port: number, mode: 's' | 'n' = status === 'd' ? 'n' : 's'): SegmentRow => ({
  dbid, content, role, preferredRole: pref, mode, status, port, hostname: host, address: host === 'sdw1' ? '127.0.0.2' : host === 'sdw2' ? '127.0.0.3' : '127.0.0.4',
  datadir: `/data/${pref === 'p' ? 'primary' : 'mirror'}/gpseg${content}`,
});

function snapshot(segments: SegmentRow[]): ClusterSnapshot {
  return { cluster: 'c1', flavor: { name: 'gp7', title: 'Greenplum 7', differential: true }, segments, hostAddresses: { sdw1: '127.0.0.2', sdw2: '127.0.0.3', sdw3: '127.0.0.4' } };
}

const healthy = () => [
  row(1, -1, 'p', 'p', 'u', 'cdw', 5432),
  row(2, 0, 'p', 'p', 'u', 'sdw1', 6000), row(4, 0, 'm', 'm', 'u', 'sdw2', 7000),
  row(3, 1, 'p', 'p', 'u', 'sdw2', 6000), row(5, 1, 'm', 'm', 'u', 'sdw1', 7000),
];

function probeOk(items: ReturnType<typeof selectTargets>, over: Partial<DirProbe> = {}): ProbeResult {
  return {
    dirs: probeRequests(items).map((d) => ({ ...d, reachable: true, exists: true, empty: false, pgVersion: '15', postmasterLive: false, standbySignal: true, systemIdentifier: '42', timeline: 1, ...over })),
    sources: items.map((i) => ({ dbid: i.source.dbid, reachable: true, inRecovery: false, systemIdentifier: '42', timeline: 1 })),
  };
}

describe('selectTargets', () => {
  it('finds nothing to do on a healthy cluster', () => {
    expect(selectTargets(snapshot(healthy()), { cluster: 'c1' })).toEqual([]);
  });

  it('plans an incremental recovery of a down mirror from its acting primary', () => {
    const segs = healthy();
    segs[2] = row(4, 0, 'm', 'm', 'd', 'sdw2', 7000);
    const [item] = selectTargets(snapshot(segs), { cluster: 'c1' });
    expect(item).toMatchObject({ dbid: 4, content: 0, type: 'incremental', moved: false, source: { dbid: 2 } });
    expect(item.target).toEqual({ hostname: 'sdw2', address: '127.0.0.3', port: 7000, datadir: '/data/mirror/gpseg0' });
  });

  it('recovers a failed-over old primary as mirror of the promoted one, full with -F', () => {
    const segs = healthy();
    segs[1] = row(2, 0, 'm', 'p', 'd', 'sdw1', 6000);
    segs[2] = row(4, 0, 'p', 'm', 'u', 'sdw2', 7000, 'n');
    const [item] = selectTargets(snapshot(segs), { cluster: 'c1', full: true });
    expect(item).toMatchObject({ dbid: 2, type: 'full', source: { dbid: 4, role: 'p' } });
  });

  it('refuses a double fault with a clear reason', () => {
    const segs = healthy();
    segs[3] = row(3, 1, 'p', 'p', 'd', 'sdw2', 6000);
    segs[4] = row(5, 1, 'm', 'm', 'd', 'sdw1', 7000);
    expect(() => selectTargets(snapshot(segs), { cluster: 'c1' })).toThrow(/content 1: both dbid 3 and dbid 5 are down \(double fault\)/);
  });

  it('refuses an -i line for a segment that is up, and one that is unknown', () => {
    const segs = healthy();
    expect(() => selectTargets(snapshot(segs), { cluster: 'c1' }, parseRecoverConfig('127.0.0.3|7000|/data/mirror/gpseg0'))).toThrow(/dbid 4 .* is already up/);
    expect(() => selectTargets(snapshot(segs), { cluster: 'c1' }, parseRecoverConfig('127.0.0.9|7000|/x/y'))).toThrow(/A segment to recover was not found in configuration. {2}This segment is described by address\|port\|directory '127.0.0.9\|7000\|\/x\/y' \(line 1/);
  });

  it('moves a mirror to a new location as a full recovery and refuses moving an acting primary', () => {
    const segs = healthy();
    const [item] = selectTargets(snapshot(segs), { cluster: 'c1' }, parseRecoverConfig('127.0.0.3|7000|/data/mirror/gpseg0 127.0.0.4|7100|/new/gpseg0'));
    expect(item).toMatchObject({ dbid: 4, type: 'full', moved: true, target: { hostname: 'sdw3', port: 7100, datadir: '/new/gpseg0' } });
    expect(() => selectTargets(snapshot(segs), { cluster: 'c1' }, parseRecoverConfig('127.0.0.2|6000|/data/primary/gpseg0 127.0.0.4|7100|/n/g0'))).toThrow(/acting primary; it is never stopped or moved/);
  });

  it('maps failed hosts to spare hosts with -p and checks there are enough', () => {
    const segs = healthy();
    segs[2] = row(4, 0, 'm', 'm', 'd', 'sdw2', 7000);
    const [item] = selectTargets(snapshot(segs), { cluster: 'c1', spareHosts: ['sdw3'] });
    expect(item).toMatchObject({ moved: true, type: 'full', target: { hostname: 'sdw3', address: '127.0.0.4', port: 7000 } });
    expect(() => selectTargets(snapshot(segs), { cluster: 'c1', spareHosts: ['nohost'] })).toThrow(/spare host 'nohost' is not configured/);
  });
});

describe('validateTargets', () => {
  const downMirrorSegments = () => {
    const segs = healthy();
    segs[2] = row(4, 0, 'm', 'm', 'd', 'sdw2', 7000);
    return segs;
  };
  const downMirror = () => selectTargets(snapshot(downMirrorSegments()), { cluster: 'c1' });

  it('keeps a sound plan', () => {
    const items = downMirror();
    expect(validateTargets('c1', items, probeOk(items)).items).toHaveLength(1);
  });

  it('skips a content whose copy is already running', () => {
    const items = downMirror();
    const plan = validateTargets('c1', items, probeOk(items, { copyRunning: 'pg_basebackup -D /data/mirror/gpseg0' }));
    expect(plan.items).toEqual([]);
    expect(plan.skipped[0].reason).toMatch(/a copy is already running/);
  });

  it('refuses incremental onto another cluster\'s data directory or onto nothing', () => {
    const items = downMirror();
    expect(() => validateTargets('c1', items, probeOk(items, { systemIdentifier: '99' }))).toThrow(/belongs to another cluster, use -F/);
    expect(() => validateTargets('c1', items, probeOk(items, { exists: false, pgVersion: undefined }))).toThrow(/no data directory .* to rewind; use -F/);
  });

  it('--differential needs rsync 3.1.0 or later where it runs (gprecoverseg\'s words), versions compared as numbers', () => {
    const items = selectTargets(snapshot(downMirrorSegments()), { cluster: 'c1', differential: true });
    expect(probeRequests(items).map((r) => r.checkRsync)).toEqual([true]);
    const refused = /^To perform a differential recovery, a minimum rsync version of 3\.1\.0 is required\. Please ensure that rsync is updated to version 3\.1\.0 or higher\. \(host sdw2 has (rsync 3\.0\.9|no rsync)\)$/;
    expect(() => validateTargets('c1', items, probeOk(items, { rsyncVersion: '3.0.9' }))).toThrow(refused);
    expect(() => validateTargets('c1', items, probeOk(items, { rsyncVersion: '' }))).toThrow(refused);
    for (const v of ['3.1.0', '3.2.7', '3.10.1', '4.0.0']) expect(validateTargets('c1', items, probeOk(items, { rsyncVersion: v })).items).toHaveLength(1);
  });

  it('refuses a source or failed directory whose heap checksum setting differs from the coordinator\'s', () => {
    const items = downMirror();
    const probe = (dirVersion: number, sourceVersion: number): ProbeResult => {
      const p = probeOk(items, { checksumVersion: dirVersion });
      return { ...p, sources: p.sources.map((s) => ({ ...s, checksumVersion: sourceVersion })), coordinatorChecksumVersion: 1 };
    };
    expect(validateTargets('c1', items, probe(1, 1)).items).toHaveLength(1);
    expect(() => validateTargets('c1', items, probe(0, 1)))
      .toThrow(/^Heap checksum setting differences reported on segments: sdw2 \(dbid 4\) checksum set to 0 differs from coordinator checksum set to 1$/);
    expect(() => validateTargets('c1', items, probe(1, 0)))
      .toThrow(/^Heap checksum setting differences reported on segments: sdw1 \(dbid 2\) checksum set to 0 differs from coordinator checksum set to 1$/);
    // -F copies over the failed directory: its setting is about to go, and -F is the recovery that repairs it.
    const full = items.map((it) => ({ ...it, type: 'full' as const }));
    expect(validateTargets('c1', full, probe(0, 1)).items).toHaveLength(1);
    expect(() => validateTargets('c1', full, probe(1, 0))).toThrow(/^Heap checksum setting differences reported on segments: sdw1 \(dbid 2\)/);
  });

  it('refuses a move onto a port in use or a non-empty directory', () => {
    const items = selectTargets(snapshot(healthy()), { cluster: 'c1' }, parseRecoverConfig('127.0.0.3|7000|/data/mirror/gpseg0 127.0.0.4|7100|/new/gpseg0'));
    expect(() => validateTargets('c1', items, probeOk(items, { portInUse: true, exists: false, empty: true }))).toThrow(/port 7100 on host sdw3 is already in use/);
    expect(() => validateTargets('c1', items, probeOk(items, { portInUse: false }))).toThrow(/target directory \/new\/gpseg0 on host sdw3 is not empty/);
  });

  it('refuses a new location the OS user cannot create, or without room for the copy', () => {
    const segs = healthy();
    segs[2] = row(4, 0, 'm', 'm', 'd', 'sdw2', 7000);
    const items = selectTargets(snapshot(segs), { cluster: 'c1' }, parseRecoverConfig('127.0.0.3|7000|/data/mirror/gpseg0 127.0.0.4|7100|/new/gpseg0'));
    expect(probeRequests(items)).toEqual([{ location: items[0].target, checkPort: true, checkSpace: true, checkRsync: false }]);
    const probe = (space: DirProbe['space'], sizeBytes = 5 * 1024 ** 3): ProbeResult => ({
      dirs: [{ location: items[0].target, reachable: true, exists: false, empty: true, postmasterLive: false, standbySignal: false, portInUse: false, space }],
      sources: [{ dbid: 2, reachable: true, inRecovery: false, sizeBytes }],
    });
    expect(() => validateTargets('c1', items, probe({ ancestor: '/', writable: false, freeKb: 1e9 })))
      .toThrow(/^dbid 4 \(content 0\): the OS user cannot create \/new\/gpseg0 on host sdw3 \(\/ is not writable for it: permission denied\)$/);
    expect(() => validateTargets('c1', items, probe({ ancestor: '/new', writable: true, freeKb: 1024 * 1024 })))
      .toThrow(/^dbid 4 \(content 0\): sdw3:\/new has 1\.0 GB free, the copy of dbid 2 needs 5\.0 GB$/);
    expect(validateTargets('c1', items, probe({ ancestor: '/new', writable: true, freeKb: 10 * 1024 * 1024 })).items).toHaveLength(1);
  });

  it('skips a content whose source already serves a copy, as gprecoverseg does', () => {
    const items = downMirror();
    for (const [copies, reason] of [
      [{ basebackup: true, rewind: false, backupMode: false }, /Found pg_basebackup running/],
      [{ basebackup: false, rewind: true, backupMode: false }, /Found pg_rewind running/],
      [{ basebackup: false, rewind: false, backupMode: true }, /Found differential recovery running/],
    ] as const) {
      const probe = probeOk(items);
      probe.sources[0].copiesFromIt = copies;
      const plan = validateTargets('c1', items, probe);
      expect(plan.items).toEqual([]);
      expect(plan.skipped).toEqual([{ content: 0, dbid: 4, reason: expect.stringMatching(reason) }]);
    }
  });

  it('refuses --differential on a flavour without it (Cloudberry)', () => {
    const segs = healthy();
    segs[2] = row(4, 0, 'm', 'm', 'd', 'sdw2', 7000);
    const cb = { ...snapshot(segs), flavor: { name: 'cloudberry' as const, title: 'Apache Cloudberry 2.0.0', differential: false } };
    expect(() => selectTargets(cb, { cluster: 'c1', differential: true })).toThrow(/^Apache Cloudberry 2\.0\.0 has no differential recovery/);
    expect(() => selectTargets(cb, { cluster: 'c1' }, parseRecoverConfig('D|127.0.0.3|7000|/data/mirror/gpseg0'))).toThrow(/has no differential recovery/);
  });

  it('skips an in-place recovery on an unreachable host, as gprecoverseg does, and recovers the rest', () => {
    const items = downMirror();
    const plan = validateTargets('c1', items, probeOk(items, { reachable: false, error: 'ssh: connect refused' }));
    expect(plan.items).toEqual([]);
    expect(plan.skipped).toEqual([{ content: 0, dbid: 4, reason: expect.stringMatching(/host sdw2 \(127.0.0.3\) is not reachable: ssh: connect refused; skipping its in-place recovery/) }]);
  });
});

describe('recoveryInputProblems: the one schema of every entry point (CLI, Web UI JSON, schedule)', () => {
  it('accepts the documented inputs', () => {
    expect(recoveryInputProblems({ cluster: 'demo' })).toEqual([]);
    expect(recoveryInputProblems({ cluster: 'demo', full: true, hostParallelism: 4, rebalance: false, replayLagGB: 0.5 })).toEqual([]);
    expect(recoveryInputProblems({ cluster: 'demo', spareHosts: ['sdw9'], segmentParallelism: 8 })).toEqual([]);
    expect(recoveryInputProblems({ cluster: 'demo', full: true, spareHosts: ['sdw9'] })).toEqual(['-F option is not supported with -p option']);
    expect(recoveryInputProblems({ cluster: 'demo', hostParallelism: 65, maxRate: '10G' })).toEqual(['Invalid parallelDegree value provided with -B argument: 65', 'Invalid --max-rate unit: G']);
  });

  it('names each wrong field, with its bounds', () => {
    expect(recoveryInputProblems('demo')).toEqual(['input must be a JSON object like {"cluster": "demo"}']);
    expect(recoveryInputProblems({ cluster: 'demo', hostParallelism: 0, full: 'yes', fast: true })).toEqual([
      "input field 'hostParallelism' must be a whole number from 1 to 1024, not 0",
      "input field 'full' must be true or false, not \"yes\"",
      expect.stringMatching(/^unknown input field 'fast' \(known: cluster, full/),
    ]);
    expect(recoveryInputProblems({})).toEqual(['input must name the cluster: {"cluster": "<name>"}']);
    expect(recoveryInputProblems({ cluster: 'demo', outageSeconds: 10 ** 9, requestedBy: 'x'.repeat(500) })).toEqual([
      "input field 'outageSeconds' must be a whole number from 1 to 604800, not 1000000000",
      `input field 'requestedBy' must be a string of at most 200 characters, not "${'x'.repeat(79)}`,
    ]);
  });

  it('refuses what would reach pg_hba.conf, a shell or the lock as something else than a host or a directory', () => {
    expect(recoveryInputProblems({ cluster: 'demo', spareHosts: ['all'] })).toEqual(["input field 'spareHosts': spare host 'all' is a pg_hba.conf keyword, not a host"]);
    expect(recoveryInputProblems({ cluster: 'demo', spareHosts: ['-oProxyCommand=id'] })).toEqual(["input field 'spareHosts': spare host '-oProxyCommand=id' starts with '-' (it would be read as an option)"]);
    expect(recoveryInputProblems({ cluster: 'demo', coordinatorDataDirectory: '/data/$(id)' })).toEqual([
      "input field 'coordinatorDataDirectory': coordinator data directory (-d) '/data/$(id)' holds characters other than letters, digits, '.', '_', '+', '-' and '/'",
    ]);
    expect(recoveryInputProblems({ cluster: 'demo', recoverConfig: '127.0.0.2|7000|/data/m/gpseg0 samenet|7001|/data/n/gpseg0' })).toEqual([
      "Invalid address on line 1: address 'samenet' is a pg_hba.conf keyword, not a host",
    ]);
  });
});

describe('contentIdsThatFit (search attribute value limit)', () => {
  it('keeps every id of a normal run and a sorted prefix under 2 KiB for a huge one', async () => {
    const { contentIdsThatFit } = await import('../../domain/searchAttributes');
    expect(contentIdsThatFit([3, 1, 1, 2])).toEqual(['1', '2', '3']);
    const ids = contentIdsThatFit(Array.from({ length: 1000 }, (_, i) => 999 - i));
    expect(JSON.stringify(ids).length).toBeLessThanOrEqual(1800);
    expect(ids.slice(0, 3)).toEqual(['0', '1', '2']);
    expect(ids.length).toBeGreaterThan(300);
  });
});

describe('largestFirst: the start order and the segments started ahead of a slot', () => {
  it('starts ahead only full or differential copies of a known source of 1 GiB or more, never a mirror still marked up', () => {
    const GiB = 1024 ** 3;
    const seg = (dbid: number, source: number, type: 'full' | 'incremental' | 'differential', status: 'u' | 'd') => {
      const failed = row(dbid, dbid - 10, 'm', 'm', status, 'sdw2', 7000 + dbid);
      return { dbid, content: failed.content, type, failed, source: row(source, dbid - 10, 'p', 'p', 'u', 'sdw1', 6000 + dbid), target: failed, moved: status === 'u' };
    };
    const items = [seg(11, 21, 'full', 'd'), seg(12, 22, 'incremental', 'd'), seg(13, 23, 'full', 'u'), seg(14, 24, 'differential', 'd'), seg(15, 25, 'full', 'd'), seg(16, 26, 'full', 'd')];
    const sizes: Record<number, number> = { 21: 400 * GiB, 22: 2000 * GiB, 23: 900 * GiB, 24: 2 * GiB, 25: GiB - 1 };
    const order = largestFirst(items, { sources: items.map((i) => ({ dbid: i.source.dbid, reachable: true, ...(sizes[i.source.dbid] ? { sizeBytes: sizes[i.source.dbid] } : {}) })) as ProbeResult['sources'] });
    expect(order.order.map((i) => i.dbid)).toEqual([12, 13, 11, 14, 15, 16]);
    // 12 is incremental, 13 is a mirror still up (being moved), 15 is under 1 GiB, 16's size is unknown.
    expect([...order.ahead].sort()).toEqual([11, 14]);
  });
});
