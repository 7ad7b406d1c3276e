import fs from 'node:fs';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/**
 * Crash-testing aid, inert unless GPRECOVER_FAULT is set: `crash-before:ACTIVITY`, `crash-after:ACTIVITY` (the side
 * effect happened, Temporal never hears of it) or `crash-during:ACTIVITY:MS`. The worker process then kills itself
 * with SIGKILL, once: the marker file GPRECOVER_FAULT_MARKER records that the crash happened.
 */
export interface FaultSpec {
  when: 'before' | 'after' | 'during';
  activity: string;
  delayMs: number;
  marker: string;
}

export function parseFaultSpec(spec: string | undefined, marker: string | undefined): FaultSpec | undefined {
  if (!spec) return undefined;
  const m = /^crash-(before|after|during):([A-Za-z]+)(?::(\d+))?$/.exec(spec);
  if (!m) throw new Error(`GPRECOVER_FAULT '${spec}' is not crash-before|after|during:ACTIVITY[:MS]`);
  if (!marker) throw new Error('GPRECOVER_FAULT needs GPRECOVER_FAULT_MARKER (a file path) so the crash happens once');
  return { when: m[1] as FaultSpec['when'], activity: m[2], delayMs: Number(m[3] ?? 0), marker };
}

function crashOnce(spec: FaultSpec): void {
  try {
    fs.writeFileSync(spec.marker, `${spec.when}:${spec.activity} pid ${process.pid}\n`, { flag: 'wx' });
  } catch {
    return;
  }
  process.kill(process.pid, 'SIGKILL');
}

export function faultInjectionInterceptors(spec: FaultSpec | undefined): ActivityInterceptorsFactory[] {
  if (!spec) return [];
  return [
    (ctx) => ({
      inbound: {
        async execute(input, next) {
          if (ctx.info.activityType !== spec.activity) return next(input);
          if (spec.when === 'before') crashOnce(spec);
          if (spec.when === 'during') setTimeout(() => crashOnce(spec), spec.delayMs).unref();
          const out = await next(input);
          if (spec.when === 'after') crashOnce(spec);
          return out;
        },
      },
    }),
  ];
}
