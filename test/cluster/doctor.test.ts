// gprecover doctor on the demo cluster: healthy, then each problem planted (as the facts a real cluster would show),
// found, and taken away again. sdw2 is reached through a real OpenSSH server on its loopback address; cdw and sdw1
// are configured local, so a tool planted on the CLI's PATH stands for what is installed on those hosts only.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readClustersFile, removeClusterConfig, saveClusterConfig, type ClusterConfig } from '../../cluster/config';
import { findPgBin } from '../../cluster/pgBin';
import type { Finding } from '../../domain/doctor';
import type { SegmentRow } from '../../domain/segment';
import type { DemoCluster } from '../../demo';
import { runCli } from '../helpers/cli';
import { byDbid, createTestCluster } from '../helpers/demo';
import { startSshd, type TestSshd } from '../helpers/sshd';
import { connectHarness, type RunningWorker, type TemporalHarness } from '../helpers/temporal';

const PREFIX = '127.0.241';
const TASK_QUEUE = 'gp-recovery-doctor';

/** Every check a healthy Greenplum 7 demo answers, and how often (3 hosts, 2 of them segment hosts, 4 contents). */
const HEALTHY_CHECKS: Record<string, number> = {
  coordinator: 1, ssh: 3, environment: 3, tools: 2, rsync: 2, clock: 3, era: 1, lock: 1, primary: 4, pg_hba: 4, slot: 4, space: 4, temporal: 1, worker: 1,
};

describe('gprecover doctor on a demo cluster', () => {
  let cluster: DemoCluster;
  let clustersFile: string;
  let dir: string;
  let sshd: TestSshd;
  let h: TemporalHarness;
  let w: RunningWorker;
  let env: NodeJS.ProcessEnv;
  let cfg: ClusterConfig;
  const spawned: ChildProcess[] = [];

  const doctor = async (extra: NodeJS.ProcessEnv = {}, args: string[] = []) => {
    const r = await runCli(['doctor', '--json', ...args], { ...env, ...extra });
    expect(r.stderr).toBe('');
    return { code: r.code, findings: JSON.parse(r.stdout) as Finding[] };
  };
  const find = (findings: Finding[], check: Finding['check'], subject: string) => {
    const found = findings.filter((f) => f.check === check && f.subject === subject);
    expect(found, `${check} ${subject} in ${JSON.stringify(findings, null, 1)}`).toHaveLength(1);
    return found[0];
  };
  const notOk = (findings: Finding[]) => findings.filter((f) => f.severity !== 'ok');
  const osUser = () => cluster.config().osUser;
  /** Files the test plants where the cluster's OS user works belong to that user, as they would. */
  const ownByOsUser = (...paths: string[]) => {
    if (process.getuid?.() !== 0 || !osUser() || osUser() === 'root') return;
    const [uid, gid] = execFileSync('getent', ['passwd', osUser()!], { encoding: 'utf8' }).split(':').slice(2, 4).map(Number);
    for (const p of paths) fs.chownSync(p, uid, gid);
  };
  /** A directory of stand-in programs, first on the PATH of the CLI (and so of every command on the local hosts). */
  const fakeTools = (name: string, tools: Record<string, string>) => {
    const bin = path.join(dir, name);
    fs.mkdirSync(bin, { recursive: true, mode: 0o755 });
    for (const [tool, script] of Object.entries(tools)) fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    return { PATH: `${bin}:${process.env.PATH}` };
  };
  const rows = () => cluster.segments();
  const coordinatorDir = async () => (await rows()).find((r) => r.content === -1 && r.role === 'p')!.datadir;

  beforeAll(async () => {
    ({ cluster, clustersFile, dir } = await createTestCluster('doctor', PREFIX));
    sshd = await startSshd({ address: cluster.hostIps('sdw2')[0] });
    const base = readClustersFile(clustersFile).clusters[cluster.name];
    cfg = { ...base, hosts: { ...base.hosts, sdw2: { address: cluster.hostIps('sdw2')[0], executor: 'ssh', ssh: sshd.sshConfig() } } };
    saveClusterConfig(cfg, clustersFile);
    h = await connectHarness();
    w = await h.startWorker({ clustersFile, taskQueue: TASK_QUEUE });
    env = { GPRECOVER_CONFIG: clustersFile, GPRECOVER_CLUSTER: cluster.name, GPRECOVER_TASK_QUEUE: TASK_QUEUE,
      TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace') };
  });

  afterAll(async () => {
    for (const p of spawned) p.kill('SIGKILL');
    await w?.stop();
    await h?.close();
    await sshd?.stop();
    await cluster?.destroy();
  });

  it('a healthy cluster: every check ok, exit 0, and nothing on any host changed', async () => {
    const before = await rows();
    const hba = async (r: SegmentRow[]) => r.filter((s) => s.content >= 0).map((s) => fs.readFileSync(path.join(s.datadir, 'pg_hba.conf'), 'utf8'));
    const hbaBefore = await hba(before);
    const logins = sshd.acceptedLogins();
    const [text, json] = await Promise.all([runCli(['doctor'], env), doctor()]);
    expect(json.code).toBe(0);
    expect(notOk(json.findings)).toEqual([]);
    const counts: Record<string, number> = {};
    for (const f of json.findings) counts[f.check] = (counts[f.check] ?? 0) + 1;
    expect(counts).toEqual(HEALTHY_CHECKS);
    expect(find(json.findings, 'ssh', 'host sdw2').found).toBe(`reached over SSH as ${sshd.username}@${sshd.address}:${sshd.port}, host key verified against ${sshd.knownHostsPath}`);
    expect(find(json.findings, 'ssh', 'host sdw1').found).toBe('configured local: its commands run on this machine, no SSH');
    expect(find(json.findings, 'environment', 'host sdw2').found).toBe(`sources ${cluster.layout.gpHome}/greenplum_path.sh`);
    expect(find(json.findings, 'tools', 'host sdw1').found).toMatch(/^pg_basebackup takes --target-gp-dbid \(Greenplum's pg_basebackup\), pg_rewind runs/);
    expect(find(json.findings, 'pg_hba', 'dbid 2 (content 0)').found).toBe(
      `pg_hba.conf admits replication connections of ${cfg.replicationUser} from sdw2, where its mirror dbid 6 runs (${cluster.hostIps('sdw2').join(', ')})`);
    expect(find(json.findings, 'slot', 'dbid 3 (content 1)').found).toMatch(/^replication slot internal_wal_replication_slot active, retains \d+ MB of WAL/);
    expect(find(json.findings, 'era', `cluster ${cluster.name}`).found).toMatch(/^coordinator era [0-9a-f]{16}_\d{14} /);
    expect(sshd.acceptedLogins(), 'sdw2 was reached through sshd').toBeGreaterThan(logins);

    expect(text.code).toBe(0);
    expect(text.stderr).toBe('');
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toBe(`gprecover doctor: cluster doctor (Greenplum 7 (configured)), coordinator ${cfg.coordinator.host}:${cfg.coordinator.port}`);
    expect(lines[1]).toMatch(/^SEVERITY +CHECK +SUBJECT +FOUND$/);
    expect(lines).toHaveLength(json.findings.length + 3);
    expect(lines.at(-1)).toBe(`0 blocking, 0 warnings, ${json.findings.length} ok: nothing blocks a recovery`);

    // Read-only: the catalog, every pg_hba.conf and the coordinator's directory are as they were.
    expect(await rows()).toEqual(before);
    expect(await hba(before)).toEqual(hbaBefore);
    expect(fs.existsSync(path.join(await coordinatorDir(), 'gprecoverseg.lock'))).toBe(false);
  });

  it('a host whose key is not in known_hosts, or whose key changed, blocks; nothing else is tried there', async () => {
    const known = fs.readFileSync(sshd.knownHostsPath, 'utf8');
    try {
      fs.writeFileSync(sshd.knownHostsPath, '');
      const unknown = await doctor();
      expect(unknown.code).toBe(1);
      expect(find(unknown.findings, 'ssh', 'host sdw2')).toMatchObject({
        severity: 'blocks', host: 'sdw2',
        found: expect.stringMatching(new RegExp(`^host key verification failed for sdw2 \\(\\S+@${sshd.address.replace(/\./g, '\\.')}:${sshd.port}\\): no entry for .* in ${sshd.knownHostsPath}; it offered the ssh-ed25519 key SHA256:`)),
        todo: expect.stringContaining(sshd.knownHostsPath),
      });
      expect(unknown.findings.filter((f) => f.host === 'sdw2' && ['environment', 'tools', 'rsync', 'clock', 'space'].includes(f.check))).toEqual([]);
      expect(notOk(unknown.findings).map((f) => `${f.check} ${f.subject}`)).toEqual(['ssh host sdw2']);

      const other = utils.generateKeyPairSync('ed25519').public.split(' ').slice(0, 2).join(' ');
      fs.writeFileSync(sshd.knownHostsPath, `[${sshd.address}]:${sshd.port} ${other}\n`);
      const changed = await doctor();
      expect(find(changed.findings, 'ssh', 'host sdw2')).toMatchObject({ severity: 'blocks', found: expect.stringMatching(/does not match .* line 1 \(host reinstalled, or a man-in-the-middle\)/) });
    } finally {
      fs.writeFileSync(sshd.knownHostsPath, known);
    }
  });

  it("an old rsync on a host's PATH warns (differential only); a full filesystem under its mirrors blocks", async () => {
    const planted = fakeTools('full-old', {
      rsync: 'echo "rsync  version 3.0.9  protocol version 30"',
      // A filesystem with nothing left, and (so that no in-place copy fits either) mirrors that hold nothing.
      df: 'echo "Filesystem 1024-blocks Used Available Capacity Mounted on"; echo "/dev/full 1000000 1000000 0 100% /"',
      du: 'printf "0\\t%s\\n" "$2"',
    });
    const r = await doctor(planted);
    expect(r.code).toBe(1);
    expect(find(r.findings, 'rsync', 'host sdw1')).toMatchObject({ severity: 'warns', found: expect.stringMatching(/^rsync 3\.0\.9 on its PATH: --differential is refused/) });
    expect(find(r.findings, 'rsync', 'host sdw2').severity).toBe('ok');
    // dbids 8 and 9 are the mirrors on sdw1; 6 and 7 live on sdw2, whose PATH is sshd's.
    for (const dbid of [8, 9]) {
      const m = byDbid(await rows(), dbid);
      expect(find(r.findings, 'space', `dbid ${dbid} (content ${m.content})`)).toMatchObject({
        severity: 'blocks', found: expect.stringMatching(new RegExp(`^0\\.0 GB free at sdw1:${m.datadir}, its primary dbid \\d+ holds .*a full copy cannot fit$`)) });
    }
    expect(find(r.findings, 'space', 'dbid 6 (content 0)').severity).toBe('ok');
    expect(notOk(r.findings)).toHaveLength(3);
  });

  it('an acting primary that does not answer blocks', async () => {
    // FTS frozen: the catalog keeps dbid 2 the acting primary, as it does until FTS notices a real failure.
    await cluster.freezeFts(true);
    try {
      await cluster.kill(2);
      const r = await doctor();
      expect(r.code).toBe(1);
      expect(find(r.findings, 'primary', 'dbid 2 (content 0)')).toMatchObject({
        severity: 'blocks', host: 'sdw1', found: expect.stringMatching(/^acting primary of content 0 does not answer at \S+:\d+: .*(ECONNREFUSED|connect)/) });
      expect(notOk(r.findings).map((f) => `${f.check} ${f.subject}`)).toEqual(['primary dbid 2 (content 0)']);
    } finally {
      await cluster.startInstance(2);
      await cluster.freezeFts(false);
    }
    await cluster.waitForQuery(2, `SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'`, (r) => r.length === 1, 60_000);
  });

  it("a primary's pg_hba.conf without its mirror host's replication entries warns, naming the entries to add", async () => {
    const primary = byDbid(await rows(), 2);
    const file = path.join(primary.datadir, 'pg_hba.conf');
    const saved = fs.readFileSync(file, 'utf8');
    const mirrorIps = cluster.hostIps('sdw2');
    try {
      fs.writeFileSync(file, saved.split('\n').filter((l) => !(/^host\s+replication\s/.test(l) && mirrorIps.some((ip) => l.includes(`${ip}/32`)))).join('\n'));
      await cluster.query(2, 'SELECT pg_reload_conf()');
      const r = await doctor();
      expect(r.code).toBe(0);
      expect(find(r.findings, 'pg_hba', 'dbid 2 (content 0)')).toMatchObject({
        severity: 'warns',
        found: `pg_hba.conf does not admit replication connections of ${cfg.replicationUser} from sdw2, where its mirror dbid 6 runs, from ${mirrorIps.join(', ')}`,
        todo: expect.stringContaining(`'host replication ${cfg.replicationUser} ${mirrorIps[1]}/32 trust'`),
      });
      expect(notOk(r.findings)).toHaveLength(1);
    } finally {
      fs.writeFileSync(file, saved);
      await cluster.query(2, 'SELECT pg_reload_conf()');
    }
  });

  it("gprecoverseg's lock: a stale one warns, one a live process holds blocks", async () => {
    const lockDir = path.join(await coordinatorDir(), 'gprecoverseg.lock');
    const writeLock = (pid: number) => {
      fs.mkdirSync(lockDir, { recursive: true });
      fs.writeFileSync(path.join(lockDir, 'PID'), `${pid}\n`);
      ownByOsUser(lockDir, path.join(lockDir, 'PID'));
    };
    try {
      writeLock(999999);
      const stale = await doctor();
      expect(stale.code).toBe(0);
      expect(find(stale.findings, 'lock', `cluster ${cluster.name}`)).toMatchObject({ severity: 'warns', found: `cdw:${lockDir} is a stale gprecoverseg lock (pid 999999 is not running)` });
      const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
      spawned.push(sleeper);
      writeLock(sleeper.pid!);
      const held = await doctor();
      expect(held.code).toBe(1);
      expect(find(held.findings, 'lock', `cluster ${cluster.name}`)).toMatchObject({ severity: 'blocks', found: expect.stringMatching(new RegExp(`^gprecoverseg \\(pid ${sleeper.pid}: sleep 60\\) is recovering cluster 'doctor'`)) });
      sleeper.kill('SIGKILL');
      // Looking changed nothing: the stale lock is still there for a recovery to deal with.
      expect(fs.readFileSync(path.join(lockDir, 'PID'), 'utf8').trim()).toBe(String(sleeper.pid));
    } finally {
      fs.rmSync(lockDir, { recursive: true, force: true });
    }
  });

  it("an environment script that fails on one host, or another installation's tools, block", async () => {
    const script = path.join(cluster.layout.gpHome!, 'greenplum_path.sh');
    const saved = fs.readFileSync(script, 'utf8');
    try {
      // Fails where the local executor says it runs sdw1 (the demo's hosts share one machine and one GPHOME).
      fs.writeFileSync(script, `if [ "$GPRECOVER_HOST" = sdw1 ]; then echo "greenplum_path.sh: /opt/gp/lib: No such file or directory" >&2; return 1; fi\n${saved}`);
      const r = await doctor();
      expect(r.code).toBe(1);
      expect(find(r.findings, 'environment', 'host sdw1')).toMatchObject({
        severity: 'blocks', found: `sourcing the environment script of ${cluster.layout.gpHome} failed (exit 127): greenplum_path.sh: /opt/gp/lib: No such file or directory` });
      expect(find(r.findings, 'ssh', 'host sdw1').severity).toBe('ok');
      expect(find(r.findings, 'environment', 'host sdw2').severity).toBe('ok');
    } finally {
      fs.writeFileSync(script, saved);
    }
    // The same cluster with pgBin pointing at a stock PostgreSQL's tools.
    saveClusterConfig({ ...cfg, name: 'doctor-pgtools', pgBin: findPgBin() }, clustersFile);
    try {
      const r = await doctor({}, ['--cluster', 'doctor-pgtools']);
      expect(r.code).toBe(1);
      for (const host of ['sdw1', 'sdw2']) {
        expect(find(r.findings, 'tools', `host ${host}`)).toMatchObject({
          severity: 'blocks', found: expect.stringMatching(new RegExp(`^${findPgBin()}/pg_basebackup does not: takes --target-gp-dbid .*unrecognized option '--target-gp-dbid=1'`)) });
      }
    } finally {
      removeClusterConfig('doctor-pgtools', clustersFile);
    }
  });

  it('Temporal that does not answer, or a task queue no worker polls, blocks', async () => {
    const [down, idle] = await Promise.all([doctor({ TEMPORAL_ADDRESS: '127.0.0.1:1' }), doctor({ GPRECOVER_TASK_QUEUE: 'gp-recovery-doctor-nobody' })]);
    expect(down.code).toBe(1);
    expect(find(down.findings, 'temporal', 'Temporal 127.0.0.1:1')).toMatchObject({ severity: 'blocks', found: expect.stringMatching(/^cannot reach Temporal at 127\.0\.0\.1:1/) });
    expect(notOk(down.findings)).toHaveLength(1);
    expect(idle.code).toBe(1);
    expect(find(idle.findings, 'worker', 'task queue gp-recovery-doctor-nobody')).toMatchObject({ severity: 'blocks', found: 'no worker polls it: a run started now waits until one does' });
    expect(notOk(idle.findings)).toHaveLength(1);
  });

  it('an unknown cluster or a bad option is one line, exit 2', async () => {
    const [unknown, bad] = await Promise.all([runCli(['doctor', '--cluster', 'nosuch'], env), runCli(['doctor', '--bogus'], env)]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^gprecover doctor: unknown cluster 'nosuch' \(known: doctor; clusters are configured in \S+\)\n$/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gprecover doctor: Unknown option '--bogus'[^\n]*\n$/);
  });
});
