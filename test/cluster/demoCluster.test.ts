import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SegmentRow } from '../../domain/segment';
import { loadClusterConfig, readClustersFile } from '../../cluster/config';
import { DemoCluster } from '../../demo';

// Own loopback prefix and clusters file: other test files may run their own demo clusters at the same time.
const IP_PREFIX = '127.0.31';

function pgrep(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

const row = (rows: SegmentRow[], dbid: number) => rows.find((r) => r.dbid === dbid)!;
const state = (rows: SegmentRow[], dbid: number) => {
  const r = row(rows, dbid);
  return `${r.role}${r.status}${r.mode}`;
};

describe('demo cluster with FTS (real PostgreSQL 15)', () => {
  let tmp: string;
  let rootDir: string;
  let clustersFile: string;
  let cluster: DemoCluster;
  let startupMs: number;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-demo-'));
    // The instances run as the cluster's OS user, which must be able to enter the temp directory.
    fs.chmodSync(tmp, 0o755);
    rootDir = path.join(tmp, 'root');
    clustersFile = path.join(tmp, 'clusters.json');
    const began = Date.now();
    cluster = await DemoCluster.create({ name: 'demotest', rootDir, ipPrefix: IP_PREFIX, clustersFile });
    startupMs = Date.now() - began;
    console.log(`demo cluster (coordinator + 4 primaries + 4 mirrors + prober) up in ${(startupMs / 1000).toFixed(1)} s`);
  });

  afterAll(async () => {
    if (cluster && DemoCluster.exists(rootDir)) await cluster.destroy().catch((err) => console.error(err));
    for (const line of pgrep(rootDir)) {
      const pid = Number(line.split(' ')[0]);
      if (pid !== process.pid) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('comes up in under 30 s, all segments up and in sync, registered in the clusters file', async () => {
    expect(startupMs).toBeLessThan(30_000);
    const rows = await cluster.segments();
    expect(rows).toHaveLength(9);
    expect(rows.every((r) => r.status === 'u')).toBe(true);
    expect(rows.filter((r) => r.content >= 0).every((r) => r.mode === 's' && r.role === r.preferredRole)).toBe(true);
    // The catalog's address column holds host names, as gpinitsystem writes it; /etc/hosts resolves them.
    expect(row(rows, 2)).toMatchObject({ content: 0, role: 'p', hostname: 'sdw1', address: 'demotest-sdw1', port: 16000 });
    expect(row(rows, 6)).toMatchObject({ content: 0, role: 'm', hostname: 'sdw2', address: 'demotest-sdw2', port: 17000 });
    expect(cluster.hostIps('sdw2')).toEqual([`${IP_PREFIX}.3`, `127.128.${IP_PREFIX.split('.')[2]}.3`]);
    const cfg = loadClusterConfig('demotest', clustersFile);
    expect(cfg.coordinator).toMatchObject({ host: 'demotest-cdw', port: 15432 });
    expect(cfg.hosts?.sdw2).toEqual({ address: 'demotest-sdw2', executor: 'local' });
    expect(cluster.proberPid()).toBeGreaterThan(0);
    const status = await cluster.status();
    expect(status.filter((r) => r.role === 'm').map((r) => r.walBytesBehind)).toEqual([0, 0, 0, 0]);
  });

  it('mirrors hold exactly the rows of their primaries', async () => {
    await cluster.loadData(3000);
    const counts = await cluster.loadData(2000);
    expect(counts).toEqual({ 0: 5000, 1: 5000, 2: 5000, 3: 5000 });
    await cluster.waitForMirrorsCaughtUp(15_000);
    const sums = await cluster.checksums();
    expect(new Set(Object.values(sums)).size).toBe(4);
    const rows = await cluster.segments();
    for (const c of [0, 1, 2, 3]) {
      const mirror = rows.find((r) => r.content === c && r.role === 'm')!;
      expect(await cluster.checksumOn(mirror.dbid)).toBe(sums[c]);
    }
  });

  it('answers gp_request_fts_probe_scan with a fresh cycle, well before the next periodic one', async () => {
    const began = Date.now();
    for (let i = 0; i < 5; i++) await cluster.requestProbe(10_000);
    const ms = Date.now() - began;
    console.log(`5 probe requests answered in ${ms} ms (interval ${cluster.layout.ftsIntervalSec} s)`);
    // A prober deaf to requests would need about one interval (2 s) for each of them.
    expect(ms).toBeLessThan(4_000);
  });

  /** The median time of 15 probe requests made at random gaps, logged with all of them (how soon the prober takes a
   *  request up is test/pure/ftsProberRequests.test.ts). */
  async function probeRequestMedianMs(what: string): Promise<number> {
    const ms: number[] = [];
    await cluster.coordinator(async (client) => {
      for (let i = 0; i < 15; i++) {
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 150));
        const t0 = performance.now();
        await client.query('SELECT gp_request_fts_probe_scan()');
        ms.push(performance.now() - t0);
      }
    });
    ms.sort((a, b) => a - b);
    console.log(`probe requests ${what} answered in ${ms.map((m) => m.toFixed(0)).join(' ')} ms`);
    return ms[7];
  }

  it('fails a killed primary over to its mirror without losing committed rows', async () => {
    const before = (await cluster.checksums())[0];
    const began = Date.now();
    await cluster.kill(2, 'kill9');
    const rows = await cluster.waitFor((r) => state(r, 6) === 'pun' && state(r, 2) === 'mdn', 15_000, 'failover of content 0');
    console.log(`failover of content 0 seen in the catalog after ${Date.now() - began} ms`);
    expect(row(rows, 6).preferredRole).toBe('m');
    expect((await cluster.checksums())[0]).toBe(before);
    // The promoted mirror takes writes: FTS switched synchronous replication off on it.
    expect((await cluster.loadData(10))[0]).toBe(5010);
    const history = (await cluster.history()).map((h) => `${h.dbid} ${h.desc}`);
    expect(history).toContainEqual(expect.stringMatching(/^2 FTS: content 0 fault marking status down dbid 2\b/));
    expect(history).toContain('6 FTS: content 0 promoted mirror dbid 6 to primary');
  });

  it('marks a stopped mirror down and its pair unsynchronized, and writes go on', async () => {
    await cluster.kill(8, 'immediate');
    const rows = await cluster.waitFor((r) => state(r, 8) === 'mdn' && state(r, 4) === 'pun', 15_000, 'mirror dbid 8 down');
    expect(row(rows, 6).role).toBe('p');
    expect((await cluster.loadData(10))[2]).toBe(5020);
    const history = (await cluster.history()).map((h) => `${h.dbid} ${h.desc}`);
    expect(history).toContainEqual(expect.stringMatching(/^8 FTS: content 2 fault marking status down dbid 8 \(mirror unreachable/));
  });

  it('answers a probe request as quickly while a mirror is down (being rebuilt, say)', async () => {
    // Greenplum's FTS probes primaries only. The demo's, which also reads a down mirror's identity, tried it three
    // times 150 ms apart in every cycle: each request then took 300 ms more while any mirror was down (350 ms in
    // all, where an answer comes at 50 or 100 ms otherwise: gp_request_fts_probe_scan looks every 50 ms).
    expect(state(await cluster.segments(), 8)).toBe('mdn');
    expect(await probeRequestMedianMs('with dbid 8 down')).toBeLessThan(200);
  });

  it('marks the mirror up once it streams again, and in sync once caught up', async () => {
    const rows = await cluster.segments();
    const m = row(rows, 8);
    await cluster.startInstance(m.dbid);
    await cluster.waitFor((r) => state(r, 8) === 'mus' && state(r, 4) === 'pus', 20_000, 'mirror dbid 8 back in sync');
    await cluster.waitForMirrorsCaughtUp(15_000);
    expect(await cluster.checksumOn(8)).toBe((await cluster.checksums())[2]);
  });

  it('never marks up a mirror that carries another dbid: its primary\'s gp_dbid, or a tablespace linked into another dbid\'s directory', async () => {
    const m = row(await cluster.segments(), 8);
    const exec = cluster.executor(m.hostname);
    const [{ oid }] = await cluster.query<{ oid: string }>(8, `SELECT oid::text FROM pg_tablespace WHERE spcname = 'demo_ts'`);
    const own = path.join(cluster.layout.tablespaceLocation!, '8');
    const restart = async () => {
      await cluster.kill(8, 'immediate');
      await cluster.waitFor((r) => state(r, 8) === 'mdn', 15_000, 'mirror dbid 8 down');
    };
    const refusedTwice = async (why: RegExp) => {
      await cluster.startInstance(8);
      await cluster.requestProbe(10_000);
      await cluster.requestProbe(10_000);
      expect(state(await cluster.segments(), 8)).toBe('mdn');
      const refusals = (await cluster.history()).filter((h) => h.dbid === 8 && why.test(h.desc));
      expect(refusals, 'one history row, however many probes').toHaveLength(1);
    };

    // What a differential recovery that kept the primary's internal.auto.conf leaves behind.
    await restart();
    await exec.run(['sh', '-c', 'echo gp_dbid=4 > "$1/internal.auto.conf"', 'sh', m.datadir]);
    await refusedTwice(/^FTS: content 2 mirror dbid 8 carries gp_dbid=4 in internal\.auto\.conf, not its own dbid 8; not marking it up$/);

    // What a copy that kept its source's tablespace link leaves behind (here a copy of its own files elsewhere,
    // so that nothing writes into a directory that is in use).
    await restart();
    await exec.run(['sh', '-c', 'echo gp_dbid=8 > "$1/internal.auto.conf" && cp -a "$2" "$3" && ln -sfn "$3" "$1/pg_tblspc/$4"', 'sh', m.datadir, own, `${own}9`, oid]);
    await refusedTwice(new RegExp(`^FTS: content 2 mirror dbid 8 has a tablespace linked to ${own}9, not to a directory of its own dbid 8; not marking it up$`));

    await restart();
    await exec.run(['sh', '-c', 'ln -sfn "$2" "$1/pg_tblspc/$3" && rm -rf "$4"', 'sh', m.datadir, own, oid, `${own}9`]);
    await cluster.startInstance(8);
    await cluster.waitFor((r) => state(r, 8) === 'mus', 20_000, 'mirror dbid 8 back up with its own identity');
  });

  it('records a double fault once and changes nothing else', async () => {
    await cluster.kill(9, 'immediate');
    await cluster.waitFor((r) => state(r, 9) === 'mdn', 15_000, 'mirror dbid 9 down');
    await cluster.kill(5, 'kill9');
    await cluster.requestProbe(10_000);
    await cluster.requestProbe(10_000);
    const rows = await cluster.segments();
    expect(state(rows, 5)).toBe('pun');
    expect(state(rows, 9)).toBe('mdn');
    const doubles = (await cluster.history()).filter((h) => /content 3 double fault/.test(h.desc));
    expect(doubles).toHaveLength(1);
    expect(doubles[0].dbid).toBe(5);
  });

  it('stops and starts like gpstop/gpstart, leaving segments marked down alone', async () => {
    await cluster.stop();
    expect(cluster.proberPid()).toBeUndefined();
    expect(pgrep(`postgres -D ${rootDir}`)).toEqual([]);
    const report = await cluster.start();
    expect(report.leftDown.sort()).toEqual([2, 9]);
    expect(report.failed).toEqual([]);
    const rows = await cluster.requestProbe(10_000).then(() => cluster.segments());
    // dbid 5 was dead while the catalog held it up; gpstart starts it again, and its mirror stays down.
    expect(state(rows, 5)).toBe('pun');
    expect(state(rows, 6)).toBe('pun');
    expect(state(rows, 8)).toBe('mus');
  });

  it('destroy leaves no process, no directory and no registration behind', async () => {
    await cluster.destroy();
    expect(pgrep(rootDir)).toEqual([]);
    expect(fs.existsSync(rootDir)).toBe(false);
    expect(readClustersFile(clustersFile).clusters.demotest).toBeUndefined();
  });
});
