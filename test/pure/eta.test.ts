import { describe, expect, it } from 'vitest';
import { addSample, catchUpEtaSeconds, copyEtaSeconds, etaSegmentsOf, formatEta, rateOf, runEta } from '../../domain/eta';
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

  it('a run: running segments end at their ETAs, pending ones take the free slots for as long as a whole segment takes', () => {
    const limits = { hostParallelism: 1, segmentParallelism: 2 };
    const none = { count: 0, totalSeconds: 0 };
    const r = (etaSeconds: number | undefined, elapsedSeconds = 0) => ({ etaSeconds, elapsedSeconds });
    expect(runEta({ running: [r(100), r(300)], pending: 0, finished: none }, limits)).toMatchObject({ seconds: 300 });
    // Two slots: one frees at 100 s, the pending segment takes it for (100 + 300) / 2 = 200 s: done at 300 s.
    const three = runEta({ running: [r(100), r(300)], pending: 1, finished: none }, limits);
    expect(three).toEqual({ seconds: 300, basis: '2 running segment(s) by their rates, 1 pending at about 200 s each' });
    const queued = runEta({ running: [r(60)], pending: 2, finished: { count: 1, totalSeconds: 60 } }, { hostParallelism: 1, segmentParallelism: 1 });
    expect(queued.seconds).toBe(180);
    // A whole segment is what it has run plus what it has left: three hour-long segments, 50 minutes into the first.
    expect(runEta({ running: [r(600, 3000)], pending: 2, finished: none }, { hostParallelism: 1, segmentParallelism: 1 }).seconds).toBe(600 + 2 * 3600);
    // A running segment without a rate yet holds its slot too (for about a whole segment), it does not free it at once.
    expect(runEta({ running: [r(600), r(undefined)], pending: 1, finished: none }, limits).seconds).toBe(1200);
    // Limits lowered below what runs: a pending one waits for the running to drop under them.
    expect(runEta({ running: [r(100), r(200), r(300)], pending: 1, finished: none }, { hostParallelism: 1, segmentParallelism: 1 }).seconds).toBe(300 + 200);
    expect(runEta({ running: [r(undefined)], pending: 0, finished: none }, limits)).toEqual({ basis: 'no copy rate yet' });
    expect(runEta({ running: [], pending: 0, finished: { count: 1, totalSeconds: 5 } }, limits)).toEqual({ seconds: 0, basis: 'nothing left to do' });
  });

  it('takes a run\'s segments as the client sees them: elapsed from the start, finished ones start to end', () => {
    const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 0, 0, s)).toISOString();
    const segs = etaSegmentsOf([
      { state: 'succeeded', startedAt: at(0), endedAt: at(40) }, { state: 'running', startedAt: at(10), etaSeconds: 5 },
      { state: 'pending' }, { state: 'skipped' }, { state: 'failed', startedAt: at(0), endedAt: at(1) },
      // Started ahead and waiting for its slot (0.4.0): pending for the ETA, its wait not a copy's elapsed time.
      { state: 'running', startedAt: at(5), waitingForSlot: true },
    ], Date.parse(at(50)));
    expect(segs).toEqual({ running: [{ etaSeconds: 5, elapsedSeconds: 40 }], pending: 2, finished: { count: 1, totalSeconds: 40 } });
  });

  it('status shows the rate and the ETA after the progress', () => {
    expect(formatProgress({ phase: 'copying', tool: 'pg_basebackup', bytesDone: 512 * 1024, bytesTotal: 1024 * 1024, rateBytesPerSec: 2_500_000, etaSeconds: 250 }))
      .toBe('pg_basebackup 512/1024 kB (50%), 2.5 MB/s, ETA 4m10s');
    expect(formatEta(3900)).toBe('1h05m');
    expect(formatEta(35)).toBe('35s');
  });
});
