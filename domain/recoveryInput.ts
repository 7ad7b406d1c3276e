// The one schema of recoveryWorkflow's and rebalanceWorkflow's input, whoever starts them: the CLI checks its flags
// with it before it starts a run, and the workflows check what arrives (JSON typed into the Web UI, the temporal
// CLI, a schedule) with it before anything else. Bounds on every field; one line per problem.
import { optionProblems } from './options';
import { parseRecoverConfig } from './recoverConfig';
import type { RebalanceInput, RecoveryInput } from './recovery';
import { clusterNameProblem, directoryProblem, hostProblem } from './values';

type Kind = 'string' | 'boolean' | 'count' | 'number' | 'hosts' | 'directory';

interface Field {
  kind: Kind;
  /** Largest value (count, number) or length (string). */
  max: number;
}

const MiB = 1024 * 1024;

const RECOVERY_FIELDS: Record<keyof RecoveryInput, Field> = {
  cluster: { kind: 'string', max: 200 },
  full: { kind: 'boolean', max: 0 },
  differential: { kind: 'boolean', max: 0 },
  recoverConfig: { kind: 'string', max: MiB },
  spareHosts: { kind: 'hosts', max: 1000 },
  hostParallelism: { kind: 'count', max: 1024 },
  segmentParallelism: { kind: 'count', max: 1024 },
  rebalance: { kind: 'boolean', max: 0 },
  replayLagGB: { kind: 'number', max: 1_000_000 },
  dryRun: { kind: 'boolean', max: 0 },
  requestedBy: { kind: 'string', max: 200 },
  syncTimeoutMinutes: { kind: 'count', max: 100_000 },
  outageSeconds: { kind: 'count', max: 7 * 86_400 },
  coordinatorDataDirectory: { kind: 'directory', max: 0 },
  logDirectory: { kind: 'directory', max: 0 },
  progressFile: { kind: 'boolean', max: 0 },
  maxRate: { kind: 'string', max: 32 },
  hbaHostnames: { kind: 'boolean', max: 0 },
  disableReplayLag: { kind: 'boolean', max: 0 },
};

const REBALANCE_FIELDS: Record<keyof RebalanceInput, Field> = {
  cluster: RECOVERY_FIELDS.cluster,
  replayLagGB: RECOVERY_FIELDS.replayLagGB,
  disableReplayLag: RECOVERY_FIELDS.disableReplayLag,
  coordinatorDataDirectory: RECOVERY_FIELDS.coordinatorDataDirectory,
  dryRun: RECOVERY_FIELDS.dryRun,
  requestedBy: RECOVERY_FIELDS.requestedBy,
  syncTimeoutMinutes: RECOVERY_FIELDS.syncTimeoutMinutes,
  outageSeconds: RECOVERY_FIELDS.outageSeconds,
};

const WANT: Record<Kind, (max: number) => string> = {
  string: (max) => `a string of at most ${max} characters`,
  boolean: () => 'true or false',
  count: (max) => `a whole number from 1 to ${max}`,
  number: (max) => `a number from 0 to ${max}`,
  hosts: (max) => `a list of at most ${max} host names`,
  directory: () => 'an absolute directory path',
};

function fieldProblem(key: string, value: unknown, f: Field): string | undefined {
  const bad = () => `input field '${key}' must be ${WANT[f.kind](f.max)}, not ${JSON.stringify(value)?.slice(0, 80)}`;
  switch (f.kind) {
    case 'string':
      return typeof value === 'string' && value.length <= f.max ? undefined : bad();
    case 'boolean':
      return typeof value === 'boolean' ? undefined : bad();
    case 'count':
      return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= f.max ? undefined : bad();
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= f.max ? undefined : bad();
    case 'hosts': {
      if (!Array.isArray(value) || value.length > f.max) return bad();
      const wrong = value.map((h) => (typeof h === 'string' ? hostProblem(h, 'spare host') : bad())).find(Boolean);
      return wrong ? `input field '${key}': ${wrong}` : undefined;
    }
    case 'directory': {
      if (typeof value !== 'string') return bad();
      const wrong = directoryProblem(value, key === 'logDirectory' ? 'log directory (-l)' : 'coordinator data directory (-d)');
      return wrong ? `input field '${key}': ${wrong}` : undefined;
    }
  }
}

function objectProblems(input: unknown, fields: Record<string, Field>): string[] {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return ['input must be a JSON object like {"cluster": "demo"}'];
  const rec = input as Record<string, unknown>;
  const problems: string[] = [];
  const name = clusterNameProblem(rec.cluster);
  if (name) problems.push(name);
  for (const [key, value] of Object.entries(rec)) {
    const f = fields[key];
    if (!f) {
      problems.push(`unknown input field '${key.slice(0, 60)}' (known: ${Object.keys(fields).join(', ')})`);
      continue;
    }
    if (value === undefined || value === null || key === 'cluster') continue;
    const wrong = fieldProblem(key, value, f);
    if (wrong) problems.push(wrong);
  }
  return problems;
}

/** Every problem of a recoveryWorkflow input, each one line; none means the worker may plan from it. */
export function recoveryInputProblems(input: unknown): string[] {
  const problems = objectProblems(input, RECOVERY_FIELDS);
  if (problems.length) return problems;
  const i = input as RecoveryInput;
  if (i.recoverConfig !== undefined) {
    try {
      parseRecoverConfig(i.recoverConfig);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return [...problems, ...optionProblems({ ...i, configFile: i.recoverConfig !== undefined, spareHosts: !!i.spareHosts?.length })];
}

/** Every problem of a rebalanceWorkflow input started on its own (gprecover rebalance). */
export function rebalanceInputProblems(input: unknown): string[] {
  return objectProblems(input, REBALANCE_FIELDS);
}
