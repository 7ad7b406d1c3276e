import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterContext } from '../../cluster/context';
import { LocalExecutor } from '../../cluster/exec/local';
import { flavorNamed } from '../../cluster/flavor';
import { probeWriters } from '../../cluster/segment/probeDir';
import { startSegment } from '../../cluster/segment/stopStart';
import type { Location } from '../../domain/segment';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-start-'));
const bin = path.join(root, 'bin');
const exec = new LocalExecutor('sdw1');
/** Fake postmasters still lingering, with the directory they run in. */
const left: Array<{ pid: number; datadir: string }> = [];

// A pg_ctl that starts a stand-in postmaster in the data directory (a child process with its working directory
// there, its pid in postmaster.pid with the status line pg_ctl -w waits for), as told by FAKE_PG_CTL there:
//   "<status> <start time offset s> <seconds before pg_ctl exits> <exit code> [foreign]"
// "foreign": the stand-in is not this pg_ctl's child (another start's postmaster, say).
fs.mkdirSync(bin, { recursive: true });
fs.writeFileSync(path.join(bin, 'pg_ctl'), String.raw`#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = -D ] && d=$2; shift; done
read -r status offset linger rc foreign <"$d/FAKE_PG_CTL"
[ -d "$d/log" ] || { echo "pg_ctl: could not open log file" >&2; exit 1; }
[ -f "$d/postmaster.pid" ] && { echo 'FATAL:  lock file "postmaster.pid" already exists' >&2; exit 1; }
cd "$d" || exit 1
if [ "$status" != none ]; then
  if [ -n "$foreign" ]; then
    ( sleep 30 </dev/null >/dev/null 2>&1 & echo $! >"$d/.pm" )
  else
    sleep 30 </dev/null >/dev/null 2>&1 & echo $! >"$d/.pm"
  fi
  printf '%s\n%s\n%s\n6000\n/tmp\n*\n1 2\n%-8s\n' "$(cat "$d/.pm")" "$d" $(( $(date +%s) + offset )) "$status" >"$d/postmaster.pid"
fi
echo "waiting for server to start...."
sleep "$linger"
[ "$rc" = 0 ] || echo "pg_ctl: could not start server" >&2
exit "$rc"
`, { mode: 0o755 });

function dataDir(name: string, fake: string): Location {
  const datadir = path.join(root, name);
  fs.mkdirSync(datadir, { recursive: true });
  fs.writeFileSync(path.join(datadir, 'postgresql.conf'), 'port = 6000\n');
  fs.writeFileSync(path.join(datadir, 'FAKE_PG_CTL'), `${fake}\n`);
  return { hostname: 'sdw1', address: 'sdw1', port: 7000, datadir };
}

/** Every command the start ran on the host. */
const ran: string[][] = [];
const counted = new Proxy(exec, {
  get: (target, prop, receiver) => (prop === 'run'
    ? (argv: string[], opts?: object) => { ran.push(argv); return target.run(argv, opts); }
    : Reflect.get(target, prop, receiver)),
});
const ctx = { host: () => counted, bin, flavor: flavorNamed('gp7'), cfg: { listenOnCatalogAddress: false } } as unknown as ClusterContext;

async function timedStart(target: Location): Promise<{ ms: number; outcome: unknown }> {
  ran.length = 0;
  const t0 = performance.now();
  const outcome = await startSegment({ ctx, target, era: Promise.resolve('era_1') }).catch((err: Error) => err);
  const ms = performance.now() - t0;
  const pidFile = path.join(target.datadir, 'postmaster.pid');
  const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
  if (pid) left.push({ pid, datadir: target.datadir });
  return { ms, outcome };
}

afterAll(async () => {
  for (const { pid, datadir } of left) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/cwd`) === fs.realpathSync(datadir)) process.kill(pid, 'SIGKILL');
    } catch { /* already gone */ }
  }
  // The fake pg_ctls still lingering, and their sleeps.
  for (const pid of spawnSync('pgrep', ['-f', `^(/bin/)?sh ${bin}/pg_ctl`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) {
    spawnSync('pkill', ['-KILL', '-P', pid]);
    try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
  }
  await exec.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('starting a segment (cluster/segment/stopStart.ts)', () => {
  it('returns once postmaster.pid says standby, without waiting for pg_ctl -w to get round to looking', async () => {
    const { ms, outcome } = await timedStart(dataDir('standby', 'standby 0 3 0'));
    expect(outcome).toEqual({ alreadyRunning: false });
    expect(ms).toBeLessThan(1500);
    // The flavour's own start ran: the port it sets in postgresql.conf before pg_ctl.
    expect(fs.readFileSync(path.join(root, 'standby', 'postgresql.conf'), 'utf8')).toContain('port=7000');
  });

  it('removes the postmaster.pid of a dead postmaster and makes log/ in the start\'s own round trip', async () => {
    const target = dataDir('stale-pid', 'standby 0 0.2 0');
    // And the output an earlier start killed outright (SIGKILL) left in log/.
    fs.mkdirSync(path.join(target.datadir, 'log'));
    fs.writeFileSync(path.join(target.datadir, 'log', 'gprecover-start.4242.out'), 'waiting for server to start....\n');
    // A pid no process has: what a killed postgres leaves behind.
    fs.writeFileSync(path.join(target.datadir, 'postmaster.pid'), `4194000\n${target.datadir}\n1\n6000\n`);
    const { outcome } = await timedStart(target);
    expect(outcome).toEqual({ alreadyRunning: false });
    expect(fs.statSync(path.join(target.datadir, 'log')).isDirectory()).toBe(true);
    expect(fs.readdirSync(path.join(target.datadir, 'log'))).toEqual([]);
    // One round trip: the look at the directory, the port (GP7's perl edit), rm, mkdir and the start. Before: the probe,
    // perl and the start (and before those, rm and mkdir on their own).
    expect(ran.map((argv) => argv[0] === 'sh' ? argv[3] : argv[0])).toEqual(['gprecover-start']);
    expect(fs.readFileSync(path.join(target.datadir, 'postgresql.conf'), 'utf8')).toContain('port=7000');
  });

  it('leaves a postgres already running in the directory as it is (a retried start, a hung one), port untouched', async () => {
    const target = dataDir('running', 'standby 0 0 0');
    const pm = spawnSync('sh', ['-c', 'sleep 30 </dev/null >/dev/null 2>&1 & echo $!'], { cwd: target.datadir, encoding: 'utf8' });
    const pid = Number(pm.stdout.trim());
    left.push({ pid, datadir: target.datadir });
    process.kill(pid, 'SIGSTOP');
    fs.writeFileSync(path.join(target.datadir, 'postmaster.pid'), `${pid}\n${target.datadir}\n1\n6000\n`);
    const { outcome } = await timedStart(target);
    expect(outcome).toEqual({ alreadyRunning: true });
    expect(ran).toHaveLength(1);
    expect(fs.readFileSync(path.join(target.datadir, 'postgresql.conf'), 'utf8')).toBe('port = 6000\n');
    expect(fs.existsSync(path.join(target.datadir, 'log'))).toBe(false);
  });

  // Review: a single-user postgres writes its pid negated; kill -0 of a negative pid asks after a process group, and
  // the start took the file for a dead postmaster's: removed, and a postmaster started over the running backend.
  it('takes a postmaster.pid with a negated pid (a single-user postgres) for a postgres running, as the write guard does', async () => {
    const target = dataDir('single-user', 'standby 0 0 0');
    const pm = spawnSync('sh', ['-c', 'sleep 30 </dev/null >/dev/null 2>&1 & echo $!'], { cwd: target.datadir, encoding: 'utf8' });
    const pid = Number(pm.stdout.trim());
    left.push({ pid, datadir: target.datadir });
    fs.writeFileSync(path.join(target.datadir, 'postmaster.pid'), `-${pid}\n${target.datadir}\n1\n6000\n`);
    expect(await probeWriters(exec, target.datadir)).toMatchObject({ postmasterLive: true, postmasterPid: pid });
    const { outcome } = await timedStart(target);
    expect(outcome).toEqual({ alreadyRunning: true });
    expect(fs.readFileSync(path.join(target.datadir, 'postmaster.pid'), 'utf8')).toMatch(new RegExp(`^-${pid}\n`));
  });

  // Review: with the look inside the start script, the era was awaited first, and a retried start of a segment
  // already running failed when the coordinator could not be read.
  it('does not need the coordinator\'s era to find a segment already running; fails with it otherwise', async () => {
    const running = dataDir('running-no-era', 'standby 0 0 0');
    const pm = spawnSync('sh', ['-c', 'sleep 30 </dev/null >/dev/null 2>&1 & echo $!'], { cwd: running.datadir, encoding: 'utf8' });
    left.push({ pid: Number(pm.stdout.trim()), datadir: running.datadir });
    fs.writeFileSync(path.join(running.datadir, 'postmaster.pid'), `${pm.stdout.trim()}\n${running.datadir}\n1\n6000\n`);
    const noEra = () => Promise.reject(new Error('the coordinator is down'));
    expect(await startSegment({ ctx, target: running, era: noEra() })).toEqual({ alreadyRunning: true });
    const stopped = dataDir('stopped-no-era', 'standby 0 0 0');
    await expect(startSegment({ ctx, target: stopped, era: noEra() })).rejects.toThrow(/the coordinator is down/);
    expect(fs.existsSync(path.join(stopped.datadir, 'postmaster.pid'))).toBe(false);
  });

  it('fails as the port setting it runs when that fails, and starts nothing', async () => {
    const target = dataDir('port-fails', 'standby 0 0 0');
    // perl -i exits 0 on a file it cannot open: a setting that fails is a flavour's command of its own here.
    const failing = { argv: ['sh', '-c', 'echo "cannot write $1" >&2; exit 3', 'set-port', `${target.datadir}/postgresql.conf`] };
    ran.length = 0;
    const outcome = await startSegment({ ctx: { ...ctx, flavor: { ...ctx.flavor, setPort: () => failing } } as unknown as ClusterContext, target, era: Promise.resolve('era_1') })
      .catch((err: Error) => err);
    expect(outcome).toBeInstanceOf(Error);
    expect(String((outcome as Error).message)).toMatch(/^sh failed on sdw1 .*exit 3.*cannot write .*port-fails\/postgresql\.conf/);
    expect(fs.existsSync(path.join(target.datadir, 'postmaster.pid'))).toBe(false);
    expect(fs.existsSync(path.join(target.datadir, 'log'))).toBe(false);
  });

  it('fails as the mkdir it runs when log/ cannot be made', async () => {
    const target = dataDir('no-log', 'standby 0 0 0');
    fs.writeFileSync(path.join(target.datadir, 'log'), 'a file where log/ should be\n');
    const { outcome } = await timedStart(target);
    expect(outcome).toBeInstanceOf(Error);
    expect(String((outcome as Error).message)).toMatch(/^mkdir failed on sdw1 .*no-log\/log.*(File exists|Not a directory)/);
  });

  it('does not take another start\'s postmaster for the one this pg_ctl started: pg_ctl decides', async () => {
    const { ms, outcome } = await timedStart(dataDir('foreign', 'standby 0 1 0 foreign'));
    expect(outcome).toEqual({ alreadyRunning: false });
    expect(ms).toBeGreaterThanOrEqual(900);
  });

  it('does not take a postmaster.pid older than this start for a ready postmaster: pg_ctl decides', async () => {
    const { ms, outcome } = await timedStart(dataDir('stale', 'ready -60 1 0'));
    expect(outcome).toEqual({ alreadyRunning: false });
    expect(ms).toBeGreaterThanOrEqual(900);
  });

  it('fails with pg_ctl when it gives up before the postmaster is ready, with what it said', async () => {
    const { outcome } = await timedStart(dataDir('failed', 'starting 0 0.3 1'));
    expect(outcome).toBeInstanceOf(Error);
    expect(String((outcome as Error).message)).toMatch(/pg_ctl start of .*failed \(exit 1\): .*could not start server/);
    // Its output waited in log/, not in /tmp, and is gone.
    expect(fs.readdirSync(path.join(root, 'failed', 'log')).filter((f) => f.startsWith('gprecover-start'))).toEqual([]);
  });
});
