// Pure: `gprecover auto`'s --every and how a policy reads in one line.
import type { AutoPolicy } from '../domain/autoPolicy';
import { UsageError } from './errors';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** Short enough for tests on the demo; a real cluster checks every few minutes. */
export const EVERY_MS = { min: 2_000, max: 24 * 3_600_000, default: '5m' } as const;

/** '30s', '5m', '1h' -> milliseconds. */
export function parseEvery(value: string): number {
  const m = /^(\d+)([smh])$/.exec(value.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]] : NaN;
  if (!(ms >= EVERY_MS.min && ms <= EVERY_MS.max)) {
    throw new UsageError(`--every must be a period like 30s, 5m or 1h, from 2s to 24h, not '${value}'`);
  }
  return ms;
}

/** 300000 -> '5m', 90000 -> '90s'. */
export function formatEvery(ms: number): string {
  if (ms % UNIT_MS.h === 0) return `${ms / UNIT_MS.h}h`;
  if (ms % UNIT_MS.m === 0) return `${ms / UNIT_MS.m}m`;
  return `${Math.round(ms / 1000)}s`;
}

export function describePolicy(p: AutoPolicy): string {
  const types = p.types.length === 1 ? `${p.types[0]} only` : `${p.types.join(', then ')} after a failed run`;
  const parts = [
    `types: ${types}`,
    `down ${p.downForMinutes} min first`,
    `at most ${p.maxRunsPerDay} run(s) a day`,
    p.quietHours ? `quiet ${p.quietHours.from}-${p.quietHours.to} ${p.quietHours.timeZone ?? 'UTC'}` : 'no quiet hours',
    p.skipWhileLocked ? 'skips while gprecoverseg.lock is held' : 'does not look at gprecoverseg.lock first',
    p.rebalance ? `rebalances after (replay lag under ${p.replayLagGB} GB)` : 'no rebalance',
    p.notify ? `notifies hook '${p.notify}' (the worker's notifyHooks)` : 'no notification',
    ...(p.approval ? [`waits up to ${p.approval.expiresAfterMinutes} min for an approval (gprecover approve) before a ${p.approval.types.join(' or ')} recovery`] : []),
  ];
  return parts.join('; ');
}
