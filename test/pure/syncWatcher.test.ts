// When the sync watcher (cluster/sync.ts) looks, against a scripted coordinator and primary: the catalog and FTS
// of a real cluster are in test/cluster/syncWatch.test.ts; here only the order and timing of the rounds.
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClusterContext } from '../../cluster/context';
import { SyncWatcher, type SyncState, type SyncWatcherOptions } from '../../cluster/sync';
import type { SegmentRow } from '../../domain/segment';

const fake = vi.hoisted(() => ({
  /** What the catalog says of the mirror; FTS marks it in sync when asked once the primary says it caught up. */
  mirror: { status: 'u', mode: 'n' } as { status: string; mode: string },
  caughtUp: false,
  /** The mirror has reported replaying what it flushed (a walreceiver reports replay on its next status message). */
  replayReported: true,
  /** The primary keeps writing: WAL is always in flight to the streaming mirror, never all flushed or replayed. */
  busy: false,
  /** FTS answers probe requests but marks nothing. */
  ftsFrozen: false,
  /** The mirror catches up just after FTS's first probe, which marks nothing. */
  catchUpAfterFirstProbe: false,
  /** How long FTS takes to answer a probe request (Greenplum's and the demo's: about 50 ms). */
  ftsMs: 0,
  /** More mirrors in the catalog, by dbid (each its own content). */
  moreMirrors: [] as number[],
  /** How long ending a session takes, and how many are being ended. */
  endMs: 0,
  ending: 0,
  /** Every call, in order, with its time. */
  calls: [] as Array<{ what: 'probe' | 'catalog' | 'lag'; at: number }>,
}));

vi.mock('../../cluster/catalog', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../cluster/catalog')>()),
  coordinatorClient: () => ({
    on() {}, async connect() {},
    end: async () => {
      fake.ending += 1;
      await new Promise((r) => setTimeout(r, fake.endMs));
      fake.ending -= 1;
    },
  }),
  requestFtsProbe: async () => {
    fake.calls.push({ what: 'probe', at: Date.now() });
    const caughtUp = fake.caughtUp;
    await new Promise((r) => setTimeout(r, fake.ftsMs));
    if (caughtUp && !fake.ftsFrozen) fake.mirror = { status: 'u', mode: 's' };
    if (fake.catchUpAfterFirstProbe) fake.caughtUp = true;
  },
  readSegments: async (): Promise<SegmentRow[]> => {
    fake.calls.push({ what: 'catalog', at: Date.now() });
    const common = { content: 0, port: 6000, hostname: 'sdw1', address: 'sdw1', datadir: '/d' };
    // Content 0 (primary 2, mirror 4), and a pair per extra mirror dbid d: content d, primary d + 1000.
    return [0, ...fake.moreMirrors].flatMap((content) => [
      { ...common, content, dbid: content ? content + 1000 : 2, role: 'p', preferredRole: 'p', status: 'u', mode: fake.mirror.mode as 's' | 'n' },
      { ...common, content, dbid: content || 4, role: 'm', preferredRole: 'm', status: fake.mirror.status as 'u' | 'd', mode: fake.mirror.mode as 's' | 'n' },
    ] satisfies SegmentRow[]);
  },
}));

vi.mock('../../cluster/segment/sql', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../cluster/segment/sql')>()),
  segmentClient: () => ({
    on() {}, async connect() {}, async end() {},
    async query() {
      fake.calls.push({ what: 'lag', at: Date.now() });
      const behind = fake.caughtUp && !fake.busy && fake.replayReported ? '0' : fake.replayReported ? '8192' : null;
      // The walsender streams once it has caught up (PostgreSQL's WalSndCaughtUp), and stays so while WAL flows.
      return { rows: [{ state: fake.caughtUp ? 'streaming' : 'catchup', behind }] };
    },
  }),
}));

const context = async () => ({ cfg: {} }) as unknown as ClusterContext;

/** A watcher for the test's body, closed after it: `waitFor` waits for a dbid's sync through it. */
async function withWatcher(opts: SyncWatcherOptions, body: (waitFor: (dbid: number) => Promise<SyncState>) => Promise<void>) {
  const watcher = new SyncWatcher(context, opts);
  try {
    await body((dbid) => watcher.wait(dbid, () => undefined, new AbortController().signal));
  } finally {
    await watcher.close();
  }
}

afterEach(() => {
  fake.mirror = { status: 'u', mode: 'n' };
  fake.caughtUp = false;
  fake.replayReported = true;
  fake.busy = false;
  fake.endMs = 0;
  fake.moreMirrors = [];
  fake.catchUpAfterFirstProbe = false;
  fake.ftsMs = 0;
  fake.ftsFrozen = false;
  fake.calls.length = 0;
});

describe('the sync watcher\'s rounds', () => {
  it('asks FTS in the round that saw the mirror caught up, and reads the catalog after it, not a round later', async () => {
    await withWatcher({ idleMs: 300 }, async (waitFor) => {
      setTimeout(() => { fake.caughtUp = true; }, 150);
      const state = await waitFor(4);
      expect(state).toMatchObject({ status: 'u', mode: 's' });
      const sawCaughtUp = [...fake.calls].reverse().find((c) => c.what === 'lag')!;
      const lastRead = fake.calls.at(-1)!;
      expect(lastRead.what).toBe('catalog');
      // Before: the round after the one that saw it came the minimum gap (200 ms) later.
      expect(lastRead.at - sawCaughtUp.at).toBeLessThan(60);
      expect(fake.calls.slice(fake.calls.indexOf(sawCaughtUp) + 1).map((c) => c.what)).toEqual(['probe', 'catalog']);
    });
  });

  // Before, caught up meant all WAL flushed (a busy primary's mirror is seldom there at the moment it is asked) and,
  // before that, nothing left to replay (unknown until the mirror's next status message); either way FTS, which marks
  // a streaming mirror in sync, was asked only by the watcher's probe every ten seconds.
  it.each([
    ['while the primary keeps writing (WAL always in flight)', () => { fake.busy = true; }],
    ['before it has said how far it replayed', () => { fake.replayReported = false; }],
  ])('asks FTS once the walsender streams, %s', async (_case, arrange) => {
    arrange();
    setTimeout(() => { fake.caughtUp = true; }, 150);
    await withWatcher({ idleMs: 300 }, async (waitFor) => {
      const t0 = Date.now();
      await waitFor(4);
      expect(Date.now() - t0).toBeLessThan(1_000);
    });
  });

  it('looks at once at a mirror that starts waiting when no round has run for the minimum gap', async () => {
    fake.mirror = { status: 'u', mode: 's' };
    await withWatcher({ idleMs: 300 }, async (waitFor) => {
      await waitFor(4);
      // The loop lives on between waits; its pause after a round must not keep a new waiter waiting.
      await new Promise((r) => setTimeout(r, 110));
      const t0 = Date.now();
      await waitFor(4);
      // Before: the first 200 ms after a round could not be cut short, so this took 90 ms or more.
      expect(Date.now() - t0).toBeLessThan(60);
    });
  });

  it('makes a catch-up\'s probe, held back by the gap after the last answer, once the gap allows, not a second later', async () => {
    fake.catchUpAfterFirstProbe = true;
    // FTS is asked by time 200 ms after the mirror starts waiting, and the mirror catches up just after that answer.
    await withWatcher({ idleMs: 300, intervalMs: 200, probeEveryRounds: 1 }, async (waitFor) => {
      await waitFor(4);
      const probes = fake.calls.filter((c) => c.what === 'probe').map((c) => c.at);
      expect(probes).toHaveLength(2);
      expect(probes[1] - probes[0]).toBeGreaterThanOrEqual(85);
      expect(probes[1] - probes[0]).toBeLessThan(150);
    });
  });

  // Before, FTS was asked as soon as a mirror started waiting, before a freshly copied one streamed (tens of ms after
  // its start): that answer marked nothing and held the probe that could back by MIN_PROBE_GAP_MS, and the look that
  // saw it streaming came with the next settling round, 100 ms later; the wait took about 200 ms more than streaming.
  it('asks FTS about a mirror that streams just after it starts waiting within a quick look of that, and not before', async () => {
    fake.ftsMs = 50;
    await withWatcher({ idleMs: 300 }, async (waitFor) => {
      const t0 = Date.now();
      setTimeout(() => { fake.caughtUp = true; }, 30);
      await waitFor(4);
      const firstProbe = fake.calls.find((c) => c.what === 'probe')!;
      expect(firstProbe.at - t0).toBeGreaterThanOrEqual(29);
      // Streaming at 30 ms, seen by a look 20 ms apart, FTS's 50 ms, the catalog read: about 100 ms; before, 200 or more.
      expect(Date.now() - t0).toBeLessThan(180);
    });
  });

  // Review of the above: a round's "a mirror is caught up" outlived its waiter, and asked FTS about the next mirror
  // to start waiting before its first look.
  it('asks FTS nothing about a mirror that does not stream yet, though the mirror before it had caught up', async () => {
    fake.caughtUp = true;
    await withWatcher({ idleMs: 2_000, intervalMs: 200 }, async (waitFor) => {
      await waitFor(4);
      fake.mirror = { status: 'u', mode: 'n' };
      fake.caughtUp = false;
      await new Promise((r) => setTimeout(r, 250));
      const t0 = Date.now();
      setTimeout(() => { fake.caughtUp = true; }, 100);
      await waitFor(4);
      expect(fake.calls.filter((c) => c.what === 'probe' && c.at >= t0).map((c) => c.at - t0)[0]).toBeGreaterThanOrEqual(99);
    });
  });

  it('asks FTS about a new mirror after the wall clock stepped back (NTP, a resumed VM)', async () => {
    const watcher = new SyncWatcher(context, { idleMs: 300 });
    const realNow = Date.now.bind(Date);
    try {
      fake.mirror = { status: 'u', mode: 's' };
      await watcher.wait(4, () => undefined, new AbortController().signal);
      // The clock goes back 10 s; this mirror is marked in sync only by the probe its wait asks for.
      vi.spyOn(Date, 'now').mockImplementation(() => realNow() - 10_000);
      fake.mirror = { status: 'u', mode: 'n' };
      fake.caughtUp = true;
      await new Promise((r) => setTimeout(r, 110));
      const t0 = performance.now();
      await watcher.wait(4, () => undefined, new AbortController().signal);
      // Before: the gap after FTS's last answer was taken on the wall clock, and held every probe back for 10 s.
      expect(performance.now() - t0).toBeLessThan(1_000);
    } finally {
      vi.restoreAllMocks();
      await watcher.close();
    }
  });

  it('looks at a mirror that starts waiting while the watcher is closing its sessions after the last waiter', async () => {
    fake.mirror = { status: 'u', mode: 's' };
    fake.endMs = 300;
    await withWatcher({ idleMs: 20, intervalMs: 200 }, async (waitFor) => {
      await waitFor(4);
      // No waiter: two pauses of one interval (200 ms; idle is only noticed after the first), the loop's end, then
      // 300 ms ending the coordinator session. This waiter comes in during that.
      await new Promise((r) => setTimeout(r, 550));
      expect(fake.ending).toBe(1);
      const later = waitFor(4);
      const outcome = await Promise.race([later.then(() => 'looked at'), new Promise((r) => setTimeout(() => r('stranded'), 3_000))]);
      expect(outcome).toBe('looked at');
    });
  });

  it('asks FTS no sooner than 90 ms after its last answer, however many mirrors start waiting or catch up', async () => {
    fake.caughtUp = true;
    fake.ftsFrozen = true;
    const watcher = new SyncWatcher(context, { idleMs: 300 });
    const aborts: AbortController[] = [];
    try {
      // A mirror every 30 ms for 600 ms, each caught up at its first look and never marked in sync (FTS frozen).
      fake.moreMirrors = Array.from({ length: 20 }, (_, i) => 100 + i);
      for (let i = 0; i < 20; i++) {
        const ac = new AbortController();
        aborts.push(ac);
        watcher.wait(100 + i, () => undefined, ac.signal).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 30));
      }
      const probes = fake.calls.filter((c) => c.what === 'probe').map((c) => c.at);
      expect(probes.length).toBeGreaterThan(2);
      const gaps = probes.slice(1).map((at, i) => at - probes[i]);
      // Before: a new mirror's probe and its catch-up's followed each other in one round, 0-2 ms apart.
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(85);
    } finally {
      for (const ac of aborts) ac.abort();
      await watcher.close();
    }
  });
});
