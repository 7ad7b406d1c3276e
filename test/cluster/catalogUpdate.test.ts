import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSegments } from '../../cluster/catalog';
import { applyRecoveryCatalogUpdate, backOutRecoveryCatalogUpdate } from '../../cluster/catalogUpdate';
import type { DemoCluster } from '../../demo';
import { byDbid, createTestCluster } from '../helpers/demo';

describe('catalog update and back-out on a real coordinator', () => {
  let cluster: DemoCluster;

  beforeAll(async () => {
    ({ cluster } = await createTestCluster('catalog', '127.0.121', { ftsIntervalSec: 60 }));
    await cluster.kill(6);
    await cluster.requestProbe();
    await cluster.waitFor((rows) => byDbid(rows, 6).status === 'd', 30_000, 'dbid 6 down');
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  it('a move keeps the dbid, writes history once even when retried, and backs out to the old location', async () => {
    const before = byDbid(await cluster.segments(), 6);
    const target = { hostname: before.hostname, address: before.address, port: before.port + 500, datadir: `${before.datadir}-moved` };
    const change = { dbid: 6, content: before.content, type: 'full' as const, target, moved: true, runTag: 'run test/1' };
    const first = await cluster.coordinator((c) => applyRecoveryCatalogUpdate(c, change));
    const again = await cluster.coordinator((c) => applyRecoveryCatalogUpdate(c, change));
    expect(first.rewritten).toBe(true);
    expect(again.rewritten).toBe(false);
    expect(byDbid(await cluster.segments(), 6)).toMatchObject({ ...target, dbid: 6, role: 'm', preferredRole: before.preferredRole, status: 'd', mode: 'n' });
    const moves = (await cluster.history(100)).filter((h) => h.desc.includes('moves it to') && h.desc.includes('run test/1'));
    expect(moves).toHaveLength(1);

    expect(await cluster.coordinator((c) => backOutRecoveryCatalogUpdate(c, before, 'run test/1', 'copy failed'))).toBe(true);
    expect(await cluster.coordinator((c) => backOutRecoveryCatalogUpdate(c, before, 'run test/1', 'copy failed'))).toBe(false);
    expect(byDbid(await cluster.coordinator(readSegments), 6)).toEqual(before);
    expect((await cluster.history(100)).filter((h) => h.desc.startsWith('gprecover: backed out') && h.dbid === 6)).toHaveLength(1);
  });

  it('refuses to rewrite a segment the catalog marks up', async () => {
    const up = byDbid(await cluster.segments(), 7);
    const change = { dbid: 7, content: up.content, type: 'full' as const, target: { ...up, port: up.port + 1 }, moved: true, runTag: 'run test/2' };
    await expect(cluster.coordinator((c) => applyRecoveryCatalogUpdate(c, change))).rejects.toThrow(/dbid 7 is marked up in the catalog; refusing to change it/);
    expect(byDbid(await cluster.segments(), 7)).toEqual(up);
  });
});
