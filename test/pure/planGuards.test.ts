import { describe, expect, it } from 'vitest';
import { planRefusal } from '../../domain/planGuards';
import type { SegmentPlan } from '../../domain/recovery';
import type { SegmentRow } from '../../domain/segment';
import { rewriteAutoConf } from '../../cluster/segment/recoveryConf';
import { parseProgress } from '../../cluster/segment/progress';
import { maxRateKbPerSec } from '../../cluster/config';

const row = (over: Partial<SegmentRow>): SegmentRow => ({
  dbid: 2, content: 0, role: 'p', preferredRole: 'p', mode: 's', status: 'u', port: 6000, hostname: 'sdw1', address: 'sdw1', datadir: '/data/primary/gpseg0', ...over,
});
const primary = row({});
const mirror = row({ dbid: 4, role: 'm', preferredRole: 'm', mode: 'n', status: 'd', port: 7000, hostname: 'sdw2', address: 'sdw2', datadir: '/data/mirror/gpseg0' });
const at = (r: SegmentRow) => ({ hostname: r.hostname, address: r.address, port: r.port, datadir: r.datadir });
const inPlace: SegmentPlan = { content: 0, dbid: 4, type: 'full', failed: mirror, source: primary, target: at(mirror), moved: false };
const moved: SegmentPlan = { ...inPlace, target: { hostname: 'sdw3', address: 'sdw3', port: 7100, datadir: '/data2/mirror/gpseg0' }, moved: true };

describe('what every step checks in the catalog before it acts (domain/planGuards.ts)', () => {
  it('never acts on the acting primary, whatever the plan says', () => {
    const aimedAtPrimary: SegmentPlan = { ...inPlace, dbid: 2, failed: primary, target: at(primary) };
    for (const step of ['before', 'catalog', 'write', 'start'] as const) {
      expect(planRefusal(step, aimedAtPrimary, [primary, mirror])).toMatch(/dbid 2 \(content 0\) is the acting primary of content 0/);
    }
  });

  it('refuses a dbid the catalog does not have, and a location that is not the catalog\'s', () => {
    expect(planRefusal('before', { ...inPlace, dbid: 9999 }, [primary, mirror])).toBe('dbid 9999 (content 0) is not in gp_segment_configuration');
    const wrongRow = { ...mirror, datadir: '/data/primary/gpseg0', hostname: 'sdw1', address: 'sdw1' };
    const elsewhere = { ...inPlace, failed: wrongRow, target: at(wrongRow) };
    expect(planRefusal('before', elsewhere, [primary, mirror])).toMatch(/the catalog places it at sdw2:7000:\/data\/mirror\/gpseg0, not at sdw1/);
    expect(planRefusal('write', elsewhere, [primary, mirror])).toMatch(/not at the planned target sdw1:7000:\/data\/primary\/gpseg0/);
    expect(planRefusal('before', { ...inPlace, target: at(primary) }, [primary, mirror])).toMatch(/an in-place recovery whose target is not its own location/);
  });

  it('refuses a source that is not the content\'s acting primary', () => {
    expect(planRefusal('before', { ...inPlace, source: mirror }, [primary, mirror])).toMatch(/dbid 4 at sdw2:7000:\/data\/mirror\/gpseg0 is not the acting primary of content 0/);
  });

  it('writes only into the directory of a segment the catalog holds down at that very location', () => {
    expect(planRefusal('write', inPlace, [primary, mirror])).toBeUndefined();
    expect(planRefusal('write', inPlace, [primary, { ...mirror, status: 'u' }])).toMatch(/is marked up in the catalog; its directory is not written into/);
    // A move writes only once the catalog step moved the row there.
    expect(planRefusal('write', moved, [primary, mirror])).toMatch(/not at the planned target sdw3:7100/);
    expect(planRefusal('write', moved, [primary, { ...mirror, ...moved.target }])).toBeUndefined();
    const squatter = row({ dbid: 7, content: 1, role: 'm', preferredRole: 'm', status: 'd', mode: 'n', hostname: 'sdw3', address: 'sdw3', port: 7200, datadir: '/data2/mirror/gpseg0' });
    expect(planRefusal('write', moved, [primary, { ...mirror, ...moved.target }, squatter])).toMatch(/places dbid 7 at sdw3:7200:\/data2\/mirror\/gpseg0, the planned target's directory/);
  });

  it('removes an old location only after the move, and only where the catalog places nothing', () => {
    expect(planRefusal('removeOld', inPlace, [primary, mirror])).toMatch(/did not move/);
    expect(planRefusal('removeOld', moved, [primary, mirror])).toMatch(/not at its new location/);
    expect(planRefusal('removeOld', moved, [primary, { ...mirror, ...moved.target, status: 'u' }])).toBeUndefined();
    const other = row({ dbid: 8, content: 1, role: 'm', preferredRole: 'm', hostname: 'sdw2', address: 'sdw2', datadir: '/data/mirror/gpseg0', port: 7001 });
    expect(planRefusal('removeOld', moved, [primary, { ...mirror, ...moved.target }, other])).toMatch(/places dbid 8 at sdw2:7001:\/data\/mirror\/gpseg0/);
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

  it('converts copy throttles to rsync units', () => {
    expect(maxRateKbPerSec('100M')).toBe(102400);
    expect(maxRateKbPerSec('32k')).toBe(32);
    expect(maxRateKbPerSec('1024M')).toBe(1048576);
    expect(maxRateKbPerSec('31k')).toBeUndefined();
    expect(maxRateKbPerSec('2048M')).toBeUndefined();
    expect(maxRateKbPerSec('fast')).toBeUndefined();
  });
});
