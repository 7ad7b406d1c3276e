import { describe, expect, it } from 'vitest';
import { addSample, catchUpEtaSeconds, copyEtaSeconds, formatEta, rateOf, runEta } from '../../domain/eta';
import { formatProgress } from '../../client/progressText';

describe('ETA from rates (domain/eta.ts)', () => {
  it('measures a rate over the last minute of samples, and none from one sample or less than a second', () => {
    let s = addSample([], { atMs: 0, value: 0 });
    expect(rateOf(s)).toBeUndefined();
    s = addSample(s, { atMs: 500, value: 10 });
    expect(rateOf(s)).toBeUndefined();
    for (let t = 1; t <= 120; t++) s = addSample(s, { atMs: t * 1000, value: t < 60 ? t * 1000 : 59_000 + (t - 59) * 4000 });
    // Only the last minute counts: 4000 units/s since second 60, not the slower start.
    expect(rateOf(s)).toBeCloseTo(4000, -1);
    expect(s.length).toBeLessThanOrEqual(62);
  });

  it('a copy: bytes left over its rate; a sync: WAL behind over how fast it shrinks; nothing without a rate', () => {
    expect(copyEtaSeconds(600, 1000, 10)).toBe(40);
    expect(copyEtaSeconds(600, 1000, undefined)).toBeUndefined();
    expect(copyEtaSeconds(600, 1000, 0)).toBeUndefined();
    expect(catchUpEtaSeconds(1000, -50)).toBe(20);
    expect(catchUpEtaSeconds(1000, 5)).toBeUndefined();
    expect(catchUpEtaSeconds(0, undefined)).toBe(0);
  });

  it('a run: running segments end at their ETAs, pending ones take the free slots at the average seen so far', () => {
    const limits = { hostParallelism: 1, segmentParallelism: 2 };
    expect(runEta([{ state: 'running', etaSeconds: 100 }, { state: 'running', etaSeconds: 300 }], limits)).toMatchObject({ seconds: 300 });
    // Two slots: one frees at 100 s, the pending segment takes it for (100 + 300) / 2 = 200 s: done at 300 s.
    const three = runEta([{ state: 'running', etaSeconds: 100 }, { state: 'running', etaSeconds: 300 }, { state: 'pending' }], limits);
    expect(three).toEqual({ seconds: 300, basis: '2 running segment(s) by their rates, 1 pending at about 200 s each' });
    const queued = runEta([{ state: 'running', etaSeconds: 60 }, { state: 'succeeded', tookSeconds: 60 }, { state: 'pending' }, { state: 'pending' }], { hostParallelism: 1, segmentParallelism: 1 });
    expect(queued.seconds).toBe(180);
    expect(runEta([{ state: 'running' }], limits)).toEqual({ basis: 'no copy rate yet' });
    expect(runEta([{ state: 'succeeded', tookSeconds: 5 }], limits)).toEqual({ seconds: 0, basis: 'nothing left to do' });
  });

  it('status shows the rate and the ETA after the progress', () => {
    expect(formatProgress({ phase: 'copying', tool: 'pg_basebackup', bytesDone: 512 * 1024, bytesTotal: 1024 * 1024, rateBytesPerSec: 2_500_000, etaSeconds: 250 }))
      .toBe('pg_basebackup 512/1024 kB (50%), 2.5 MB/s, ETA 4m10s');
    expect(formatEta(3900)).toBe('1h05m');
    expect(formatEta(35)).toBe('35s');
  });
});
