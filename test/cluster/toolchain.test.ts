// Living beside gprecoverseg and gpstate on the demo: the shared lock both ways, recovery_progress.file while a
// throttled copy runs, pg_hba.conf on a move to a host the source did not trust, gprecoverseg's rules for
// unreachable hosts, replay lag, rsync and heap checksums.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DemoCluster } from '../../demo';
import { loadClusterConfig, saveClusterConfig, toolsDir } from '../../cluster/config';
import { utils } from 'ssh2';
import { ExecutorPool } from '../../cluster/exec/pool';
import { osIdentity } from '../../cluster/exec/local';
import { commandArgv, flavorNamed } from '../../cluster/flavor';
import { findPgBin } from '../../cluster/pgBin';
import { runCli } from '../helpers/cli';
import { byDbid, createTestCluster, expectMirrorsIdentical, healthy, killAndWaitDown } from '../helpers/demo';
import { eventually } from '../helpers/stubRuns';
import { connectHarness, type RunningWorker, type TemporalHarness } from '../helpers/temporal';

const TASK_QUEUE = 'gp-recovery-toolchain';
const PREFIX = '127.0.151';
/** A spare host of the demo: its catalog address (a name) and the two IPs it answers on (its connections leave from the last). */
const SPARE = { hostname: 'sdw3', address: '', ips: [] as string[] };

/**
 * gprecoverseg's start, as Greenplum 7's gppylib runs it (mainUtils SimpleMainLock.acquire over PIDLockFile): a
 * directory gprecoverseg.lock holding PID, a dead holder's lock removed, a live one refused with its message.
 * `hold` keeps the lock until killed, as a gprecoverseg at work does.
 */
const GPRECOVERSEG_LOCK = String.raw`
import errno, os, shutil, signal, sys, time
path = sys.argv[1]
pidfile = os.path.join(path, 'PID')
def read_pid():
    try:
        with open(pidfile) as p:
            return int(p.read())
    except IOError:
        return None
def check_pid(pid):
    if pid == 0:
        return False
    try:
        os.kill(int(pid), signal.SIG_DFL)
    except OSError:
        return False
    return True
try:
    other = read_pid()
except ValueError:
    shutil.rmtree(path)
    other = None
if other is not None and not check_pid(other):
    shutil.rmtree(path)
try:
    os.makedirs(path)
    with open(pidfile, mode='w') as p:
        p.write(str(os.getpid()))
except EnvironmentError as e:
    if e.errno == errno.EEXIST:
        print("Lockfile %s indicates that an instance of gprecoverseg is already running with PID %s" % (path, read_pid()), flush=True)
        sys.exit(2)
    raise
print('acquired', flush=True)
if sys.argv[2:] == ['hold']:
    time.sleep(3600)
shutil.rmtree(path)
`;

describe('beside the Greenplum toolchain', () => {
  let cluster: DemoCluster;
  let dir: string;
  let clustersFile: string;
  let h: TemporalHarness;
  let w: RunningWorker;
  let env: NodeJS.ProcessEnv;
  let gprecoverseg: string;
  let lockDir: string;
  let owner: { uid: number; gid: number };

  /** A program run as the cluster's OS user, as gpadmin runs gprecoverseg. */
  const asOsUser = (args: string[]): ChildProcess =>
    spawn(args[0], args.slice(1), { uid: owner.uid, gid: owner.gid, stdio: ['ignore', 'pipe', 'pipe'], detached: true });

  const runGprecoverseg = async (hold: boolean): Promise<{ child: ChildProcess; out: string }> => {
    const child = asOsUser(['python3', gprecoverseg, lockDir, ...(hold ? ['hold'] : [])]);
    let out = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (out += c));
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      if (hold) child.stdout!.on('data', () => { if (out.includes('acquired')) resolve(); });
    });
    return { child, out };
  };

  const alive = (pid: number) => fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));

  beforeAll(async () => {
    const made = await createTestCluster('tc', PREFIX);
    ({ cluster, dir, clustersFile } = made);
    owner = osIdentity(cluster.layout.osUser) ?? { uid: process.getuid!(), gid: process.getgid!() };
    // A spare host: its own directory and host.conf, as another machine would have; its primaries' pg_hba.conf
    // does not name it.
    const spareRoot = path.join(cluster.rootDir, SPARE.hostname);
    fs.mkdirSync(path.join(spareRoot, 'mirror'), { recursive: true });
    SPARE.address = await cluster.addSpareHost(SPARE.hostname);
    SPARE.ips = cluster.hostIps(SPARE.hostname);
    fs.writeFileSync(path.join(spareRoot, 'host.conf'), `listen_addresses = '${SPARE.ips.join(',')}'\n`);
    fs.chownSync(spareRoot, owner.uid, owner.gid);
    fs.chownSync(path.join(spareRoot, 'mirror'), owner.uid, owner.gid);
    gprecoverseg = path.join(dir, 'gprecoverseg');
    fs.writeFileSync(gprecoverseg, GPRECOVERSEG_LOCK, { mode: 0o755 });
    lockDir = path.join(cluster.layout.coordinator.datadir, 'gprecoverseg.lock');
    h = await connectHarness();
    w = await h.startWorker({ clustersFile, taskQueue: TASK_QUEUE });
    env = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), GPRECOVER_TASK_QUEUE: TASK_QUEUE, GPRECOVER_CLUSTER: cluster.name };
    await cluster.loadData(3000);
  });

  // A run a test left running (it timed out waiting) would refuse the next test's start: it is shown, cancelled (its
  // copy jobs killed, a move backed out), and the test that left it fails with where it stood.
  afterEach(async () => {
    const handle = h?.client.workflow.getHandle('gprecover-tc');
    const run = await handle?.describe().catch(() => undefined);
    if (!handle || run?.status.name !== 'RUNNING') return;
    const status = await runCli(['status', 'gprecover-tc'], env, 30_000);
    await handle.cancel().catch(() => undefined);
    const ended = await Promise.race([handle.result().then(() => true, () => true), sleep(60_000).then(() => false)]);
    if (!ended) await handle.terminate('left running by a test, and its cancellation did not end it in 60 s').catch(() => undefined);
    throw new Error(`gprecover-tc (${run.type}) was left running; its status:\n${status.stdout}${status.stderr}`);
  });

  afterAll(async () => {
    await w?.stop();
    await h?.close();
    await cluster?.destroy();
  });

  it('gprecoverseg.lock both ways: refused while gprecoverseg holds it; held for the whole run with gprecoverseg refused; a dead one removed and said', async () => {
    await killAndWaitDown(cluster, 6);
    const held = await runGprecoverseg(true);
    try {
      const refused = await runCli(['start-recovery', '--wait', '-s'], env);
      expect(refused.code, refused.stdout + refused.stderr).toBe(2);
      expect(refused.stderr.trim()).toMatch(new RegExp(
        `^gprecover: invalid request: gprecoverseg \\(pid ${held.child.pid}: python3 ${gprecoverseg}.*\\) is recovering cluster 'tc': it holds cdw:${lockDir}; wait for it to finish`));
      expect(byDbid(await cluster.segments(), 6).status).toBe('d');
    } finally {
      held.child.kill('SIGKILL');
      await new Promise((r) => held.child.once('exit', r));
    }
    // What a killed gprecoverseg leaves: the directory, and a PID that runs no more.
    expect(fs.readFileSync(path.join(lockDir, 'PID'), 'utf8')).toBe(String(held.child.pid));

    // A throttled full copy, long enough to watch: gpstate -e's file and the lock while it runs.
    const logDir = path.join(dir, 'gpAdminLogs');
    fs.mkdirSync(logDir);
    fs.chownSync(logDir, owner.uid, owner.gid);
    const progressFile = path.join(logDir, 'recovery_progress.file');
    const run = runCli(['start-recovery', '-F', '--max-rate', '3M', '-l', logDir, '--wait', '-s'], env, 300_000);
    const line = await eventually(async () => {
      const text = fs.readFileSync(progressFile, 'utf8');
      expect(text).toMatch(/^full:6:\d+\/\d+ kB \(\d+%\)/);
      return text;
    }, 60_000);
    expect(line.trim().split('\n')).toHaveLength(1);
    const holder = Number(fs.readFileSync(path.join(lockDir, 'PID'), 'utf8'));
    expect(alive(holder)).toBe(true);
    expect(fs.readFileSync(`/proc/${holder}/cmdline`, 'utf8').split('\0').join(' ')).toContain('gprecover-lock gprecover-tc/');
    const meanwhile = await runGprecoverseg(false);
    expect(meanwhile.child.exitCode).toBe(2);
    expect(meanwhile.out.trim()).toBe(`Lockfile ${lockDir} indicates that an instance of gprecoverseg is already running with PID ${holder}`);
    // The progress moves on while the copy runs.
    await eventually(async () => expect(fs.readFileSync(progressFile, 'utf8')).not.toBe(line), 20_000);

    const r = await run;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`removed a stale gprecoverseg lock at cdw:${lockDir} (pid ${held.child.pid} was not running)`);
    // Removed by the writer as soon as it hears the run is over (its next heartbeat).
    await eventually(async () => expect(fs.existsSync(progressFile), 'recovery_progress.file is removed at the end').toBe(false), 5_000);
    expect(fs.existsSync(lockDir), 'the lock is given back').toBe(false);
    await eventually(async () => expect(alive(holder)).toBe(false), 10_000);
    // gprecoverseg may start again.
    const after = await runGprecoverseg(false);
    expect(after.out.trim()).toBe('acquired');
    await expectMirrorsIdentical(cluster);
  }, 300_000);

  it('a lock left by a gprecover run that ended without releasing it is taken over and said', async () => {
    const ended = await h.client.workflow.getHandle(`gprecover-${cluster.name}`).describe();
    expect(ended.status.name).toBe('COMPLETED');
    // What a terminated run leaves: its holder process, whose command line names the run.
    const holder = asOsUser(['sh', '-c', 'mkdir "$3" && printf %s $$ > "$3/PID" && while [ -d "$3" ]; do sleep 1; done',
      'gprecover-lock', `${encodeURIComponent(ended.workflowId)}/${ended.runId}`, 'x', lockDir]);
    await eventually(async () => expect(fs.readFileSync(path.join(lockDir, 'PID'), 'utf8')).toBe(String(holder.pid)), 10_000);
    await killAndWaitDown(cluster, 7);
    const r = await runCli(['start-recovery', '--wait', '-s'], env, 300_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`took over cdw:${lockDir} from gprecover run gprecover-tc/${ended.runId}, which ended without releasing it`);
    expect(fs.existsSync(lockDir)).toBe(false);
    await eventually(async () => expect(alive(holder.pid!)).toBe(false), 10_000);
    expect(healthy(await cluster.segments())).toBe(true);
  }, 300_000);

  it('a move to a host the source does not trust: the flavour\'s own copy is refused by pg_hba.conf; gprecover adds the entries and the copy works', async () => {
    await killAndWaitDown(cluster, 8);
    const failed = byDbid(await cluster.segments(), 8);
    const primary = (await cluster.segments()).find((s) => s.content === failed.content && s.role === 'p')!;
    const hbaFile = path.join(primary.datadir, 'pg_hba.conf');
    for (const ip of SPARE.ips) expect(fs.readFileSync(hbaFile, 'utf8')).not.toContain(ip);
    const newDir = path.join(cluster.rootDir, SPARE.hostname, 'mirror', `gpseg${failed.content}`);

    // The copy gprecover would run on the spare host, run there without the entries: a real primary refuses it.
    const pool = new ExecutorPool(loadClusterConfig(cluster.name, clustersFile));
    try {
      const copy = flavorNamed(cluster.layout.flavor).fullCopy({ bin: toolsDir(cluster.config()), targetDir: path.join(dir, 'raw-copy'), targetDbid: 8, source: primary, createSlot: false });
      const raw = await pool.forHost(SPARE.hostname).run(commandArgv(copy), { timeoutMs: 60_000 });
      expect(raw.code).toBe(1);
      expect(raw.stderr).toContain(`FATAL:  no pg_hba.conf entry for replication connection from host "${SPARE.ips[1]}", user "${cluster.layout.dbUser}", no encryption`);
    } finally {
      await pool.closeAll();
    }

    // gprecoverseg's -i line with a hostname: hostname|address|port|datadir.
    const conf = path.join(dir, 'move.conf');
    fs.writeFileSync(conf, `${failed.hostname}|${failed.address}|${failed.port}|${failed.datadir} ${SPARE.hostname}|${SPARE.address}|${failed.port}|${newDir}\n`);
    const r = await runCli(['start-recovery', '-i', conf, '--wait', '-s'], env, 300_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const hba = fs.readFileSync(hbaFile, 'utf8');
    const user = cluster.layout.dbUser;
    // Every address of the mirror's host, as its own interfaces list them (ifaddrs), never the catalog's name with a mask.
    const entries = [...SPARE.ips.flatMap((ip) => [`host all ${user} ${ip}/32 trust`, `host replication ${user} ${ip}/32 trust`]), `host replication ${user} samehost trust`];
    expect(hba).not.toContain(`${SPARE.address}/32`);
    for (const entry of entries) {
      expect(hba.split('\n').map((l) => l.trim().replace(/\s+/g, ' '))).toContain(entry);
    }
    expect(byDbid(await cluster.segments(), 8)).toMatchObject({ hostname: SPARE.hostname, address: SPARE.address, datadir: newDir, status: 'u', mode: 's' });
    // As gprecoverseg: the old directory goes once the move is done.
    expect(fs.existsSync(failed.datadir)).toBe(false);
    await expectMirrorsIdentical(cluster);

    // Idempotent: the same entries are not added twice by a later recovery from this primary.
    const lines = hba.split('\n').length;
    await killAndWaitDown(cluster, 8);
    const again = await runCli(['start-recovery', '--wait', '-s'], env, 300_000);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(fs.readFileSync(hbaFile, 'utf8').split('\n')).toHaveLength(lines);
  }, 300_000);

  it('a segment on a host that cannot be reached is skipped with a warning; the others are recovered (exit 0)', async () => {
    // The spare host holds dbid 8 since the move; now the whole host is gone, its sshd with it.
    expect(byDbid(await cluster.segments(), 8).hostname).toBe(SPARE.hostname);
    await killAndWaitDown(cluster, 8);
    await killAndWaitDown(cluster, 7);
    const saved = loadClusterConfig(cluster.name, clustersFile);
    const key = path.join(dir, 'id_ed25519');
    fs.writeFileSync(key, utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
    saveClusterConfig({
      ...saved, hosts: { ...saved.hosts, [SPARE.hostname]: { address: SPARE.ips[0], executor: 'ssh', ssh: { port: 1, privateKeyPath: key, strictHostKeyChecking: false } } },
    }, clustersFile);
    try {
      const r = await runCli(['start-recovery', '--wait', '-s'], env, 300_000);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`dbid 8 .*host ${SPARE.hostname} \\(${SPARE.address.replace(/\./g, '\\.')}\\) is not reachable.*skipping its in-place recovery`));
      expect(byDbid(await cluster.segments(), 7)).toMatchObject({ status: 'u', mode: 's' });
      expect(byDbid(await cluster.segments(), 8).status).toBe('d');
    } finally {
      saveClusterConfig(saved, clustersFile);
    }
    const r = await runCli(['start-recovery', '--wait', '-s'], env, 300_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(healthy(await cluster.segments())).toBe(true);
  }, 300_000);

  it('rebalance refuses while a mirror has WAL to replay (--replay-lag 0 always does), naming the pair; --disable-replay-lag rebalances', async () => {
    const p = (await cluster.segments()).find((s) => s.content === 1 && s.preferredRole === 'p')!;
    await cluster.kill(p.dbid);
    await cluster.waitFor((rows) => byDbid(rows, p.dbid).role === 'm' && byDbid(rows, p.dbid).status === 'd', 30_000, 'FTS failover of content 1');
    // The steps' bounds add up to less than the test's, so that a step that hangs shows its own progress lines.
    const rec = await runCli(['start-recovery', '--wait', '-s'], env, 150_000);
    expect(rec.code, rec.stdout + rec.stderr).toBe(0);
    await cluster.waitFor(healthy, 60_000, 'all in sync');
    const acting = (await cluster.segments()).find((s) => s.content === 1 && s.role === 'p')!;

    const refused = await runCli(['rebalance', '--replay-lag', '0', '--wait'], env, 60_000);
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stderr.trim()).toMatch(new RegExp(
      `^gprecover: invalid request: \\d+ bytes of WAL are still to be replayed on mirror dbid ${p.dbid} \\(content 1, primary dbid ${acting.dbid}\\): let the mirror catch up`));
    expect(byDbid(await cluster.segments(), p.dbid).role).toBe('m');
    expect(fs.existsSync(lockDir), 'the refused rebalance gave the lock back').toBe(false);

    const usage = await runCli(['start-recovery', '--disable-replay-lag'], env, 30_000);
    expect({ code: usage.code, stderr: usage.stderr.trim() }).toEqual({ code: 2, stderr: 'gprecover start-recovery: --disable-replay-lag should be used only with -r' });

    const done = await runCli(['rebalance', '--replay-lag', '0', '--disable-replay-lag', '--wait'], env, 150_000);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toMatch(/swapped contents: 1;/);
    const rows = await cluster.segments();
    expect(rows.filter((r) => r.content >= 0).every((r) => r.role === r.preferredRole)).toBe(true);
  }, 480_000);

  it('--differential needs rsync 3.1.0 on the host that runs it, in gprecoverseg\'s words; an empty -i file is nothing to do', async () => {
    await killAndWaitDown(cluster, 6);
    // The installation's PATH finds an rsync older than 3.1 on that host.
    const fake = path.join(cluster.layout.gpHome!, 'bin', 'rsync');
    fs.writeFileSync(fake, '#!/bin/sh\necho "rsync  version 3.0.9  protocol version 30"\n', { mode: 0o755 });
    try {
      const r = await runCli(['start-recovery', '--differential', '--wait', '-s'], env, 300_000);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr.trim()).toBe('gprecover: invalid request: To perform a differential recovery, a minimum rsync version of 3.1.0 is required. '
        + 'Please ensure that rsync is updated to version 3.1.0 or higher. (host sdw2 has rsync 3.0.9)');
    } finally {
      fs.rmSync(fake);
    }
    const empty = path.join(dir, 'empty.conf');
    fs.writeFileSync(empty, '');
    const nothing = await runCli(['start-recovery', '-i', empty, '--wait'], env);
    expect({ code: nothing.code, out: nothing.stdout.trim() }).toEqual({ code: 0, out: 'No segments to recover' });
    expect(byDbid(await cluster.segments(), 6).status).toBe('d');
    const r = await runCli(['start-recovery', '--differential', '--wait', '-s'], env, 300_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await expectMirrorsIdentical(cluster);
  }, 300_000);
});

describe('heap checksums', () => {
  let cluster: DemoCluster;
  let h: TemporalHarness;
  let w: RunningWorker;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const made = await createTestCluster('ck', '127.0.152', { dataChecksums: true });
    cluster = made.cluster;
    h = await connectHarness();
    w = await h.startWorker({ clustersFile: made.clustersFile, taskQueue: `${TASK_QUEUE}-ck` });
    env = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), GPRECOVER_TASK_QUEUE: `${TASK_QUEUE}-ck`, GPRECOVER_CLUSTER: cluster.name };
  });

  afterAll(async () => {
    await w?.stop();
    await h?.close();
    await cluster?.destroy();
  });

  it('a failed segment whose checksum setting differs from the coordinator\'s is refused before anything changes', async () => {
    const [{ v }] = await cluster.query<{ v: number }>(6, 'SELECT data_page_checksum_version AS v FROM pg_control_init()');
    expect(v).toBe(1);
    // Stopped cleanly, then checksums turned off in it: what a segment rebuilt by hand without -k looks like.
    const m = byDbid(await cluster.segments(), 6);
    const exec = cluster.executor(m.hostname);
    const bin = path.join(cluster.layout.gpHome!, 'bin');
    expect((await exec.run([`${bin}/pg_ctl`, 'stop', '-D', m.datadir, '-m', 'fast', '-w'], { timeoutMs: 60_000 })).code).toBe(0);
    await cluster.waitFor((rows) => byDbid(rows, 6).status === 'd', 30_000, 'dbid 6 down');
    const off = await exec.run([path.join(findPgBin(), 'pg_checksums'), '--disable', '-D', m.datadir], { timeoutMs: 60_000 });
    expect(off.code, off.stderr).toBe(0);
    const r = await runCli(['start-recovery', '--wait', '-s'], env, 300_000);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(`gprecover: invalid request: Heap checksum setting differences reported on segments: ${m.hostname} (dbid 6) checksum set to 0 differs from coordinator checksum set to 1`);
    expect(byDbid(await cluster.segments(), 6).status).toBe('d');
    // Checksums back on: recovered, and the copy keeps them.
    expect((await exec.run([path.join(findPgBin(), 'pg_checksums'), '--enable', '-D', m.datadir], { timeoutMs: 60_000 })).code).toBe(0);
    const ok = await runCli(['start-recovery', '--wait', '-s'], env, 300_000);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const [{ v: after }] = await cluster.query<{ v: number }>(6, 'SELECT data_page_checksum_version AS v FROM pg_control_init()');
    expect(after).toBe(1);
  }, 300_000);
});
