// Auto-recovery's rules, without a server: the decision, the policy file, the workflow's input check, --every, and
// how decisions are queried and printed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyFile, parsePolicy } from '../../client/autoPolicyFile';
import { describePolicy, formatEvery, parseEvery } from '../../client/autoText';
import { formatDecisionTable, type DecisionRow } from '../../client/decisionTable';
import { UsageError } from '../../client/errors';
import { InvalidRequestError } from '../../domain/failures';
import { buildDecisionQuery, buildHistoryQuery } from '../../domain/visibilityQuery';
import { requesterLabel } from '../../client/historyTable';
import { DEFAULT_AUTO_POLICY, withPolicyDefaults, type AutoFacts, type AutoPolicy, type AutoRunRecord } from '../../domain/autoPolicy';
import type { ClusterSnapshot } from '../../domain/probe';
import type { SegmentRow } from '../../domain/segment';
import { autoNeeds, decide, inQuietHours, minutesOfDay } from '../../domain/decide';
import { autoInputProblems } from '../../domain/autoInput';

const NOW = new Date('2024-05-10T12:00:00.000Z');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000).toISOString();

/** Four contents: primaries dbid 2-5, mirrors dbid 6-9, all up and in sync in their preferred roles. */
function snapshot(edit: (rows: SegmentRow[]) => void = () => undefined): ClusterSnapshot {
  const rows: SegmentRow[] = [{ dbid: 1, content: -1, role: 'p', preferredRole: 'p', mode: 's', status: 'u', port: 5432, hostname: 'cdw', address: '10.0.0.1', datadir: '/data/coordinator' }];
  for (let c = 0; c < 4; c++) {
    rows.push({ dbid: 2 + c, content: c, role: 'p', preferredRole: 'p', mode: 's', status: 'u', port: 6000 + c, hostname: `sdw${1 + (c % 2)}`, address: `10.0.0.${2 + (c % 2)}`, datadir: `/data/primary/gpseg${c}` });
    rows.push({ dbid: 6 + c, content: c, role: 'm', preferredRole: 'm', mode: 's', status: 'u', port: 7000 + c, hostname: `sdw${2 - (c % 2)}`, address: `10.0.0.${3 - (c % 2)}`, datadir: `/data/mirror/gpseg${c}` });
  }
  edit(rows);
  return { cluster: 'prod', flavor: { name: 'gp7', title: 'Greenplum 7', differential: true }, segments: rows, hostAddresses: {} };
}

const row = (rows: SegmentRow[], dbid: number) => rows.find((r) => r.dbid === dbid)!;
/** FTS marked the mirror down: its pair is not in sync any more. */
const mirrorDown = (dbid: number) => (rows: SegmentRow[]) => {
  const m = row(rows, dbid);
  m.status = 'd';
  for (const r of rows.filter((x) => x.content === m.content)) r.mode = 'n';
};
/** FTS failed over: the mirror acts as primary, the old primary is down as a mirror. */
const failedOver = (primary: number) => (rows: SegmentRow[]) => {
  const p = row(rows, primary);
  const m = rows.find((r) => r.content === p.content && r.dbid !== p.dbid)!;
  Object.assign(p, { role: 'm', status: 'd', mode: 'n' });
  Object.assign(m, { role: 'p', mode: 'n' });
};

const policy = (over: Partial<AutoPolicy> = {}) => withPolicyDefaults({ downForMinutes: 5, ...over });
const facts = (over: Partial<AutoFacts> = {}): AutoFacts => ({ downSince: {}, sources: [], recentRuns: [], lock: { held: false }, ...over });
const run = (over: Partial<AutoRunRecord>): AutoRunRecord => ({
  workflowId: 'gprecover-auto-prod-2024-05-10T11:00:00Z', runId: 'aaaaaaaa-1111', startTime: ago(30), type: 'incremental', outcome: 'succeeded', contents: [0], ...over,
});

describe('decide', () => {
  it('does nothing on a healthy cluster', () => {
    expect(decide(snapshot(), policy(), facts(), NOW)).toEqual({ action: 'skip', code: 'nothing-to-do', reason: 'no segment is down', actionable: false, contents: [] });
  });

  it('recovers a mirror down long enough, incrementally by default', () => {
    const d = decide(snapshot(mirrorDown(6)), policy(), facts({ downSince: { 6: ago(7) }, sources: [{ dbid: 2, answers: true }] }), NOW);
    expect(d).toEqual({ action: 'recover', type: 'incremental', contents: [0], dbids: [6], reason: 'dbid 6 down since 11:53:00Z: incremental recovery' });
  });

  it('recovers a failed-over primary (now a mirror) from its promoted mirror, and several contents at once', () => {
    const d = decide(snapshot((r) => { failedOver(3)(r); mirrorDown(8)(r); }), policy(), facts({ downSince: { 3: ago(10), 8: ago(6) } }), NOW);
    expect(d).toMatchObject({ action: 'recover', type: 'incremental', contents: [1, 2], dbids: [3, 8] });
  });

  it('waits until every segment has been down downForMinutes (fractions too), counting from the newest FTS record', () => {
    const s = snapshot((r) => { mirrorDown(6)(r); mirrorDown(7)(r); });
    const d = decide(s, policy(), facts({ downSince: { 6: ago(9), 7: ago(1.5) } }), NOW);
    expect(d).toMatchObject({ action: 'skip', code: 'down-too-short', actionable: false, contents: [0, 1] });
    expect(d.action === 'skip' && d.reason).toBe('dbid 7 down 1.5 min (since 11:58:30Z); the policy waits 5 min');
    expect(decide(s, policy({ downForMinutes: 0.05 }), facts({ downSince: { 6: ago(9), 7: ago(0.04) } }), NOW)).toMatchObject({ code: 'down-too-short' });
    expect(decide(s, policy({ downForMinutes: 0.05 }), facts({ downSince: { 6: ago(9), 7: ago(0.06) } }), NOW)).toMatchObject({ action: 'recover' });
    expect(decide(s, policy({ downForMinutes: 0 }), facts({ downSince: { 6: ago(0), 7: ago(0) } }), NOW)).toMatchObject({ action: 'recover' });
  });

  it('recovers a segment whose down time the history does not say, and says so by leaving the time out', () => {
    expect(decide(snapshot(mirrorDown(6)), policy(), facts({ downSince: { 6: null } }), NOW)).toMatchObject({ action: 'recover', reason: 'dbid 6 down: incremental recovery' });
  });

  it('reports a double fault: both down, a mirror down whose primary does not answer, a content without a mirror', () => {
    const both = snapshot((r) => { row(r, 2).status = 'd'; mirrorDown(6)(r); });
    expect(decide(both, policy(), facts(), NOW)).toEqual({
      action: 'skip', code: 'double-fault', actionable: true, contents: [0],
      reason: 'double fault, nothing to recover from: content 0: both dbid 2 and dbid 6 are down; repair a segment of each by hand',
    });
    // What FTS leaves when the primary dies after its mirror: the primary still 'u', the mirror 'd'.
    const dead = decide(snapshot(mirrorDown(7)), policy(), facts({ downSince: { 7: ago(60) }, sources: [{ dbid: 3, answers: false, error: 'connect ECONNREFUSED 10.0.0.3:6001\nmore' }] }), NOW);
    expect(dead).toMatchObject({ action: 'skip', code: 'double-fault', actionable: true, contents: [1] });
    expect(dead.action === 'skip' && dead.reason).toContain('content 1: mirror dbid 7 is down and its primary dbid 3 does not answer (connect ECONNREFUSED 10.0.0.3:6001)');
    const alone = snapshot((r) => { r.splice(r.findIndex((x) => x.dbid === 9), 1); row(r, 5).status = 'd'; });
    expect(decide(alone, policy(), facts(), NOW)).toMatchObject({ code: 'double-fault', reason: expect.stringContaining('content 3: dbid 5 is down and has no mirror') });
  });

  it('a double fault is reported before anything that would only make the start wait', () => {
    const s = snapshot((r) => { row(r, 2).status = 'd'; mirrorDown(6)(r); });
    const d = decide(s, policy({ quietHours: { from: '00:00', to: '23:59' } }), facts({ lock: { held: true, by: 'x' }, runInProgress: { workflowId: 'gprecover-prod', runId: 'r', startTime: ago(1) } }), NOW);
    expect(d).toMatchObject({ code: 'double-fault' });
  });

  it('waits for FTS to promote a mirror whose primary is marked down', () => {
    const s = snapshot((r) => { row(r, 2).status = 'd'; });
    expect(decide(s, policy(), facts(), NOW)).toMatchObject({ action: 'skip', code: 'waiting-for-fts', actionable: false, reason: 'content 0: FTS has not promoted dbid 6 yet' });
  });

  it('leaves the cluster to a run at work on it', () => {
    const d = decide(snapshot(mirrorDown(6)), policy(), facts({ downSince: { 6: ago(60) }, runInProgress: { workflowId: 'gprecover-prod', runId: '12345678abcd', startTime: ago(2) } }), NOW);
    expect(d).toEqual({ action: 'skip', code: 'run-in-progress', actionable: false, contents: [0], reason: 'gprecover-prod run 12345678 (started 11:58:00Z) is at work on the cluster' });
  });

  it('starts nothing in quiet hours, in the policy\'s time zone, across midnight', () => {
    const s = snapshot(mirrorDown(6));
    const f = facts({ downSince: { 6: ago(60) } });
    // 12:00 UTC is 14:00 in Berlin (summer time) and 08:00 in New York.
    expect(decide(s, policy({ quietHours: { from: '13:30', to: '15:00', timeZone: 'Europe/Berlin' } }), f, NOW))
      .toMatchObject({ action: 'skip', code: 'quiet-hours', actionable: false, reason: 'quiet hours 13:30-15:00 Europe/Berlin: no automatic run starts now' });
    expect(decide(s, policy({ quietHours: { from: '13:30', to: '15:00', timeZone: 'America/New_York' } }), f, NOW)).toMatchObject({ action: 'recover' });
    // 21:00 in Tokyo: inside 20:00-06:00, outside 22:00-06:00.
    expect(decide(s, policy({ quietHours: { from: '20:00', to: '06:00', timeZone: 'Asia/Tokyo' } }), f, NOW)).toMatchObject({ code: 'quiet-hours' });
    expect(decide(s, policy({ quietHours: { from: '22:00', to: '06:00', timeZone: 'Asia/Tokyo' } }), f, NOW)).toMatchObject({ action: 'recover' });
  });

  it('stops at maxRunsPerDay automatic runs within 24 hours, and says so (actionable)', () => {
    const s = snapshot(mirrorDown(6));
    const recentRuns = [run({ startTime: ago(60) }), run({ startTime: ago(120) }), run({ startTime: ago(23 * 60) })];
    expect(decide(s, policy({ maxRunsPerDay: 3 }), facts({ downSince: { 6: ago(30) }, recentRuns }), NOW)).toMatchObject({
      action: 'skip', code: 'max-runs', actionable: true,
      reason: "3 automatic run(s) started in the last 24 hours, the policy's maximum (maxRunsPerDay 3); the oldest, 13:00:00Z, leaves the window first",
    });
    expect(decide(s, policy({ maxRunsPerDay: 4 }), facts({ downSince: { 6: ago(30) }, recentRuns }), NOW)).toMatchObject({ action: 'recover' });
    // Older than a day: out of the budget.
    expect(decide(s, policy({ maxRunsPerDay: 3 }), facts({ downSince: { 6: ago(30) }, recentRuns: [...recentRuns.slice(0, 2), run({ startTime: ago(25 * 60) })] }), NOW)).toMatchObject({ action: 'recover' });
  });

  it('escalates after a failed automatic run of the same contents in this episode, only to types the policy allows', () => {
    const s = snapshot(mirrorDown(6));
    const failedIncremental = run({ startTime: ago(20), outcome: 'failed', type: 'incremental', contents: [0], runId: 'bbbbbbbb-2222' });
    const base = { downSince: { 6: ago(30) }, recentRuns: [failedIncremental] };
    expect(decide(s, policy(), facts(base), NOW)).toMatchObject({
      action: 'skip', code: 'no-allowed-type', actionable: true,
      reason: 'an automatic incremental recovery of content(s) 0 failed (gprecover-auto-prod-2024-05-10T11:00:00Z run bbbbbbbb, started 11:40:00Z) '
        + 'and the policy allows no further type (types: incremental); recover by hand: gprecover start-recovery --differential',
    });
    expect(decide(s, policy({ types: ['incremental', 'differential'] }), facts(base), NOW)).toMatchObject({
      action: 'recover', type: 'differential', reason: 'dbid 6 down since 11:30:00Z: differential recovery; the automatic incremental run bbbbbbbb failed',
    });
    // -F never unless listed; listed, it follows a failed differential.
    const failedDifferential = run({ startTime: ago(10), outcome: 'failed', type: 'differential', contents: [0] });
    expect(decide(s, policy({ types: ['incremental', 'differential'] }), facts({ ...base, recentRuns: [failedDifferential, failedIncremental] }), NOW))
      .toMatchObject({ code: 'no-allowed-type', reason: expect.stringContaining('recover by hand: gprecover start-recovery -F') });
    expect(decide(s, policy({ types: ['full', 'incremental', 'differential'] }), facts({ ...base, recentRuns: [failedDifferential, failedIncremental] }), NOW))
      .toMatchObject({ action: 'recover', type: 'full' });
    // Only incremental failed and full is allowed (no differential): full.
    expect(decide(s, policy({ types: ['incremental', 'full'] }), facts(base), NOW)).toMatchObject({ action: 'recover', type: 'full' });
  });

  it('does not escalate for a failure of another episode, another content, or a run refused rather than failed', () => {
    const s = snapshot(mirrorDown(6));
    const p = policy({ types: ['incremental', 'differential'] });
    // Failed before the segment went down again: an earlier episode.
    expect(decide(s, p, facts({ downSince: { 6: ago(15) }, recentRuns: [run({ startTime: ago(20), outcome: 'failed' })] }), NOW)).toMatchObject({ type: 'incremental' });
    expect(decide(s, p, facts({ downSince: { 6: ago(30) }, recentRuns: [run({ startTime: ago(20), outcome: 'failed', contents: [1] })] }), NOW)).toMatchObject({ type: 'incremental' });
    expect(decide(s, p, facts({ downSince: { 6: ago(30) }, recentRuns: [run({ startTime: ago(20), outcome: 'invalid' })] }), NOW)).toMatchObject({ type: 'incremental' });
    // A policy that starts with differential uses it first.
    expect(decide(s, policy({ types: ['differential'] }), facts({ downSince: { 6: ago(30) } }), NOW)).toMatchObject({ type: 'differential' });
  });

  it('skips while gprecoverseg holds the lock (actionable), unless the policy says not to look', () => {
    const s = snapshot(mirrorDown(6));
    const by = "gprecoverseg (pid 4242: python3 gprecoverseg) is recovering cluster 'prod': it holds cdw:/data/coordinator/gprecoverseg.lock; wait for it to finish, or remove that directory if nothing runs";
    expect(decide(s, policy(), facts({ downSince: { 6: ago(30) }, lock: { held: true, by } }), NOW)).toEqual({ action: 'skip', code: 'lock-held', reason: by, actionable: true, contents: [0] });
    expect(decide(s, policy({ skipWhileLocked: false }), facts({ downSince: { 6: ago(30) }, lock: { held: true, by } }), NOW)).toMatchObject({ action: 'recover' });
  });

  it('with rebalance: rebalances pairs left out of their roles when nothing is down, not while unsynchronized or lagging', () => {
    const swapped = (sync: boolean) => (r: SegmentRow[]) => {
      Object.assign(row(r, 3), { role: 'm', mode: sync ? 's' : 'n' });
      Object.assign(row(r, 7), { role: 'p', mode: sync ? 's' : 'n' });
    };
    expect(decide(snapshot(swapped(true)), policy(), facts(), NOW)).toMatchObject({ code: 'nothing-to-do' });
    const p = policy({ rebalance: true, replayLagGB: 1 });
    expect(autoNeeds(snapshot(swapped(true)), p).rebalance).toEqual([{ content: 1, actingPrimary: 7 }]);
    expect(decide(snapshot(swapped(true)), p, facts({ replayLagBytes: { 1: 1024 } }), NOW)).toEqual({
      action: 'rebalance', contents: [1], reason: 'content(s) 1 up and in sync out of their preferred roles: rebalance',
    });
    expect(decide(snapshot(swapped(false)), p, facts(), NOW)).toMatchObject({ action: 'skip', code: 'not-synchronized', actionable: false, contents: [1] });
    expect(decide(snapshot(swapped(true)), p, facts({ replayLagBytes: { 1: 2 * 1024 ** 3 } }), NOW)).toMatchObject({
      action: 'skip', code: 'replay-lag', actionable: true, contents: [1],
      reason: "mirror(s) of content(s) 1 still have 2147483648 bytes of WAL to replay, at or over the policy's replayLagGB 1; the rebalance waits for them to catch up",
    });
    expect(decide(snapshot(swapped(true)), p, facts({ lock: { held: true, by: 'held' } }), NOW)).toMatchObject({ code: 'lock-held' });
    // Something down: a recovery first (it rebalances afterwards).
    expect(autoNeeds(snapshot((r) => { swapped(true)(r); mirrorDown(6)(r); }), p).rebalance).toEqual([]);
  });

  it('never starts without an allowed type', () => {
    expect(decide(snapshot(mirrorDown(6)), policy({ types: [] }), facts({ downSince: { 6: ago(30) } }), NOW)).toMatchObject({ code: 'no-allowed-type', actionable: true });
  });
});

describe('quiet hours', () => {
  it('reads the wall clock of the zone', () => {
    expect(minutesOfDay(NOW)).toBe(12 * 60);
    expect(minutesOfDay(NOW, 'Europe/Berlin')).toBe(14 * 60);
    expect(minutesOfDay(new Date('2024-01-10T23:30:00Z'), 'Europe/Berlin')).toBe(30);
  });
  it('covers [from, to), across midnight too; from == to is never', () => {
    const at = (hhmm: string) => new Date(`2024-05-10T${hhmm}:00Z`);
    const night = { from: '22:00', to: '06:00' };
    expect([at('21:59'), at('22:00'), at('03:00'), at('05:59'), at('06:00')].map((t) => inQuietHours(t, night))).toEqual([false, true, true, true, false]);
    const noon = { from: '12:00', to: '13:00', timeZone: 'UTC' };
    expect([at('11:59'), at('12:00'), at('12:59'), at('13:00')].map((t) => inQuietHours(t, noon))).toEqual([false, true, true, false]);
    expect(inQuietHours(at('12:00'), { from: '12:00', to: '12:00' })).toBe(false);
  });
});

describe('policy file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-policy-'));
  const file = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  it('fills every default in, and this machine\'s time zone for quiet hours without one', () => {
    expect(loadPolicyFile(undefined)).toEqual({ ...DEFAULT_AUTO_POLICY });
    const p = loadPolicyFile(file('p.json', JSON.stringify({ types: ['full', 'incremental'], quietHours: { from: '22:00', to: '06:00' }, notify: 'pager' })), 'Europe/Oslo');
    expect(p).toEqual({ ...DEFAULT_AUTO_POLICY, types: ['incremental', 'full'], quietHours: { from: '22:00', to: '06:00', timeZone: 'Europe/Oslo' }, notify: 'pager' });
    expect(parsePolicy({ quietHours: { from: '01:00', to: '02:00', timeZone: 'UTC' } }, 'x', 'Europe/Oslo').quietHours?.timeZone).toBe('UTC');
  });

  it.each([
    [{ types: ['fast'] }, /^policy file \S+: policy\.types must be a list of incremental, differential, full, not \["fast"\]$/],
    [{ types: [] }, /policy\.types must list at least one recovery type/],
    [{ downForMinutes: -1 }, /policy\.downForMinutes must be a number of minutes of at least 0, not -1$/],
    [{ downForMinutes: '5' }, /policy\.downForMinutes must be a number of minutes of at least 0, not "5"$/],
    [{ maxRunsPerDay: 1.5 }, /policy\.maxRunsPerDay must be a whole number of at least 1, not 1\.5$/],
    [{ quietHours: { from: '25:00', to: '06:00' } }, /policy\.quietHours\.from must be a time HH:MM \(00:00 to 23:59\), not "25:00"$/],
    [{ quietHours: { from: '22:00', to: '06:00', timeZone: 'Mars/Olympus' } }, /policy\.quietHours\.timeZone must be an IANA time zone like Europe\/Berlin, not "Mars\/Olympus"$/],
    // Commands and URLs are the worker's (its clusters file's notifyHooks): a policy only names a hook.
    [{ notify: { command: 'id > /tmp/x' } }, /policy\.notify names a notification hook of the worker's clusters file .* a command or a URL in the policy is refused$/],
    [{ notify: { webhook: 'https://hooks.example/T0K3N' } }, /policy\.notify names a notification hook/],
    [{ notify: '$(id)' }, /policy\.notify must be the name of a notification hook/],
    [{ rebalance: 'yes' }, /policy\.rebalance must be true or false, not "yes"$/],
    [{ retries: 3 }, /unknown field 'policy\.retries'/],
  ])('refuses %j in one line naming the field', (bad, msg) => {
    const f = file('bad.json', JSON.stringify(bad));
    expect(() => loadPolicyFile(f)).toThrow(UsageError);
    expect(() => loadPolicyFile(f)).toThrow(msg);
  });

  it('says what is wrong with the file itself', () => {
    expect(() => loadPolicyFile(path.join(dir, 'none.json'))).toThrow(/^cannot read policy file \S+none\.json: ENOENT$/);
    expect(() => loadPolicyFile(file('broken.json', '{ "types": '))).toThrow(/^policy file \S+broken\.json is not valid JSON: /);
  });
});

describe('the workflow\'s own input check (input typed into the Web UI)', () => {
  it('accepts what the CLI puts in a schedule, and an input without a policy', () => {
    expect(autoInputProblems({ cluster: 'demo', policy: loadPolicyFile(undefined) })).toEqual([]);
    expect(autoInputProblems({ cluster: 'demo', policy: { quietHours: { from: '22:00', to: '06:00', timeZone: 'Europe/Berlin' }, notify: 'chat-ops' } })).toEqual([]);
    expect(autoInputProblems({ cluster: 'demo' })).toEqual([]);
  });
  it('refuses the rest in one line each', () => {
    expect(autoInputProblems('demo')).toEqual(['input must be a JSON object like {"cluster": "demo", "policy": {...}}']);
    expect(autoInputProblems({ policy: {} })).toEqual(['input must name the cluster: {"cluster": "<name>"}']);
    expect(autoInputProblems({ cluster: 'demo', policy: { types: ['quick'], downForMinutes: -2, quietHours: { from: '9:00', to: '10:00' }, extra: 1 } })).toEqual([
      "unknown field 'policy.extra' (known: types, downForMinutes, maxRunsPerDay, quietHours, skipWhileLocked, rebalance, replayLagGB, notify, approval)",
      'policy.types must be a list of incremental, differential, full, not ["quick"]',
      'policy.downForMinutes must be a number of minutes of at least 0, not -2',
      'policy.quietHours.from must be a time HH:MM (00:00 to 23:59), not "9:00"',
    ]);
  });
  it('holds an approval to its shape and bounds', () => {
    expect(autoInputProblems({ cluster: 'demo', policy: { approval: {} } })).toEqual([]);
    expect(autoInputProblems({ cluster: 'demo', policy: { approval: { types: ['full', 'differential'], expiresAfterMinutes: 90 } } })).toEqual([]);
    expect(autoInputProblems({ cluster: 'demo', policy: { approval: { types: [], expiresAfterMinutes: 0, by: 'me' } } })).toEqual([
      "unknown field 'policy.approval.by' (known: types, expiresAfterMinutes)",
      'policy.approval.types must be a non-empty list of incremental, differential, full, not []',
      'policy.approval.expiresAfterMinutes must be a number of minutes from 1 to 1440, not 0',
    ]);
    expect(autoInputProblems({ cluster: 'demo', policy: { approval: true } })).toEqual(['policy.approval must be an object like {"types": ["full"], "expiresAfterMinutes": 60}, not true']);
    expect(withPolicyDefaults({ approval: {} }).approval).toEqual({ types: ['full'], expiresAfterMinutes: 60 });
    expect(withPolicyDefaults({}).approval).toBeUndefined();
  });
  it('holds input typed by hand to the limits a policy file is held to', () => {
    const huge = { types: [], downForMinutes: 20_000, maxRunsPerDay: 5000 };
    expect(autoInputProblems({ cluster: 'demo', policy: huge })).toEqual([
      'policy.types must list at least one recovery type (incremental, differential, full)',
      'policy.downForMinutes must be at most a week (10080)',
      'policy.maxRunsPerDay must be at most 1000',
    ]);
    expect(() => parsePolicy(huge, 'policy')).toThrow(/types must list at least one recovery type.*downForMinutes must be at most a week \(10080\).*maxRunsPerDay must be at most 1000/);
  });
});

describe('--every', () => {
  it('reads seconds, minutes and hours, within bounds', () => {
    expect([parseEvery('30s'), parseEvery('5m'), parseEvery('1h'), parseEvery('2s')]).toEqual([30_000, 300_000, 3_600_000, 2_000]);
    expect([formatEvery(300_000), formatEvery(90_000), formatEvery(7_200_000), formatEvery(3_000)]).toEqual(['5m', '90s', '2h', '3s']);
    for (const bad of ['1s', '0m', '5', 'm', '25h', '5 minutes', '-5m']) {
      expect(() => parseEvery(bad), bad).toThrow(`--every must be a period like 30s, 5m or 1h, from 2s to 24h, not '${bad}'`);
    }
  });
  it('describes a policy in one line', () => {
    expect(describePolicy(loadPolicyFile(undefined))).toBe(
      'types: incremental only; down 5 min first; at most 6 run(s) a day; no quiet hours; skips while gprecoverseg.lock is held; no rebalance; no notification');
    expect(describePolicy(withPolicyDefaults({ types: ['incremental', 'differential'], quietHours: { from: '22:00', to: '06:00', timeZone: 'UTC' }, rebalance: true, notify: 'pager' })))
      .toBe("types: incremental, then differential after a failed run; down 5 min first; at most 6 run(s) a day; quiet 22:00-06:00 UTC; "
        + "skips while gprecoverseg.lock is held; rebalances after (replay lag under 10 GB); notifies hook 'pager' (the worker's notifyHooks)");
  });
});

describe('decisions in visibility and in tables', () => {
  it('queries automatic runs by cluster, time, decision and status', () => {
    expect(buildDecisionQuery({})).toBe("WorkflowType = 'autoRecoveryWorkflow'");
    expect(buildDecisionQuery({ cluster: "o'b", since: NOW, decision: 'started', status: 'failed' })).toBe(
      "WorkflowType = 'autoRecoveryWorkflow' AND ClusterName = 'o\\'b' AND StartTime > '2024-05-10T12:00:00.000Z' AND AutoDecision = 'started' AND ExecutionStatus = 'Failed'");
    expect(() => buildDecisionQuery({ decision: "x' OR '1'='1" })).toThrow(InvalidRequestError);
  });
  it('lists recoveries an automatic run started beside top-level ones', () => {
    expect(buildHistoryQuery({})).toContain("(ParentWorkflowId IS NULL OR WorkflowType = 'recoveryWorkflow')");
  });
  it('names who started a run', () => {
    expect(requesterLabel('schedule:gprecover-auto-demo')).toBe('schedule gprecover-auto-demo');
    expect(requesterLabel('auto:my-check')).toBe('auto run my-check');
    expect(requesterLabel('alice@ops-1')).toBe('alice@ops-1');
    expect(requesterLabel(undefined)).toBeUndefined();
  });
  it('prints decisions with their reasons', () => {
    const rows: DecisionRow[] = [
      { workflowId: 'gprecover-auto-demo-2024-05-10T12:00:05Z', runId: 'r2', cluster: 'demo', decision: 'started', code: 'recover', reason: 'dbid 6 down since 11:53:00Z: incremental recovery', type: 'incremental', contents: ['0'], outcome: 'succeeded', by: 'schedule gprecover-auto-demo', status: 'completed', startTime: '2024-05-10T12:00:05.000Z' },
      { workflowId: 'gprecover-auto-demo-2024-05-10T11:55:05Z', runId: 'r1', cluster: 'demo', decision: 'skipped', code: 'double-fault', reason: 'double fault, nothing to recover from: content 1: both dbid 3 and dbid 7 are down; repair a segment of each by hand', contents: ['1'], by: 'schedule gprecover-auto-demo', status: 'completed', startTime: '2024-05-10T11:55:05.000Z' },
    ];
    const lines = formatDecisionTable(rows, { reasonWidth: 60 });
    expect(lines[0]).toMatch(/^START \(UTC\)\s+DECISION\s+TYPE\s+CONTENTS\s+OUTCOME\s+BY\s+REASON$/);
    expect(lines[1]).toMatch(/^2024-05-10 12:00:05Z\s+started\s+incremental\s+0\s+succeeded\s+schedule gprecover-auto-demo\s+dbid 6 down since 11:53:00Z: incremental recovery$/);
    expect(lines[2]).toMatch(/^2024-05-10 11:55:05Z\s+skipped \(double-fault\)\s+-\s+1\s+-\s+schedule gprecover-auto-demo\s+double fault, nothing to recover from: content 1: both dbid…$/);
    expect(formatDecisionTable(rows, { showCluster: true })[0]).toContain('CLUSTER');
  });
});
