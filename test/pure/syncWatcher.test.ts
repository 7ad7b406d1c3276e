// When the sync watcher (cluster/sync.ts) looks, against a scripted coordinator and primary: the catalog and FTS
// of a real cluster are in test/cluster/syncWatch.test.ts; here only the order and timing of the rounds.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClusterContext } from '../../cluster/context';
import { SyncWatcher } from '../../cluster/sync';
import type { SegmentRow } from '../../domain/segment';

const fake = vi.hoisted(() => ({
  /** What the catalog says of the mirror; FTS marks it in sync when asked once the primary says it caught up. */
  mirror: { status: 'u', mode: 'n' } as { status: string; mode: string },
  caughtUp: false,
  /** The mirror has reported replaying what it flushed (a walreceiver reports replay on its next status message). */
  replayReported: true,
  /** Every call, in order, with its time. */
  calls: [] as Array<{ what: 'probe' | 'catalog' | 'lag'; at: number }>,
}));

vi.mock('../../cluster/catalog', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../cluster/catalog')>()),
  coordinatorClient: () => ({ on() {}, async connect() {}, async end() {} }),
  requestFtsProbe: async () => {
    fake.calls.push({ what: 'probe', at: Date.now() });
    if (fake.caughtUp) fake.mirror = { status: 'u', mode: 's' };
  },
  readSegments: async (): Promise<SegmentRow[]> => {
    fake.calls.push({ what: 'catalog', at: Date.now() });
    const common = { content: 0, port: 6000, hostname: 'sdw1', address: 'sdw1', datadir: '/d' };
    return [
      { ...common, dbid: 2, role: 'p', preferredRole: 'p', status: 'u', mode: fake.mirror.mode as 's' | 'n' },
      { ...common, dbid: 4, role: 'm', preferredRole: 'm', status: fake.mirror.status as 'u' | 'd', mode: fake.mirror.mode as 's' | 'n' },
    ];
  },
}));

vi.mock('../../cluster/segment/sql', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../cluster/segment/sql')>()),
  segmentClient: () => ({
    on() {}, async connect() {}, async end() {},
    async query() {
      fake.calls.push({ what: 'lag', at: Date.now() });
      const behind = fake.caughtUp && fake.replayReported ? '0' : fake.replayReported ? '8192' : null;
      return { rows: [{ state: 'streaming', behind, unflushed: fake.caughtUp ? '0' : '8192' }] };
    },
  }),
}));

const context = async () => ({ cfg: {} }) as unknown as ClusterContext;

afterEach(() => {
  fake.mirror = { status: 'u', mode: 'n' };
  fake.caughtUp = false;
  fake.replayReported = true;
  fake.calls.length = 0;
});

describe('the sync watcher\'s rounds', () => {
  it('asks FTS in the round that saw the mirror caught up, and reads the catalog after it, not a round later', async () => {
    const watcher = new SyncWatcher(context, { idleMs: 300 });
    try {
      setTimeout(() => { fake.caughtUp = true; }, 150);
      const state = await watcher.wait(4, () => undefined, new AbortController().signal);
      expect(state).toMatchObject({ status: 'u', mode: 's' });
      const sawCaughtUp = [...fake.calls].reverse().find((c) => c.what === 'lag')!;
      const lastRead = fake.calls.at(-1)!;
      expect(lastRead.what).toBe('catalog');
      // Before: the round after the one that saw it came the minimum gap (200 ms) later.
      expect(lastRead.at - sawCaughtUp.at).toBeLessThan(60);
      expect(fake.calls.slice(fake.calls.indexOf(sawCaughtUp) + 1).map((c) => c.what)).toEqual(['probe', 'catalog']);
    } finally {
      await watcher.close();
    }
  });

  it('asks FTS once the mirror streams with all WAL flushed, before it has said how far it replayed', async () => {
    fake.replayReported = false;
    setTimeout(() => { fake.caughtUp = true; }, 150);
    const watcher = new SyncWatcher(context, { idleMs: 300 });
    try {
      const t0 = Date.now();
      await watcher.wait(4, () => undefined, new AbortController().signal);
      // Before: caught up meant nothing left to replay, unknown until the mirror's next status message (10 s here,
      // where the watcher's own probe every ten seconds ended the wait).
      expect(Date.now() - t0).toBeLessThan(1_000);
    } finally {
      await watcher.close();
    }
  });

  it('looks at once at a mirror that starts waiting when no round has run for the minimum gap', async () => {
    fake.mirror = { status: 'u', mode: 's' };
    const watcher = new SyncWatcher(context, { idleMs: 300 });
    try {
      await watcher.wait(4, () => undefined, new AbortController().signal);
      // The loop lives on between waits; its pause after a round must not keep a new waiter waiting.
      await new Promise((r) => setTimeout(r, 130));
      const t0 = Date.now();
      await watcher.wait(4, () => undefined, new AbortController().signal);
      // Before: the first 200 ms after a round could not be cut short, so this took 70 ms or more.
      expect(Date.now() - t0).toBeLessThan(40);
    } finally {
      await watcher.close();
    }
  });
});
