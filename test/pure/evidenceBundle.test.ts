// The evidence bundle's step runs again after a crash of its worker: as a local activity (PATCHES.shortStepsLocal) it
// is then scheduled anew, under another time, so its name's stamp differs. The bundle of that dbid and run is kept,
// not a second one made.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterContext } from '../../cluster/context';
import { LocalExecutor } from '../../cluster/exec/local';
import { evidenceName, keepEvidence } from '../../cluster/segment/evidence';
import type { SegmentPlan } from '../../domain/recovery';
import { fakeSegments } from '../../testkit/fakeCluster';

const RUN = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

describe('the evidence bundle of a full recovery in place', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('a retry scheduled at another time finds the bundle of its dbid and run and keeps it; another run gets its own', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-evidence-'));
    const datadir = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-evidence-data-'));
    dirs.push(root, datadir);
    fs.writeFileSync(path.join(datadir, 'PG_VERSION'), '15\n');
    const [failed] = fakeSegments({ contents: 1, perHost: 1, down: [] }).filter((s) => s.role === 'm');
    const item: SegmentPlan = { content: failed.content, dbid: failed.dbid, type: 'full', failed, source: failed, target: { ...failed, datadir }, moved: false };
    const ctx = { cfg: { evidenceDirectory: root }, bin: '/nonexistent', host: () => new LocalExecutor('sdw1') } as unknown as ClusterContext;

    const first = await keepEvidence(ctx, item, evidenceName(item.dbid, new Date('2026-12-02T10:00:00Z'), RUN));
    const again = await keepEvidence(ctx, item, evidenceName(item.dbid, new Date('2026-12-02T10:00:13Z'), RUN));
    expect(first).toMatchObject({ kept: true });
    expect(again.directory).toBe(first.directory);
    const other = await keepEvidence(ctx, item, evidenceName(item.dbid, new Date('2026-12-02T10:00:13Z'), RUN.replace(/^0f/, '1f')));
    expect(other.directory).not.toBe(first.directory);
    // Every limit reaches the script: the listing is cut at its 512 KiB, not at a few bytes.
    expect(fs.readFileSync(path.join(first.directory!, 'listing.txt'), 'utf8')).toContain('PG_VERSION');
    expect(fs.readdirSync(root).sort()).toEqual([path.basename(first.directory!), path.basename(other.directory!)].sort());
  });
});
