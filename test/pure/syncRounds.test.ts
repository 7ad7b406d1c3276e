// How far apart the sync watcher's rounds are (cluster/sync.ts roundGapMs).
import { describe, expect, it } from 'vitest';
import { dueForALook, isQuickRound, roundGapMs } from '../../cluster/sync';

const timing = { intervalMs: 1000, quickIntervalMs: 20, quickWindowMs: 2_000, maxQuick: 8, settleIntervalMs: 100, settleWindowMs: 10_000, maxSettling: 32 };

describe('the sync watcher between rounds', () => {
  // The hole: a mirror that started streaming just after a round waited for the next one a second later, and FTS was
  // asked about it only then; with several mirrors starting at once, most runs ended about a second after catching up.
  it('looks every 100 ms while a mirror that started waiting in the last 10 s has not caught up', () => {
    expect(roundGapMs([{ since: 0, caughtUp: false }], 2_500, timing)).toBe(100);
    expect(roundGapMs([{ since: 0, caughtUp: false }, { since: -60_000, caughtUp: false }], 9_999, timing)).toBe(100);
  });

  it('every second once each mirror has caught up or has been catching up for longer (hours of WAL)', () => {
    expect(roundGapMs([{ since: 0, caughtUp: true }], 500, timing)).toBe(1000);
    expect(roundGapMs([{ since: 0, caughtUp: true }], 2_500, timing)).toBe(1000);
    expect(roundGapMs([{ since: 0, caughtUp: false }], 10_000, timing)).toBe(1000);
    expect(roundGapMs([], 0, timing)).toBe(1000);
  });

  // Review: 334 mirrors registered in one second would have had every primary asked 4 times a second for 10 s.
  it('stays at a second when more mirrors settle than the bound, and asks only the settling mirrors\' primaries in between', () => {
    const many = Array.from({ length: 33 }, () => ({ since: 0, caughtUp: false }));
    expect(roundGapMs(many, 2_500, timing)).toBe(1000);
    expect(roundGapMs(many.slice(1), 2_500, timing)).toBe(100);
    const now = 20_000;
    expect(dueForALook([
      { since: now - 1_000, caughtUp: false, lookedAt: now - 100 },
      { since: 0, caughtUp: false, lookedAt: now - 100 },
      { since: 0, caughtUp: true, lookedAt: now - 900 },
      { since: now - 500, caughtUp: true, lookedAt: now - 100 },
    ], now, timing)).toEqual([true, false, true, false]);
  });

  // Review: rounds woken early by new mirrors asked every settling mirror's primary, whatever their number.
  it('above the bound, a round asks only the primaries due by the interval, however early it was woken', () => {
    const now = 20_000;
    const many = Array.from({ length: 33 }, () => ({ since: now - 1_000, caughtUp: false, lookedAt: now - 100 }));
    expect(dueForALook(many, now, timing).every((due) => !due)).toBe(true);
    expect(dueForALook([...many.slice(1), { since: now - 1_000, caughtUp: false, lookedAt: now - 950 }], now, timing).at(-1)).toBe(true);
    expect(dueForALook(many.slice(1), now, timing).every((due) => due)).toBe(true);
  });

  it('never closer than the minimum gap', () => {
    expect(roundGapMs([{ since: 0, caughtUp: false }], 2_500, { ...timing, settleIntervalMs: 10 })).toBe(100);
    expect(roundGapMs([{ since: 0, caughtUp: false }], 0, { ...timing, quickIntervalMs: 1 })).toBe(20);
  });

  // A freshly copied mirror streams tens of ms after its start; a look every 100 ms added 50 ms on average to its wait.
  it('looks at a mirror\'s primary every 20 ms in its first two seconds until it has caught up, for up to 8 such mirrors', () => {
    expect(roundGapMs([{ since: 0, caughtUp: false }], 500, timing)).toBe(20);
    expect(roundGapMs([{ since: 0, caughtUp: false }, { since: 0, caughtUp: true }], 1_999, timing)).toBe(20);
    expect(roundGapMs(Array.from({ length: 8 }, () => ({ since: 0, caughtUp: false })), 500, timing)).toBe(20);
    expect(roundGapMs(Array.from({ length: 9 }, () => ({ since: 0, caughtUp: false })), 500, timing)).toBe(100);
  });

  // Review: a probe held back could be made by a quick round, after its looks, one of which may wait 10 s for a
  // primary that does not answer; before quick rounds, the round after a held-back probe asked FTS first.
  it('reads the catalog, and asks FTS first, in the round after a probe was held back or fell due', () => {
    expect(isQuickRound({ lastReadAgeMs: 30, probeHeldBack: false, probeDue: false })).toBe(true);
    expect(isQuickRound({ lastReadAgeMs: 30, probeHeldBack: true, probeDue: false })).toBe(false);
    expect(isQuickRound({ lastReadAgeMs: 30, probeHeldBack: false, probeDue: true })).toBe(false);
    expect(isQuickRound({ lastReadAgeMs: 100, probeHeldBack: false, probeDue: false })).toBe(false);
  });

  it('a quick round asks only the primaries of mirrors in their first two seconds, and none above the bound', () => {
    const now = 20_000;
    const mirrors = [
      { since: now - 500, caughtUp: false, lookedAt: now - 20 },
      { since: now - 500, caughtUp: true, lookedAt: now - 20 },
      { since: now - 3_000, caughtUp: false, lookedAt: now - 950 },
    ];
    expect(dueForALook(mirrors, now, timing, true)).toEqual([true, false, false]);
    expect(dueForALook(mirrors, now, timing)).toEqual([true, false, true]);
    const many = Array.from({ length: 9 }, () => mirrors[0]);
    expect(dueForALook(many, now, timing, true).some((due) => due)).toBe(false);
  });
});
