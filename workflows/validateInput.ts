import { optionProblems } from '../domain/options';
import type { RecoveryInput } from '../domain/recovery';

const FIELDS: Record<keyof RecoveryInput, 'string' | 'boolean' | 'count' | 'number' | 'strings'> = {
  cluster: 'string',
  full: 'boolean',
  differential: 'boolean',
  recoverConfig: 'string',
  spareHosts: 'strings',
  hostParallelism: 'count',
  segmentParallelism: 'count',
  rebalance: 'boolean',
  replayLagGB: 'number',
  dryRun: 'boolean',
  requestedBy: 'string',
  syncTimeoutMinutes: 'count',
  outageSeconds: 'count',
  coordinatorDataDirectory: 'string',
  logDirectory: 'string',
  progressFile: 'boolean',
  maxRate: 'string',
  hbaHostnames: 'boolean',
  disableReplayLag: 'boolean',
};

/** Input typed by hand in the Web UI or the temporal CLI gets the same one-line refusals as the CLI's flags. */
export function inputProblems(input: unknown): string[] {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return ['input must be a JSON object like {"cluster": "demo"}'];
  const problems: string[] = [];
  const rec = input as Record<string, unknown>;
  if (typeof rec.cluster !== 'string' || !rec.cluster) problems.push('input must name the cluster: {"cluster": "<name>"}');
  for (const [key, value] of Object.entries(rec)) {
    const kind = FIELDS[key as keyof RecoveryInput];
    if (!kind) {
      problems.push(`unknown input field '${key}' (known: ${Object.keys(FIELDS).join(', ')})`);
      continue;
    }
    if (value === undefined || value === null || key === 'cluster') continue;
    const ok = kind === 'string' ? typeof value === 'string'
      : kind === 'boolean' ? typeof value === 'boolean'
      : kind === 'count' ? Number.isInteger(value) && (value as number) >= 1
      : kind === 'number' ? typeof value === 'number' && value >= 0
      : Array.isArray(value) && value.every((v) => typeof v === 'string' && v.length > 0);
    if (!ok) {
      const want = { string: 'a string', boolean: 'true or false', count: 'a whole number of at least 1', number: 'a number of at least 0', strings: 'a list of host names' }[kind];
      problems.push(`input field '${key}' must be ${want}, not ${JSON.stringify(value)}`);
    }
  }
  if (problems.length) return problems;
  const i = rec as unknown as RecoveryInput;
  return optionProblems({ ...i, configFile: i.recoverConfig !== undefined, spareHosts: !!i.spareHosts?.length });
}
