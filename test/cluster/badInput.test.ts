import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readClustersFile, saveClusterConfig } from '../../cluster/config';
import type { DemoCluster } from '../../demo';
import { byDbid, createTestCluster } from '../helpers/demo';
import { runCli, type CliResult } from '../helpers/cli';
import { connectHarness, type RunningWorker, type TemporalHarness } from '../helpers/temporal';

const TASK_QUEUE = 'gp-recovery-badinput';

/** Exit 2, and the whole message on one line of stderr: no stack trace. */
function expectRefused(r: CliResult, reason: RegExp) {
  expect({ code: r.code, stderr: r.stderr.trim() }).toMatchObject({ code: 2, stderr: expect.stringMatching(reason) });
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('bad input: one clear line, exit 2, nothing changed', () => {
  let cluster: DemoCluster;
  let clustersFile: string;
  let dir: string;
  let h: TemporalHarness;
  let w: RunningWorker;
  let env: NodeJS.ProcessEnv;
  let snapshot: () => Promise<string>;

  beforeAll(async () => {
    ({ cluster, clustersFile, dir } = await createTestCluster('bad', '127.0.71'));
    h = await connectHarness();
    w = await h.startWorker({ clustersFile, taskQueue: TASK_QUEUE });
    env = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), GPRECOVER_TASK_QUEUE: TASK_QUEUE, GPRECOVER_CLUSTER: cluster.name };
    snapshot = async () => JSON.stringify([await cluster.segments(), (await cluster.history(1000)).length]);
  });

  afterAll(async () => {
    await w?.stop();
    await h?.close();
    await cluster?.destroy();
  });

  const file = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  it.each([
    ['a malformed -i line', ['-i', 'ADDR|7000'], /line 1 of file \S+: expected 3 or 4 parts on failed segment group, obtained 2/],
    ['a -i port that is no port', ['-i', 'ADDR|seven|/data/x'], /Invalid port on line 1/],
    ['-F with --differential', ['-F', '--differential'], /^gprecover start-recovery: Only one of -F and --differential may be specified$/],
    ['a -B that is no number', ['-B', 'many'], /-B must be a whole number from 1 to 1024, not 'many'/],
    ['an unknown option', ['--fast'], /Unknown option '--fast'/],
    ['a missing -i file', ['-i', '/nonexistent/recover.conf'], /cannot read -i file \/nonexistent\/recover.conf: ENOENT/],
  ])('refuses %s before contacting anything', async (_what, args, reason) => {
    const before = await snapshot();
    const resolved = args.map((a) => (a.includes('ADDR') ? file(`bad-${Date.now()}.conf`, a.replace('ADDR', '127.0.71.2')) : a));
    expectRefused(await runCli(['start-recovery', ...resolved], env), reason);
    expect(await snapshot()).toBe(before);
  });

  it('refuses an -i line for a segment the catalog does not have', async () => {
    const before = await snapshot();
    expectRefused(await runCli(['start-recovery', '-i', file('unknown.conf', '127.0.71.9|7000|/data/mirror/gpseg9\n'), '--wait'], env),
      /A segment to recover was not found in configuration\. {2}This segment is described by address\|port\|directory '127\.0\.71\.9\|7000\|\/data\/mirror\/gpseg9' \(line 1, cluster 'bad'\)/);
    expect(await snapshot()).toBe(before);
  });

  it('refuses to recover a segment that is up', async () => {
    const m = byDbid(await cluster.segments(), 6);
    const before = await snapshot();
    expectRefused(await runCli(['start-recovery', '-i', file('up.conf', `${m.address}|${m.port}|${m.datadir}\n`), '--wait'], env), /dbid 6 .* is already up; nothing to recover/);
    expect(await snapshot()).toBe(before);
  });

  it('refuses a move onto a port already in use', async () => {
    const m = byDbid(await cluster.segments(), 6);
    const squatter = net.createServer().listen(19999, m.address);
    await new Promise((r) => squatter.once('listening', r));
    try {
      const before = await snapshot();
      expectRefused(await runCli(['start-recovery', '-i', file('port.conf', `${m.address}|${m.port}|${m.datadir} ${m.address}|19999|${m.datadir}-new\n`), '--wait'], env),
        /port 19999 on host sdw2 is already in use/);
      expect(await snapshot()).toBe(before);
    } finally {
      squatter.close();
    }
  });

  it('refuses a move into a directory that is not empty', async () => {
    const m = byDbid(await cluster.segments(), 6);
    const target = path.join(dir, 'occupied');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'precious.dat'), 'keep me');
    const before = await snapshot();
    expectRefused(await runCli(['start-recovery', '-i', file('full.conf', `${m.address}|${m.port}|${m.datadir} ${m.address}|19998|${target}\n`), '--wait'], env),
      /target directory .*occupied on host sdw2 is not empty/);
    expect(fs.readFileSync(path.join(target, 'precious.dat'), 'utf8')).toBe('keep me');
    expect(await snapshot()).toBe(before);
  });

  it('refuses a move onto a directory the OS user cannot create, before anything changes', async () => {
    const m = byDbid(await cluster.segments(), 6);
    const closed = fs.mkdtempSync(path.join(dir, 'closed-'));
    fs.chmodSync(closed, 0o700); // the test runs as root; the segments' OS user may not enter it
    const before = await snapshot();
    const began = Date.now();
    expectRefused(await runCli(['start-recovery', '-i', file('closed.conf', `${m.address}|${m.port}|${m.datadir} ${m.address}|19997|${closed}/new/gpseg0\n`), '--wait'], env),
      new RegExp(`dbid 6 \\(content 0\\): the OS user cannot create ${closed}/new/gpseg0 on host sdw2 \\(${closed} is not writable for it: permission denied\\)`));
    expect(Date.now() - began).toBeLessThan(30_000);
    expect(await snapshot()).toBe(before);
  });

  it('refuses an unknown cluster', async () => {
    expectRefused(await runCli(['start-recovery', '--cluster', 'nope', '--wait'], env), /unknown cluster 'nope' \(known: bad;/);
  });

  it('refuses when Temporal is unreachable', async () => {
    expectRefused(await runCli(['start-recovery'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' }), /cannot reach Temporal at 127\.0\.0\.1:1/);
  });

  it('refuses when the PostgreSQL binaries are missing on the segment host', async () => {
    await cluster.kill(9);
    await cluster.waitFor((rows) => byDbid(rows, 9).status === 'd', 30_000, 'dbid 9 down');
    saveClusterConfig({ ...readClustersFile(clustersFile).clusters[cluster.name], name: 'nobin', pgBin: '/nonexistent/pg/bin' }, clustersFile);
    const before = await snapshot();
    expectRefused(await runCli(['start-recovery', '--cluster', 'nobin', '--wait'], env), /PostgreSQL binaries missing on host sdw1: no pg_ctl/);
    expect(await snapshot()).toBe(before);
    expectRefused(await runCli(['demo', 'up', '--name', 'x', '--root', path.join(dir, 'x'), '--ip-prefix', '127.0.79'], { ...env, GPRECOVER_PG_BIN: '/nonexistent/pg/bin' }),
      /\/nonexistent\/pg\/bin/);
  });

  it('refuses a double fault (both segments of a pair down)', async () => {
    // dbid 9 (mirror of content 3) is down from the previous test; now its primary dies too.
    await cluster.kill(5);
    // FTS records the double fault once (and changes nothing else); the snapshot starts after that.
    const deadline = Date.now() + 30_000;
    while (!(await cluster.history(50)).some((h) => /content 3 double fault/.test(h.desc)) && Date.now() < deadline) {
      await sleep(200);
    }
    const before = await snapshot();
    const r = await runCli(['start-recovery', '--wait'], env);
    expectRefused(r, /content 3: its acting primary dbid 5 .* is not reachable either, so dbid 9 has nothing to recover from \(double fault\?\)/);
    expect(await snapshot()).toBe(before);
  });
});
