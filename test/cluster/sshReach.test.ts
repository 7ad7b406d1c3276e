// Issues 21 and 25 on the demo: a recovery reaches over SSH only the hosts gprecoverseg needs, and a host whose sshd
// accepts connections and never answers (stuck at MaxStartups, a host in trouble) costs one bounded wait.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT, readClustersFile, saveClusterConfig } from '../../cluster/config';
import { commandLog, type CommandRecord } from '../../cluster/exec/commandLog';
import type { DemoCluster } from '../../demo';
import { runCli } from '../helpers/cli';
import { byDbid, createTestCluster, healthy, killAndWaitDown } from '../helpers/demo';
import { connectHarness, type RunningWorker, type TemporalHarness } from '../helpers/temporal';

const TASK_QUEUE = 'gp-recovery-reach';
const PREFIX = '127.0.211';

/** The commands docs/ssh-reach.md's table lists for each role of a host. */
function documentedCommands(): Record<'coordinator' | 'target' | 'source', Set<string>> {
  const out = { coordinator: new Set<string>(), target: new Set<string>(), source: new Set<string>() };
  const doc = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'ssh-reach.md'), 'utf8');
  for (const m of doc.matchAll(/^\| (coordinator|target|source) \| `([^`]+)` \|/gm)) out[m[1] as keyof typeof out].add(m[2]);
  return out;
}

describe('SSH only where gprecoverseg needs it', () => {
  let cluster: DemoCluster;
  let clustersFile: string;
  let dir: string;
  let h: TemporalHarness;
  let w: RunningWorker;
  let env: NodeJS.ProcessEnv;
  let stuck: net.Server;
  let saved: string;
  const held: net.Socket[] = [];

  beforeAll(async () => {
    ({ cluster, clustersFile, dir } = await createTestCluster('reach', PREFIX));
    saved = fs.readFileSync(clustersFile, 'utf8');
    // sdw2's sshd: accepts every connection and never says a word.
    stuck = net.createServer((socket) => { held.push(socket); socket.on('error', () => undefined); });
    await new Promise<void>((r) => stuck.listen(0, cluster.hostIps('sdw2')[0], () => r()));
    h = await connectHarness();
    w = await h.startWorker({ clustersFile, taskQueue: TASK_QUEUE });
    env = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), GPRECOVER_TASK_QUEUE: TASK_QUEUE, GPRECOVER_CLUSTER: cluster.name };
    await cluster.loadData(3000);
  });

  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((r) => stuck?.close(r));
    await w?.stop();
    await h?.close();
    await cluster?.destroy();
  });

  const stuckSdw2 = () => {
    const key = path.join(dir, 'id_ed25519');
    fs.writeFileSync(key, utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
    const cfg = readClustersFile(clustersFile).clusters[cluster.name];
    const port = (stuck.address() as net.AddressInfo).port;
    saveClusterConfig({ ...cfg, hosts: { ...cfg.hosts, sdw2: { address: cluster.hostIps('sdw2')[0], executor: 'ssh', ssh: { port, privateKeyPath: key, strictHostKeyChecking: false } } } }, clustersFile);
  };
  const line = (r: { address: string; port: number; datadir: string }) => `${r.address}|${r.port}|${r.datadir}`;

  it('a move onto a host whose sshd never answers is refused within 60 s of planning, nothing changed', async () => {
    stuckSdw2();
    try {
      await killAndWaitDown(cluster, 8);
      const m = byDbid(await cluster.segments(), 8);
      const file = path.join(dir, 'move.conf');
      fs.writeFileSync(file, `${m.hostname}|${line(m)} sdw2|${cluster.layout.hostAddresses.sdw2}|${m.port + 300}|${path.join(cluster.rootDir, 'sdw2', 'moved8')}\n`);
      const before = await cluster.segments();
      const started = Date.now();
      const r = await runCli(['start-recovery', '-i', file, '--wait', '-s'], env, 120_000);
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr.trim()).toMatch(/dbid 8 \(content 2\): host sdw2 \(\S+\) is not reachable: SSH connection to sdw2 .* timed out after 15000 ms/);
      expect(await cluster.segments()).toEqual(before);
    } finally {
      fs.writeFileSync(clustersFile, saved);
    }
  }, 180_000);

  it('its own mirror is skipped with gprecoverseg\'s warning; mirrors elsewhere whose primaries live there are recovered (full and incremental); exit 0 within two minutes', async () => {
    stuckSdw2();
    try {
      await killAndWaitDown(cluster, 6);
      await killAndWaitDown(cluster, 9);
      const rows = await cluster.segments();
      expect([byDbid(rows, 6).hostname, byDbid(rows, 8).hostname, byDbid(rows, 9).hostname]).toEqual(['sdw2', 'sdw1', 'sdw1']);
      const file = path.join(dir, 'mixed.conf');
      fs.writeFileSync(file, [`F|${line(byDbid(rows, 8))}`, `I|${line(byDbid(rows, 9))}`, line(byDbid(rows, 6)), ''].join('\n'));
      const started = Date.now();
      const r = await runCli(['start-recovery', '-i', file, '--wait', '-s'], env, 150_000);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(Date.now() - started).toBeLessThan(120_000);
      expect(r.stdout).toMatch(/dbid 6 +content 0 +skipped: host sdw2 \(\S+\) is not reachable: .*skipping its in-place recovery/);
      expect(r.stdout).toContain('warning: Not updating pg_hba.conf for segments on unreachable hosts: sdw2. You can manually update pg_hba.conf for these segments and retry if recovery fails');
      const after = await cluster.segments();
      expect([byDbid(after, 8), byDbid(after, 9)].map((s) => [s.dbid, s.status, s.mode])).toEqual([[8, 'u', 's'], [9, 'u', 's']]);
      expect(byDbid(after, 6).status).toBe('d');
    } finally {
      fs.writeFileSync(clustersFile, saved);
    }
    const r = await runCli(['start-recovery', '--wait', '-s'], env, 150_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await cluster.waitFor(healthy, 60_000, 'every segment up again');
  }, 300_000);

  it('full, incremental and differential recoveries reach each host only with what docs/ssh-reach.md lists for its role', async () => {
    // dbid 8 lives on sdw1 (the target); its primary, dbid 4, on sdw2 (the source); the coordinator on cdw.
    const documented = documentedCommands();
    const source = byDbid(await cluster.segments(), 4);
    const hbaFile = path.join(source.datadir, 'pg_hba.conf');
    // Without its mirror host's entries, the source's pg_hba.conf is written and reloaded, as gprecoverseg does.
    const sdw1 = cluster.hostIps('sdw1');
    fs.writeFileSync(hbaFile, fs.readFileSync(hbaFile, 'utf8').split('\n').filter((l) => !sdw1.some((ip) => l.includes(` ${ip}/`))).join('\n'));
    const records: CommandRecord[] = [];
    for (const args of [['-F'], [], ['--differential']]) {
      await killAndWaitDown(cluster, 8);
      commandLog.enable();
      try {
        const r = await runCli(['start-recovery', ...args, '--wait', '-s'], env, 150_000);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        // recovery_progress.file is written a second into the copies and removed once the writer hears it is
        // cancelled (its next heartbeat), which may come after the run's end: a run that copies in under a second
        // writes none, and its removal (the same command name) is waited for here.
        const deadline = Date.now() + 10_000;
        while (!commandLog.recorded().some((x) => x.host === 'cdw' && x.what === 'gprecover-progress') && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        records.push(...commandLog.disable());
      }
      await cluster.waitFor(healthy, 60_000, `dbid 8 in sync after start-recovery ${args.join(' ')}`);
    }
    const on = (host: string) => [...new Set(records.filter((x) => x.host === host).map((x) => x.what))].sort();
    for (const [host, role] of [['cdw', 'coordinator'], ['sdw1', 'target'], ['sdw2', 'source']] as const) {
      const undocumented = on(host).filter((c) => !documented[role].has(c));
      expect(undocumented, `${host} (${role}) ran commands docs/ssh-reach.md does not list for a ${role} host`).toEqual([]);
    }
    expect(on('sdw2')).toEqual(['cat', 'gprecover-hba', 'ifaddrs', 'pg_ctl']);
    expect(on('sdw1')).toEqual(expect.arrayContaining(['gprecover-probe', 'gprecover-evidence', 'gprecover-job', 'gprecover-start', 'rsync']));
    expect(on('cdw')).toEqual(expect.arrayContaining(['gprecover-lock-acquire', 'gprecover-lock-release', 'gprecover-progress']));
  }, 400_000);
});
