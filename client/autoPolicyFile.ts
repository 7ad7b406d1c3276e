import fs from 'node:fs';
import { z } from 'zod';
import { describeIssue } from '../cluster/config';
import { AUTO_RECOVERY_TYPES, HHMM, isValidTimeZone, POLICY_LIMITS, withPolicyDefaults, type AutoPolicy } from '../domain/autoPolicy';
import { UsageError } from './errors';

const hhmm = z.string({ error: 'must be a time HH:MM' }).regex(HHMM, 'must be a time HH:MM (00:00 to 23:59)');

/** The policy file of `gprecover auto enable --policy FILE`; every field may be left out (domain/autoPolicy.ts defaults). */
const policySchema = z.strictObject({
  types: z.array(z.enum(AUTO_RECOVERY_TYPES as [string, ...string[]], { error: `must list recovery types: ${AUTO_RECOVERY_TYPES.join(', ')}` }), { error: 'must be a list like ["incremental", "differential"]' })
    .min(1, 'must list at least one recovery type (incremental, differential, full)').optional(),
  downForMinutes: z.number({ error: 'must be a number of minutes' }).min(0, 'must be at least 0').max(POLICY_LIMITS.maxDownForMinutes, `must be at most a week (${POLICY_LIMITS.maxDownForMinutes})`).optional(),
  maxRunsPerDay: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(POLICY_LIMITS.maxRunsPerDay, `must be at most ${POLICY_LIMITS.maxRunsPerDay}`).optional(),
  quietHours: z.strictObject({
    from: hhmm,
    to: hhmm,
    timeZone: z.string({ error: 'must be an IANA time zone like Europe/Berlin' }).refine(isValidTimeZone, 'must be an IANA time zone like Europe/Berlin').optional(),
  }, { error: 'must be an object like {"from": "22:00", "to": "06:00"}' }).optional(),
  skipWhileLocked: z.boolean({ error: 'must be true or false' }).optional(),
  rebalance: z.boolean({ error: 'must be true or false' }).optional(),
  replayLagGB: z.number({ error: 'must be a number of GB' }).min(0, 'must be at least 0').optional(),
  notify: z.strictObject({
    command: z.string({ error: 'must be a shell command' }).trim().min(1, 'must be a shell command').optional(),
    webhook: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    timeoutSeconds: z.number({ error: 'must be a number of seconds' }).min(POLICY_LIMITS.minNotifyTimeoutSeconds, `must be at least ${POLICY_LIMITS.minNotifyTimeoutSeconds}`).max(POLICY_LIMITS.maxNotifyTimeoutSeconds, `must be at most ${POLICY_LIMITS.maxNotifyTimeoutSeconds}`).optional(),
  }, { error: 'must be an object like {"command": "..."} or {"webhook": "https://..."}' })
    .refine((n) => n.command !== undefined || n.webhook !== undefined, 'needs a command or a webhook').optional(),
});

/**
 * Reads and validates a policy file: each problem names its field, all on one line. The result has every default
 * filled in, and quiet hours without a time zone get this machine's, so the schedule's input says all of it.
 */
export function loadPolicyFile(file: string | undefined, localTimeZone = Intl.DateTimeFormat().resolvedOptions().timeZone): AutoPolicy {
  if (file === undefined) return withPolicyDefaults();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read policy file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`policy file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parsePolicy(raw, `policy file ${file}`, localTimeZone);
}

export function parsePolicy(raw: unknown, what: string, localTimeZone = Intl.DateTimeFormat().resolvedOptions().timeZone): AutoPolicy {
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`${what}: ${parsed.error.issues.map((i) => describeIssue(i, raw)).join('; ')}`);
  const policy = withPolicyDefaults(parsed.data as Partial<AutoPolicy>);
  if (policy.quietHours && !policy.quietHours.timeZone) policy.quietHours = { ...policy.quietHours, timeZone: localTimeZone };
  return policy;
}
