// How soon the demo's FTS prober (demo/prober.ts) takes up a probe request, against a scripted coordinator: the
// prober's whole answer on a real demo cluster is in test/cluster/demoCluster.test.ts.
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { FtsProber } from '../../demo/prober';

describe('the demo FTS prober and probe requests', () => {
  // Greenplum's FTS is woken by a request at once; a prober that looked for requests every 100 ms made a request
  // wait up to 100 ms before its cycle began.
  it('begins a cycle for a request within a few tens of milliseconds', async () => {
    let requested = 0;
    let stop = false;
    const waits: number[] = [];
    let askedAt = 0;
    const coordinator = {
      on() {},
      async end() {},
      async query(text: string) {
        if (text.includes('gp_fts_probe_requested')) return { rows: [{ last_value: String(requested), is_called: requested > 0 }] };
        return { rows: [] };
      },
    } as unknown as pg.Client;
    const prober = new FtsProber({
      coordinator: { address: '127.0.0.1', port: 1 }, login: { user: 'x' }, intervalMs: 60_000, log: () => undefined, shouldStop: () => stop,
    });
    Object.assign(prober, {
      coordinator: async () => coordinator,
      cycle: async (_c: pg.Client, ticket: number) => { if (ticket > 0) waits.push(Date.now() - askedAt); },
    });
    const running = prober.run();
    try {
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 150));
        askedAt = Date.now();
        requested += 1;
        const before = waits.length;
        while (waits.length === before) {
          if (Date.now() - askedAt > 1_000) throw new Error(`request ${requested}: no cycle began within a second`);
          await new Promise((r) => setTimeout(r, 2));
        }
      }
    } finally {
      stop = true;
      await running;
    }
    console.log(`cycles began ${waits.join(' ')} ms after their requests`);
    // Before: uniform over 0-100 ms, so about 11 of 20 at 45 ms or more (9 of 12 in one run).
    expect(waits.filter((ms) => ms >= 45).length).toBeLessThanOrEqual(5);
  });
});
