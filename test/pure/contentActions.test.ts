// The one answer to "what does this content need" (domain/decide), and `gprecover state`'s words for it: recover
// which way, rebalance, wait, double fault, nothing, each with its reason; the pairs rebalance swaps; the state view.
import { describe, expect, it } from 'vitest';
import { actionSummary, contentStates, stateAction } from '../../cluster/state/actions';
import type { ClusterState } from '../../cluster/state/collect';
import { formatState } from '../../cluster/state/format';
import { lockViewOf } from '../../cluster/state/lock';
import { isLiveRefusal } from '../../cluster/state/segments';
import { contentAction, contentActions, sourceFor, unbalancedPairs } from '../../domain/decide';
import type { SegmentRow } from '../../domain/segment';

const seg = (dbid: number, content: number, role: 'p' | 'm', over: Partial<SegmentRow> = {}): SegmentRow => ({
  dbid, content, role, preferredRole: role, mode: 's', status: 'u', port: 6000 + dbid, hostname: `sdw${dbid % 2}`, address: `10.0.0.${dbid}`,
  datadir: `/data/${role}/gpseg${content}`, ...over,
});
const pair = (p: Partial<SegmentRow>, m: Partial<SegmentRow>) => [seg(2, 0, 'p', p), seg(6, 0, 'm', m)];
const actionFor = (rows: SegmentRow[]) => stateAction(contentAction(0, rows));

describe('what each content needs, from catalog rows', () => {
  it('names recover, rebalance, double fault, catching up, or nothing', () => {
    expect(actionFor(pair({}, {}))).toBeNull();
    expect(actionFor(pair({ mode: 'n' }, { status: 'd', mode: 'n' }))).toBe('recover');
    // Failed over: the old primary is down, its mirror acts as primary.
    expect(actionFor(pair({ role: 'm', status: 'd', mode: 'n' }, { role: 'p', mode: 'n' }))).toBe('recover');
    expect(actionFor(pair({ status: 'd', mode: 'n' }, { status: 'd', mode: 'n' }))).toBe('double fault');
    expect(actionFor(pair({ mode: 'n' }, { mode: 'n' }))).toBe('catching up');
    // Recovered after a failover: up and in sync, roles swapped.
    expect(actionFor(pair({ role: 'm' }, { role: 'p' }))).toBe('rebalance');
    // Swapped but not in sync yet: gprecoverseg -r would refuse it.
    expect(actionFor(pair({ role: 'm', mode: 'n' }, { role: 'p', mode: 'n' }))).toBe('catching up');
    expect(actionFor([seg(2, 0, 'p', { status: 'd' })])).toBe('down');
    expect(actionFor([seg(2, 0, 'p', { mode: 'n' })])).toBeNull();
    // The primary is down and FTS has not promoted its mirror yet: nothing to recover from until it has.
    expect(actionFor(pair({ status: 'd', mode: 'n' }, { mode: 'n' }))).toBe('waiting for FTS');
  });

  it('says which way a content is recovered and why, naming the first segment down', () => {
    expect(contentAction(0, pair({ mode: 'n' }, { status: 'd', mode: 'n' }))).toMatchObject({
      action: 'recover', failed: { dbid: 6 }, source: { dbid: 2 }, reason: 'content 0: dbid 6 is down; it is rebuilt from its acting primary dbid 2',
    });
    expect(contentAction(0, pair({ status: 'd' }, { status: 'd' }))).toMatchObject({ action: 'double fault', reason: 'content 0: both dbid 2 and dbid 6 are down' });
    expect(contentAction(0, [seg(2, 0, 'p', { status: 'd' })])).toMatchObject({ action: 'double fault', reason: 'content 0: dbid 2 is down and has no mirror' });
    expect(contentAction(0, pair({ status: 'd' }, {}))).toMatchObject({ action: 'wait', until: 'promotion', reason: 'content 0: FTS has not promoted dbid 6 yet' });
    expect(contentAction(0, pair({ mode: 'n' }, { mode: 'n' }))).toMatchObject({ action: 'wait', until: 'sync', reason: 'content 0: mirror dbid 6 is not in sync yet (mode n)' });
    expect(contentAction(0, pair({ role: 'm' }, { role: 'p' }))).toMatchObject({
      action: 'rebalance', actingPrimary: { dbid: 6 }, preferredPrimary: { dbid: 2 },
      reason: 'content 0: up and in sync out of its preferred roles; dbid 2 returns to primary, dbid 6 to mirror',
    });
    expect(contentAction(0, pair({}, {}))).toEqual({ content: 0, action: 'nothing', reason: 'content 0: up, in sync and in its preferred roles' });
    // The plan asks about the segment it was given, whichever of a double fault's pair it is.
    expect(sourceFor(seg(6, 0, 'm', { status: 'd' }), pair({ status: 'd' }, { status: 'd' })).reason).toBe('content 0: both dbid 6 and dbid 2 are down');
  });

  it('rebalance swaps the pairs whose content says rebalance, in catalog order, and says why it leaves the others', () => {
    const rows = [
      seg(1, -1, 'p'),
      seg(2, 0, 'p', { role: 'm' }), seg(3, 1, 'p', { role: 'm', mode: 'n' }), seg(4, 2, 'p', { role: 'm', status: 'd', mode: 'n' }), seg(5, 3, 'p'),
      seg(6, 0, 'm', { role: 'p' }), seg(7, 1, 'm', { role: 'p', mode: 'n' }), seg(8, 2, 'm', { role: 'p', mode: 'n' }), seg(9, 3, 'm'),
    ];
    expect(unbalancedPairs(rows)).toEqual({
      swaps: [{ content: 0, actingPrimary: 6, preferredPrimary: 2, reason: 'content 0: up and in sync out of its preferred roles; dbid 2 returns to primary, dbid 6 to mirror' }],
      skipped: [
        { content: 1, dbid: 3, reason: 'Not rebalancing primary segment dbid 7 with its mirror dbid 3 because they are not synchronized (mode n)' },
        { content: 2, dbid: 4, reason: 'Not rebalancing primary segment dbid 8 with its mirror dbid 4 because one is down; recover it first' },
      ],
    });
    expect(contentActions(rows).map((a) => a.action)).toEqual(['rebalance', 'wait', 'recover', 'nothing']);
  });

  it('one entry per segment content, the coordinator left out; a summary with the next command', () => {
    const rows = [seg(1, -1, 'p', { mode: 'n' }), seg(2, 0, 'p'), seg(3, 1, 'p', { role: 'm' }), seg(6, 0, 'm', { status: 'd' }), seg(7, 1, 'm', { role: 'p' })];
    const contents = contentStates(rows);
    expect(contents).toEqual([
      { content: 0, action: 'recover', reason: 'content 0: dbid 6 is down; it is rebuilt from its acting primary dbid 2' },
      { content: 1, action: 'rebalance', reason: 'content 1: up and in sync out of its preferred roles; dbid 3 returns to primary, dbid 7 to mirror' },
    ]);
    expect(actionSummary(contents)).toBe('to do: content 0 recover, content 1 rebalance (gprecover start-recovery; gprecover rebalance)');
    expect(actionSummary([{ content: 0, action: null }])).toMatch(/^nothing to do/);
    expect(actionSummary([{ content: 0, action: 'double fault' }])).toBe('to do: content 0 double fault');
    // Nothing to do carries no reason: `gprecover state --json` shows { content, action: null }.
    expect(contentStates([seg(2, 0, 'p'), seg(6, 0, 'm')])).toEqual([{ content: 0, action: null }]);
  });

  it('a postmaster that refuses sessions (a mirror without hot standby) still answers; a refused connection does not', () => {
    const at = 'cannot connect to the segment at 10.0.0.6:7000: ';
    expect(isLiveRefusal(new Error(`${at}the database system is in recovery mode`))).toBe(true);
    expect(isLiveRefusal(new Error(`${at}the database system is starting up`))).toBe(true);
    expect(isLiveRefusal(new Error(`${at}the database system is not accepting connections`))).toBe(true);
    expect(isLiveRefusal(new Error(`${at}connect ECONNREFUSED 10.0.0.6:7000`))).toBe(false);
    expect(isLiveRefusal(new Error(`${at}the database system is shutting down`))).toBe(false);
  });

  it('reads the lock as a recovery looks at it and formats the view', () => {
    expect(lockViewOf('/d/gprecoverseg.lock', { state: 'free' })).toBeNull();
    expect(lockViewOf('/d/gprecoverseg.lock', { state: 'held', pid: 42, cmdline: '' })).toEqual({ path: '/d/gprecoverseg.lock', pid: 42, stale: false });
    expect(lockViewOf('/d/gprecoverseg.lock', { state: 'held', pid: 42, cmdline: 'python3 /usr/local/gpdb/bin/gprecoverseg -a' })).toEqual({ path: '/d/gprecoverseg.lock', pid: 42, stale: false, command: 'python3 /usr/local/gpdb/bin/gprecoverseg -a' });
    expect(lockViewOf('/d/gprecoverseg.lock', { state: 'stale', pid: '42' })).toEqual({ path: '/d/gprecoverseg.lock', pid: 42, stale: true });
    expect(lockViewOf('/d/gprecoverseg.lock', { state: 'stale', pid: '' })).toEqual({ path: '/d/gprecoverseg.lock', pid: null, stale: true });
    const rows = [seg(2, 0, 'p'), seg(6, 0, 'm', { status: 'd', mode: 'n' })];
    const state: ClusterState = {
      cluster: 'x', flavor: { name: 'gp7', title: 'Greenplum 7.1.0', differential: true }, coordinator: { host: 'cdw', port: 5432 },
      segments: [{ ...rows[0], answers: true, walBytesBehind: null }, { ...rows[1], answers: false, walBytesBehind: null }],
      contents: contentStates(rows), lock: { path: '/d/gprecoverseg.lock', pid: 42, stale: true },
    };
    const text = formatState(state);
    expect(text[0]).toBe('cluster x (Greenplum 7.1.0), coordinator cdw:5432');
    expect(text[2]).toMatch(/^2 +0 +p +p +s +u +sdw0 +10\.0\.0\.2:6002 +\/data\/p\/gpseg0 +yes +recover$/);
    expect(text[3]).toMatch(/^6 +0 +m +m +n +d +sdw0 +10\.0\.0\.6:6006 +\/data\/m\/gpseg0 +NO +- +recover$/);
    expect(text.slice(-3)).toEqual([
      'to do: content 0 recover (gprecover start-recovery)',
      '  content 0: dbid 6 is down; it is rebuilt from its acting primary dbid 2',
      'gprecoverseg lock: held by pid 42 (stale: no such process on the coordinator host) (/d/gprecoverseg.lock)',
    ]);
  });
});
