// Whether an automatic run starts a recovery now, and of which type, or why not: the contents' actions
// (contentAction.ts) weighed against the policy and the facts the check gathered. Deterministic (the workflow runs
// it, so the decision and its reason are in history), and unit-tested without a server.
import { AUTO_RECOVERY_TYPES, type AutoDecision, type AutoFacts, type AutoPolicy, type AutoRunRecord } from '../autoPolicy';
import type { ClusterSnapshot } from '../probe';
import type { RecoveryType } from '../recovery';
import type { SegmentRow } from '../segment';
import { autoNeeds, type AutoNeeds } from './autoNeeds';
import { inQuietHours } from './quietHours';
import { overReplayLag } from './replayLag';

const MINUTE = 60_000;
export const DAY_MS = 24 * 60 * MINUTE;

const uniq = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);
const list = (xs: number[]) => xs.join(', ');
const clock = (iso: string) => `${iso.slice(11, 19)}Z`;
const minutes = (ms: number) => `${(ms / MINUTE).toFixed(1)} min`;

const skip = (code: Extract<AutoDecision, { action: 'skip' }>['code'], reason: string, actionable: boolean, contents: number[] = []): AutoDecision =>
  ({ action: 'skip', code, reason, actionable, contents: uniq(contents) });

const FLAG: Record<RecoveryType, string> = { incremental: 'gprecover start-recovery', differential: 'gprecover start-recovery --differential', full: 'gprecover start-recovery -F' };

/**
 * The type of this episode's next automatic run: the policy's first type, or, after an automatic run of the same
 * contents failed since they went down, the next type the policy allows (incremental, differential, full).
 */
function chooseType(policy: AutoPolicy, facts: AutoFacts, down: SegmentRow[]): { type: RecoveryType; after?: AutoRunRecord } | AutoDecision {
  const contents = uniq(down.map((d) => d.content));
  if (!policy.types.length) return skip('no-allowed-type', `the policy allows no automatic recovery type; recover content(s) ${list(contents)} by hand (${FLAG.incremental})`, true, contents);
  const rank = (t: string | undefined) => AUTO_RECOVERY_TYPES.indexOf(t as RecoveryType);
  const sinceOf = (content: number) => down.filter((d) => d.content === content).map((d) => facts.downSince[d.dbid] ?? null);
  // A failure belongs to this episode when it started after its contents went down (as far as the history says).
  const failed = facts.recentRuns.filter((r) => r.outcome === 'failed' && rank(r.type) >= 0
    && r.contents.some((c) => contents.includes(c) && sinceOf(c).every((since) => since === null || r.startTime >= since)));
  if (!failed.length) return { type: policy.types[0] };
  const worst = failed.reduce((a, b) => (rank(b.type) > rank(a.type) ? b : a));
  const next = policy.types.find((t) => rank(t) > rank(worst.type));
  if (next) return { type: next, after: worst };
  const byHand = AUTO_RECOVERY_TYPES.find((t) => rank(t) > rank(worst.type));
  return skip('no-allowed-type',
    `an automatic ${worst.type} recovery of content(s) ${list(worst.contents)} failed (${worst.workflowId} run ${worst.runId.slice(0, 8)}, started ${clock(worst.startTime)}) `
    + `and the policy allows no further type (types: ${policy.types.join(', ')}); ${byHand ? `recover by hand: ${FLAG[byHand]}` : 'look at the failed run: gprecover show'}`,
    true, contents);
}

function inProgress(facts: AutoFacts, contents: number[]): AutoDecision | undefined {
  const run = facts.runInProgress;
  if (run) return skip('run-in-progress', `${run.workflowId} run ${run.runId.slice(0, 8)} (started ${clock(run.startTime)}) is at work on the cluster`, false, contents);
  return undefined;
}

/** When automatic runs may start: outside quiet hours, within the daily budget. */
function windowChecks(policy: AutoPolicy, facts: AutoFacts, now: Date, contents: number[]): AutoDecision | undefined {
  if (policy.quietHours && inQuietHours(now, policy.quietHours)) {
    const q = policy.quietHours;
    return skip('quiet-hours', `quiet hours ${q.from}-${q.to} ${q.timeZone ?? 'UTC'}: no automatic run starts now`, false, contents);
  }
  const today = facts.recentRuns.filter((r) => now.getTime() - Date.parse(r.startTime) < DAY_MS);
  if (today.length >= policy.maxRunsPerDay) {
    return skip('max-runs', `${today.length} automatic run(s) started in the last 24 hours, the policy's maximum (maxRunsPerDay ${policy.maxRunsPerDay}); `
      + `the oldest, ${clock(today[today.length - 1].startTime)}, leaves the window first`, true, contents);
  }
  return undefined;
}

function lockCheck(policy: AutoPolicy, facts: AutoFacts, contents: number[]): AutoDecision | undefined {
  if (policy.skipWhileLocked && facts.lock?.held) return skip('lock-held', facts.lock.by ?? "gprecoverseg's lock is held", true, contents);
  return undefined;
}

function decideRebalance(policy: AutoPolicy, facts: AutoFacts, now: Date, needs: AutoNeeds): AutoDecision {
  if (needs.unsynchronized.length) {
    return skip('not-synchronized', `content(s) ${list(uniq(needs.unsynchronized))} out of their preferred roles are not in sync yet; the rebalance waits for them`, false, needs.unsynchronized);
  }
  const contents = needs.rebalance.map((c) => c.content);
  const blocked = inProgress(facts, contents) ?? windowChecks(policy, facts, now, contents) ?? lockCheck(policy, facts, contents);
  if (blocked) return blocked;
  const lagging = needs.rebalance.filter((c) => overReplayLag(facts.replayLagBytes?.[c.content] ?? null, policy.replayLagGB));
  if (lagging.length) {
    return skip('replay-lag', `mirror(s) of content(s) ${list(lagging.map((c) => c.content))} still have ${lagging.map((c) => facts.replayLagBytes![c.content]).join(', ')} bytes of WAL to replay, `
      + `at or over the policy's replayLagGB ${policy.replayLagGB}; the rebalance waits for them to catch up`, true, lagging.map((c) => c.content));
  }
  return { action: 'rebalance', contents: uniq(contents), reason: `content(s) ${list(uniq(contents))} up and in sync out of their preferred roles: rebalance` };
}

/**
 * Whether to start now. Health first (a double fault is reported whatever else holds), then what makes a start wait
 * (a run at work, a segment down for too short, quiet hours), the daily budget, the type, and the lock last.
 */
export function decide(snapshot: ClusterSnapshot, policy: AutoPolicy, facts: AutoFacts, now: Date): AutoDecision {
  const needs = autoNeeds(snapshot, policy);
  if (!needs.down.length) {
    if (needs.rebalance.length || needs.unsynchronized.length) return decideRebalance(policy, facts, now, needs);
    return skip('nothing-to-do', 'no segment is down', false);
  }
  const doubleFaults: string[] = [];
  const waitingForFts: string[] = [];
  const faultContents: number[] = [];
  for (const d of needs.down) {
    if (faultContents.includes(d.content)) continue;
    const a = needs.actions.get(d.content)!;
    if (a.action === 'double fault') {
      doubleFaults.push(a.reason);
    } else if (a.action === 'wait') {
      waitingForFts.push(a.reason);
      continue;
    } else if (a.action === 'recover') {
      // The catalog says recover; whether the source answers is the facts' word.
      const src = facts.sources.find((s) => s.dbid === a.source.dbid);
      if (!src || src.answers) continue;
      doubleFaults.push(`content ${d.content}: mirror dbid ${d.dbid} is down and its primary dbid ${a.source.dbid} does not answer${src.error ? ` (${src.error.split('\n')[0].slice(0, 120)})` : ''}`);
    } else {
      continue;
    }
    faultContents.push(d.content);
  }
  const contents = uniq(needs.down.map((d) => d.content));
  if (doubleFaults.length) {
    return skip('double-fault', `double fault, nothing to recover from: ${doubleFaults.join('; ')}; repair a segment of each by hand`, true, faultContents);
  }
  if (waitingForFts.length) return skip('waiting-for-fts', waitingForFts.join('; '), false, contents);

  const running = inProgress(facts, contents);
  if (running) return running;
  const waitMs = policy.downForMinutes * MINUTE;
  const recent = needs.down
    .map((d) => ({ d, since: facts.downSince[d.dbid] ?? null }))
    .filter((x) => x.since !== null && now.getTime() - Date.parse(x.since) < waitMs);
  if (recent.length) {
    return skip('down-too-short', `${recent.map((x) => `dbid ${x.d.dbid} down ${minutes(now.getTime() - Date.parse(x.since!))} (since ${clock(x.since!)})`).join(', ')}; `
      + `the policy waits ${policy.downForMinutes} min`, false, contents);
  }
  const outside = windowChecks(policy, facts, now, contents);
  if (outside) return outside;
  const chosen = chooseType(policy, facts, needs.down);
  if ('action' in chosen) return chosen;
  const locked = lockCheck(policy, facts, contents);
  if (locked) return locked;
  const dbids = needs.down.map((d) => d.dbid).sort((a, b) => a - b);
  const since = needs.down.map((d) => facts.downSince[d.dbid]).filter((s): s is string => !!s).sort()[0];
  const after = chosen.after ? `; the automatic ${chosen.after.type} run ${chosen.after.runId.slice(0, 8)} failed` : '';
  return {
    action: 'recover', type: chosen.type, contents, dbids,
    reason: `dbid ${list(dbids)} down${since ? ` since ${clock(since)}` : ''}: ${chosen.type} recovery${after}`,
  };
}
