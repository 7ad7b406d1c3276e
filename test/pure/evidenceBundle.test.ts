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

  // The script was cut from 36 processes to 24 (one find and one cp for the settings files, no pipeline for the
  // timelines): what a bundle holds is the same.
  it('holds each settings file whole up to 256 KiB and cut there above, links followed; the 8 newest logs; the last 32 timelines', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-evidence-'));
    const datadir = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-evidence-data-'));
    dirs.push(root, datadir);
    fs.writeFileSync(path.join(datadir, 'PG_VERSION'), '15\n');
    fs.writeFileSync(path.join(datadir, 'postgresql.conf'), 'port = 6000\n');
    fs.writeFileSync(path.join(datadir, 'backup_label'), 'b'.repeat(300 << 10));
    fs.writeFileSync(path.join(datadir, 'hba.elsewhere'), 'host all all 10.0.0.0/8 trust\n');
    fs.symlinkSync(path.join(datadir, 'hba.elsewhere'), path.join(datadir, 'pg_hba.conf'));
    fs.writeFileSync(path.join(datadir, 'not-a-setting.conf'), 'x\n');
    fs.mkdirSync(path.join(datadir, 'log'));
    for (let i = 0; i < 10; i++) {
      const f = path.join(datadir, 'log', `gpdb-${i}.csv`);
      fs.writeFileSync(f, `log ${i}\n`);
      fs.utimesSync(f, 1_700_000_000 + i, 1_700_000_000 + i);
    }
    fs.mkdirSync(path.join(datadir, 'pg_wal'));
    for (let i = 1; i <= 34; i++) fs.writeFileSync(path.join(datadir, 'pg_wal', `${i.toString(16).toUpperCase().padStart(8, '0')}.history`), `${i}\n`);
    // Review: a dangling link sorting first made the new script keep no timeline at all.
    fs.symlinkSync(path.join(datadir, 'gone'), path.join(datadir, 'pg_wal', '00000000.history'));
    const [failed] = fakeSegments({ contents: 1, perHost: 1, down: [] }).filter((s) => s.role === 'm');
    const item: SegmentPlan = { content: failed.content, dbid: failed.dbid, type: 'full', failed, source: failed, target: { ...failed, datadir }, moved: false };
    const ctx = { cfg: { evidenceDirectory: root }, bin: '/nonexistent', host: () => new LocalExecutor('sdw1') } as unknown as ClusterContext;

    const kept = await keepEvidence(ctx, item, evidenceName(item.dbid, new Date('2026-12-02T10:00:00Z'), RUN));
    const dir = kept.directory!;
    expect(fs.readdirSync(path.join(dir, 'conf')).sort()).toEqual(['PG_VERSION', 'backup_label', 'pg_hba.conf', 'postgresql.conf']);
    expect(fs.statSync(path.join(dir, 'conf', 'backup_label')).size).toBe(256 << 10);
    expect(fs.readFileSync(path.join(dir, 'conf', 'pg_hba.conf'), 'utf8')).toBe('host all all 10.0.0.0/8 trust\n');
    expect(fs.readdirSync(path.join(dir, 'log')).sort()).toEqual([2, 3, 4, 5, 6, 7, 8, 9].map((i) => `gpdb-${i}.csv`));
    const timelines = fs.readdirSync(path.join(dir, 'timelines')).sort();
    expect(timelines).toHaveLength(32);
    expect(timelines[0]).toBe('00000003.history');
    expect(fs.readFileSync(path.join(dir, 'README'), 'utf8')).toMatch(new RegExp(`^host: ${os.hostname()}$`, 'm'));
    expect(kept.kilobytes).toBeGreaterThan(256);
    expect(kept.files).toEqual(expect.arrayContaining(['README', 'listing.txt', 'conf/backup_label', 'timelines/00000022.history']));
  });
});
