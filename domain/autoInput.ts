import { AUTO_RECOVERY_TYPES, HHMM, HOOK_NAME, isValidTimeZone, POLICY_LIMITS } from './autoPolicy';
import { clusterNameProblem } from './values';

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function unknownKeys(where: string, obj: Record<string, unknown>, known: string[]): string[] {
  return Object.keys(obj).filter((k) => !known.includes(k)).map((k) => `unknown field '${where}${k}' (known: ${known.join(', ')})`);
}

/**
 * The one schema of autoRecoveryWorkflow's input: the CLI holds a policy file to it before it reaches a schedule,
 * and the workflow holds what arrives (a schedule's input, JSON typed into the Web UI) to it again: one-line
 * refusals, never a crash in the middle of a decision.
 */
export function autoInputProblems(input: unknown): string[] {
  if (!isObject(input)) return ['input must be a JSON object like {"cluster": "demo", "policy": {...}}'];
  const problems = unknownKeys('', input, ['cluster', 'policy']);
  const name = clusterNameProblem(input.cluster);
  if (name) problems.push(name);
  const p = input.policy;
  if (p === undefined || p === null) return problems;
  if (!isObject(p)) return [...problems, 'policy must be a JSON object'];
  problems.push(...unknownKeys('policy.', p, ['types', 'downForMinutes', 'maxRunsPerDay', 'quietHours', 'skipWhileLocked', 'rebalance', 'replayLagGB', 'notify', 'approval']));
  const want = (field: string, ok: boolean, what: string) => {
    if (ok) return;
    const value = field.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], p);
    problems.push(value === undefined ? `policy.${field} is missing: it must be ${what}` : `policy.${field} must be ${what}, not ${JSON.stringify(value)?.slice(0, 80)}`);
  };
  const num = (v: unknown, min: number, max = Infinity) => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max);
  if (p.types !== undefined) want('types', Array.isArray(p.types) && p.types.every((t) => AUTO_RECOVERY_TYPES.includes(t)), `a list of ${AUTO_RECOVERY_TYPES.join(', ')}`);
  if (Array.isArray(p.types) && p.types.length === 0) problems.push('policy.types must list at least one recovery type (incremental, differential, full)');
  want('downForMinutes', num(p.downForMinutes, 0), 'a number of minutes of at least 0');
  want('maxRunsPerDay', p.maxRunsPerDay === undefined || (Number.isInteger(p.maxRunsPerDay) && (p.maxRunsPerDay as number) >= 1), 'a whole number of at least 1');
  if (typeof p.downForMinutes === 'number' && p.downForMinutes > POLICY_LIMITS.maxDownForMinutes) problems.push(`policy.downForMinutes must be at most a week (${POLICY_LIMITS.maxDownForMinutes})`);
  if (typeof p.maxRunsPerDay === 'number' && p.maxRunsPerDay > POLICY_LIMITS.maxRunsPerDay) problems.push(`policy.maxRunsPerDay must be at most ${POLICY_LIMITS.maxRunsPerDay}`);
  want('replayLagGB', num(p.replayLagGB, 0), 'a number of GB of at least 0');
  for (const b of ['skipWhileLocked', 'rebalance']) want(b, p[b] === undefined || typeof p[b] === 'boolean', 'true or false');
  if (p.quietHours !== undefined) {
    const q = p.quietHours;
    if (!isObject(q)) {
      want('quietHours', false, 'an object like {"from": "22:00", "to": "06:00"}');
    } else {
      problems.push(...unknownKeys('policy.quietHours.', q, ['from', 'to', 'timeZone']));
      for (const f of ['from', 'to']) want(`quietHours.${f}`, typeof q[f] === 'string' && HHMM.test(q[f] as string), 'a time HH:MM (00:00 to 23:59)');
      want('quietHours.timeZone', q.timeZone === undefined || (typeof q.timeZone === 'string' && isValidTimeZone(q.timeZone)), 'an IANA time zone like Europe/Berlin');
    }
  }
  if (p.approval !== undefined) {
    const a = p.approval;
    if (!isObject(a)) {
      want('approval', false, 'an object like {"types": ["full"], "expiresAfterMinutes": 60}');
    } else {
      problems.push(...unknownKeys('policy.approval.', a, ['types', 'expiresAfterMinutes']));
      if (a.types !== undefined) want('approval.types', Array.isArray(a.types) && a.types.length > 0 && a.types.every((t) => AUTO_RECOVERY_TYPES.includes(t)), `a non-empty list of ${AUTO_RECOVERY_TYPES.join(', ')}`);
      want('approval.expiresAfterMinutes', num(a.expiresAfterMinutes, POLICY_LIMITS.minApprovalMinutes, POLICY_LIMITS.maxApprovalMinutes),
        `a number of minutes from ${POLICY_LIMITS.minApprovalMinutes} to ${POLICY_LIMITS.maxApprovalMinutes}`);
    }
  }
  if (p.notify !== undefined) {
    // A hook is the worker's to define (a command, a webhook and its secret): the policy only names one.
    if (typeof p.notify !== 'string' || !HOOK_NAME.test(p.notify)) {
      problems.push(typeof p.notify === 'object' && p.notify !== null
        ? 'policy.notify names a notification hook of the worker\'s clusters file (its "notifyHooks"), like "notify": "pager"; a command or a URL in the policy is refused'
        : `policy.notify must be the name of a notification hook (letters, digits, '_', '.', '-'), not ${JSON.stringify(p.notify)?.slice(0, 60)}`);
    }
  }
  return problems;
}
