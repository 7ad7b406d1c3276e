import { describe, expect, it } from 'vitest';
import { RunPlanCache } from '../../activities/runPlanCache';

describe("the worker's memory of parent runs' plans", () => {
  it('asks a run once however many children ask at once or later', async () => {
    const cache = new RunPlanCache<string[]>();
    let asked = 0;
    const ask = async () => {
      asked++;
      await new Promise((r) => setTimeout(r, 20));
      return ['dbid 7'];
    };
    const answers = await Promise.all(Array.from({ length: 8 }, () => cache.get('run-1', ask)));
    expect(answers.every((a) => a[0] === 'dbid 7')).toBe(true);
    await cache.get('run-1', ask);
    expect(asked).toBe(1);
    await cache.get('run-2', ask);
    expect(asked).toBe(2);
  });

  it('forgets a failed question, and asks afresh when told to', async () => {
    const cache = new RunPlanCache<number>();
    let n = 0;
    await expect(cache.get('run', async () => Promise.reject(new Error('parent busy')))).rejects.toThrow('parent busy');
    expect(await cache.get('run', async () => ++n)).toBe(1);
    expect(await cache.get('run', async () => ++n)).toBe(1);
    expect(await cache.get('run', async () => ++n, true)).toBe(2);
    expect(await cache.get('run', async () => ++n)).toBe(2);
  });

  it('keeps at most its bound of runs, the oldest going first', async () => {
    const cache = new RunPlanCache<string>(2);
    let asked = 0;
    const ask = (v: string) => async () => (asked++, v);
    await cache.get('a', ask('a'));
    await cache.get('b', ask('b'));
    await cache.get('c', ask('c'));
    expect(await cache.get('b', ask('b2'))).toBe('b');
    expect(await cache.get('a', ask('a2'))).toBe('a2');
    expect(asked).toBe(4);
  });
});
