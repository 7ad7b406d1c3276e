import { Context } from '@temporalio/activity';
import type { ActivityProgress } from '../domain/activities';
import { addSample, catchUpEtaSeconds, copyEtaSeconds, rateOf, type Sample } from '../domain/eta';

const latest = new WeakMap<Context, ActivityProgress>();
const copied = new WeakMap<Context, Sample[]>();
const behind = new WeakMap<Context, Sample[]>();

/**
 * What the running activity is doing now: carried by its next heartbeat (heartbeatInterceptor.ts beats every
 * second), where `gprecover status` reads it. A copy's bytes and a mirror's WAL bytes behind are sampled here, so
 * every report carries the rate and the ETA they give (domain/eta.ts). Reporting is cheap: nothing is sent from here.
 */
export function reportProgress(p: ActivityProgress, now = Date.now()): void {
  const ctx = Context.current();
  latest.set(ctx, withEstimate(ctx, p, now));
}

function withEstimate(ctx: Context, p: ActivityProgress, now: number): ActivityProgress {
  if (p.bytesDone !== undefined && p.bytesTotal) {
    const samples = addSample(copied.get(ctx) ?? [], { atMs: now, value: p.bytesDone });
    copied.set(ctx, samples);
    const rate = rateOf(samples);
    const eta = copyEtaSeconds(p.bytesDone, p.bytesTotal, rate);
    return { ...p, ...(rate !== undefined && rate > 0 ? { rateBytesPerSec: Math.round(rate) } : {}), ...(eta !== undefined ? { etaSeconds: eta } : {}) };
  }
  if (p.percent !== undefined) {
    const samples = addSample(copied.get(ctx) ?? [], { atMs: now, value: p.percent });
    copied.set(ctx, samples);
    const eta = copyEtaSeconds(p.percent, 100, rateOf(samples));
    return eta !== undefined ? { ...p, etaSeconds: eta } : p;
  }
  if (p.walBytesBehind !== undefined) {
    const samples = addSample(behind.get(ctx) ?? [], { atMs: now, value: p.walBytesBehind });
    behind.set(ctx, samples);
    const eta = catchUpEtaSeconds(p.walBytesBehind, rateOf(samples));
    return eta !== undefined ? { ...p, etaSeconds: eta } : p;
  }
  return p;
}

export function progressOf(ctx: Context): ActivityProgress | undefined {
  return latest.get(ctx);
}
