import fs from 'node:fs';
import { autoInputProblems } from '../domain/autoInput';
import { withPolicyDefaults, type AutoPolicy, type AutoPolicyInput } from '../domain/autoPolicy';
import { UsageError } from './errors';

/**
 * Reads and validates a policy file with the one schema every automatic check's input is held to (domain/autoInput):
 * each problem names its field, all on one line. The result has every default filled in, and quiet hours without a
 * time zone get this machine's, so the schedule's input says all of it.
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
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`${what}: must be a JSON object like {"types": ["incremental"]}`);
  const problems = autoInputProblems({ cluster: 'policy', policy: raw });
  if (problems.length) throw new UsageError(`${what}: ${problems.join('; ')}`);
  const policy = withPolicyDefaults(raw as AutoPolicyInput);
  if (policy.quietHours && !policy.quietHours.timeZone) policy.quietHours = { ...policy.quietHours, timeZone: localTimeZone };
  return policy;
}
