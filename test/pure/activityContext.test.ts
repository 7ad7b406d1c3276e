// The worker's cluster contexts (activities/context.ts): when a context, its SSH connections and kept sessions, is
// made anew and when it is kept.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActivityContext, FLAVOR_TTL_MS } from '../../activities/context';
import type { ClusterContext } from '../../cluster/context';
import type { FlavorSummary } from '../../domain/flavor';

const fake = vi.hoisted(() => ({
  summary: { name: 'gp7', title: 'Greenplum 7.1.0', differential: true } as FlavorSummary,
  detections: 0,
  /** The coordinator does not answer the detection's version(). */
  down: false,
}));

vi.mock('../../cluster/flavor/resolve', () => ({
  resolveFlavor: async () => {
    fake.detections += 1;
    if (fake.down) throw new Error('coordinator down');
    return { ...fake.summary };
  },
}));

const coordinator = { host: 'cdw', port: 5432, user: 'gpadmin', database: 'postgres' };

function clustersFile(gpHome = '/usr/local/greenplum-db'): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-actx-')), 'clusters.json');
  fs.writeFileSync(file, JSON.stringify({ clusters: { prod: { coordinator, gpHome } } }));
  return file;
}

/** A worker's contexts for the test's body, closed after it: its first context of 'prod', and a minute passing. */
async function withContexts(file: string, body: (actx: ActivityContext, first: ClusterContext, aMinuteLater: () => void) => Promise<void>) {
  vi.useFakeTimers({ toFake: ['Date'] });
  const actx = new ActivityContext(file);
  try {
    await body(actx, await actx.cluster('prod'), () => vi.setSystemTime(Date.now() + FLAVOR_TTL_MS + 1));
  } finally {
    await actx.close();
  }
}

afterEach(() => {
  vi.useRealTimers();
  fake.summary = { name: 'gp7', title: 'Greenplum 7.1.0', differential: true };
  fake.detections = 0;
  fake.down = false;
});

describe('the worker\'s cluster contexts', () => {
  // Before, a context was made anew whenever the flavour was a minute old, and the old one, its SSH connections and
  // coordinator sessions open, was kept until the worker stopped: one more every minute of work, and every host
  // logged in to again (60-100 ms a command in the benchmark's rounds a minute apart).
  it('keeps the context, and its connections, when the flavour detected again a minute later is the same', async () => {
    await withContexts(clustersFile(), async (actx, first, aMinuteLater) => {
      aMinuteLater();
      const again = await actx.cluster('prod');
      expect(fake.detections).toBe(2);
      expect(again).toBe(first);
      expect(actx.retiredCount).toBe(0);
      expect(await actx.cluster('prod')).toBe(first);
      expect(fake.detections).toBe(2);
    });
  });

  it('detects the flavour once for calls that come together, and keeps the context through a detection that failed', async () => {
    await withContexts(clustersFile(), async (actx, first, aMinuteLater) => {
      aMinuteLater();
      const together = await Promise.all([actx.cluster('prod'), actx.cluster('prod'), actx.cluster('prod')]);
      expect(fake.detections).toBe(2);
      expect(together.every((c) => c === first)).toBe(true);
      aMinuteLater();
      fake.down = true;
      await expect(actx.cluster('prod')).rejects.toThrow(/coordinator down/);
      // Review: the context was kept among the retired, connections open, and the next call made another.
      expect(actx.retiredCount).toBe(0);
      fake.down = false;
      expect(await actx.cluster('prod')).toBe(first);
      expect(fake.detections).toBe(4);
    });
  });

  it('makes a new context when the flavour changed (a cluster upgraded under the worker) or the configuration did', async () => {
    const file = clustersFile();
    await withContexts(file, async (actx, first, aMinuteLater) => {
      fake.summary = { name: 'gp7', title: 'Greenplum 7.2.0', differential: true };
      aMinuteLater();
      const upgraded = await actx.cluster('prod');
      expect(upgraded).not.toBe(first);
      expect(upgraded.summary.title).toBe('Greenplum 7.2.0');
      // Activities started before may still use the old one's executors.
      expect(actx.retiredCount).toBe(1);
      fs.writeFileSync(file, JSON.stringify({ clusters: { prod: { coordinator, gpHome: '/opt/greenplum-db' } } }));
      const edited = await actx.cluster('prod');
      expect(edited).not.toBe(upgraded);
      expect(edited.bin).toMatch(/^\/opt\/greenplum-db/);
      expect(actx.retiredCount).toBe(2);
    });
  });
});
