import type { HostFacts } from '../../domain/doctor';
import { errorMessage } from '../../domain/failures';
import type { Executor } from '../exec/executor';

/**
 * The host's clock against this machine's: `date +%s.%N` there, set against the midpoint of the round trip here;
 * half the round trip is the uncertainty. Run after another command, so the SSH login is not part of the trip.
 */
export async function measureClock(exec: Executor): Promise<NonNullable<HostFacts['clock']>> {
  try {
    const before = Date.now();
    const res = await exec.run(['date', '+%s.%N'], { timeoutMs: 15_000 });
    const after = Date.now();
    const out = res.stdout.trim();
    // A date without %N prints "1700000000.N": whole seconds, truncated.
    const precise = /^\d+\.\d+$/.test(out);
    const whole = /^(\d+)\./.exec(out)?.[1] ?? (/^\d+$/.test(out) ? out : undefined);
    if (res.code !== 0 || whole === undefined) return { error: `date printed '${out.slice(0, 40)}' (exit ${res.code})` };
    const remote = precise ? Number(out) : Number(whole) + 0.5;
    const local = (before + after) / 2000;
    return { skewSeconds: remote - local, uncertaintySeconds: (after - before) / 2000 + (precise ? 0 : 0.5) };
  } catch (err) {
    return { error: errorMessage(err) };
  }
}
