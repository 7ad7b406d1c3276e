import { describe, expect, it } from 'vitest';
import type { SegmentRow } from '../../domain/segment';
import type { DirProbe } from '../../domain/probe';
import { assertSafeToWipe } from '../../cluster/segment/safety';
import { rewriteAutoConf } from '../../cluster/segment/recoveryConf';
import { parseProgress } from '../../cluster/segment/progress';
import { procNetPatterns } from '../../cluster/segment/probeDir';
import { maxRateKbPerSec } from '../../cluster/config';

const seg = (over: Partial<SegmentRow>): SegmentRow => ({
  dbid: 2, content: 0, role: 'p', preferredRole: 'p', mode: 's', status: 'u', port: 6000, hostname: 'sdw1', address: '10.0.0.1', datadir: '/data/primary/gpseg0', ...over,
});
const target = { hostname: 'sdw1', address: '10.0.0.1', port: 6000, datadir: '/data/primary/gpseg0' };
const probe = (over: Partial<DirProbe> = {}): DirProbe => ({
  location: target, reachable: true, exists: true, empty: false, postmasterLive: false, standbySignal: false, ...over,
});

describe('wipe safety', () => {
  it('never wipes the acting primary, found by hostname or by address', () => {
    expect(() => assertSafeToWipe(target, [seg({})], probe())).toThrow(/belongs to dbid 2 \(content 0\), the acting primary/);
    expect(() => assertSafeToWipe({ ...target, hostname: 'sdw1-alias' }, [seg({})], probe())).toThrow(/the acting primary/);
  });

  it('never wipes a mirror the catalog marks up, nor a directory with a live postmaster or a running copy', () => {
    expect(() => assertSafeToWipe(target, [seg({ role: 'm', preferredRole: 'm' })], probe())).toThrow(/a mirror marked up/);
    expect(() => assertSafeToWipe(target, [seg({ status: 'd', role: 'm' })], probe({ postmasterLive: true, postmasterPid: 4242 }))).toThrow(/a postgres \(pid 4242\) is running in it/);
    expect(() => assertSafeToWipe(target, [seg({ status: 'd', role: 'm' })], probe({ copyRunning: 'pg_basebackup -D /data/primary/gpseg0' }))).toThrow(/a copy is running into it/);
  });

  it('refuses paths that cannot be a segment directory', () => {
    for (const datadir of ['/', '/data', 'relative/dir', '/data/../etc']) {
      expect(() => assertSafeToWipe({ ...target, datadir }, [], probe({ location: { ...target, datadir } }))).toThrow(/not an absolute segment data directory path/);
    }
  });

  it('allows the directory of a segment catalogued down with nothing running in it', () => {
    expect(() => assertSafeToWipe(target, [seg({ status: 'd', role: 'm', preferredRole: 'p' })], probe())).not.toThrow();
  });
});

describe('small pure helpers', () => {
  it('rewrites postgresql.auto.conf keeping foreign lines and quoting values', () => {
    const out = rewriteAutoConf("# Do not edit\nport = 6000\nsynchronous_standby_names = 'gp_walreceiver'\n", {
      port: 7000, primary_conninfo: "host=a user=o'brien",
    });
    expect(out).toBe("# Do not edit\nsynchronous_standby_names = 'gp_walreceiver'\nport = 7000\nprimary_conninfo = 'host=a user=o''brien'\n");
  });

  it('parses the copy tools\' progress lines', () => {
    expect(parseProgress('pg_basebackup', '164848/1371715 kB (12%), 0/1 tablespace')).toMatchObject({ doneKb: 164848, totalKb: 1371715, percent: 12 });
    expect(parseProgress('rsync', '    104,857,600  45%   50.00MB/s    0:00:02')).toMatchObject({ doneKb: 102400, percent: 45 });
    expect(parseProgress('pg_rewind', 'pg_rewind: servers diverged at WAL location')).toEqual({ tool: 'pg_rewind', line: 'pg_rewind: servers diverged at WAL location' });
  });

  it('spells listening sockets as /proc/net/tcp does', () => {
    expect(procNetPatterns('127.0.0.2', 6000).split(',')).toContain('0200007F:1770');
  });

  it('converts copy throttles to rsync units', () => {
    expect(maxRateKbPerSec('100M')).toBe(102400);
    expect(maxRateKbPerSec('32k')).toBe(32);
    expect(maxRateKbPerSec('1024M')).toBe(1048576);
    expect(maxRateKbPerSec('31k')).toBeUndefined();
    expect(maxRateKbPerSec('2048M')).toBeUndefined();
    expect(maxRateKbPerSec('fast')).toBeUndefined();
  });
});
