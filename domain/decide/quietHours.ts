// When an automatic run may not start: the policy's quiet hours, read in its time zone.
import type { QuietHours } from '../autoPolicy';

function hhmm(value: string): number {
  const [h, m] = value.split(':').map(Number);
  return h * 60 + m;
}

/** Minutes since midnight in `timeZone` (Intl is deterministic for a given instant and zone). */
export function minutesOfDay(now: Date, timeZone = 'UTC'): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return part('hour') * 60 + part('minute');
}

/** from <= now < to, where from > to spans midnight; from == to is no quiet time at all. */
export function inQuietHours(now: Date, q: QuietHours): boolean {
  const m = minutesOfDay(now, q.timeZone);
  const from = hhmm(q.from);
  const to = hhmm(q.to);
  if (from === to) return false;
  return from < to ? m >= from && m < to : m >= from || m < to;
}
