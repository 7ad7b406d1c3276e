import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../cluster/exec/local';
import { probeWriters } from '../../cluster/segment/probeDir';
import type { ClusterContext } from '../../cluster/context';
import type { Executor, RunResult } from '../../cluster/exec/executor';
import { assertSafeToWrite } from '../../cluster/segment/guard';
import type { SegmentPlan } from '../../domain/recovery';
import type { SegmentRow } from '../../domain/segment';

const row = (over: Partial<SegmentRow>): SegmentRow => ({
  dbid: 2, content: 0, role: 'p', preferredRole: 'p', mode: 'n', status: 'u', port: 6000, hostname: 'sdw1', address: 'sdw1', datadir: '/data/primary/gpseg0', ...over,
});
const primary = row({});
const mirror = row({ dbid: 4, role: 'm', preferredRole: 'm', status: 'd', port: 7000, hostname: 'sdw2', address: 'sdw2', datadir: '/data/mirror/gpseg0' });
const item: SegmentPlan = {
  content: 0, dbid: 4, type: 'full', failed: mirror, source: primary, moved: false,
  target: { hostname: mirror.hostname, address: mirror.address, port: mirror.port, datadir: mirror.datadir },
};

/** A host whose probe answers `stdout`, recording when it was asked. */
function hostAnswering(stdout: string, asked: string[]): ClusterContext {
  const exec: Executor = {
    host: 'sdw2', kind: 'ssh',
    async run(): Promise<RunResult> {
      asked.push('probe');
      return { code: 0, stdout, stderr: '' };
    },
    async close() {},
  };
  return { host: () => exec, bin: '/usr/local/gp/bin' } as unknown as ClusterContext;
}

/** The catalog's rows, answered only when `release` is called: the guard waits for the catalog. */
function slowCatalog(rows: SegmentRow[], asked: string[]) {
  let release!: () => void;
  const segments = new Promise<SegmentRow[]>((resolve) => {
    release = () => {
      asked.push('catalog');
      resolve(rows);
    };
  });
  return { segments, release };
}

describe('the write guard before a copy (cluster/segment/guard.ts)', () => {
  it('looks at the host while the catalog is still being read', async () => {
    const asked: string[] = [];
    const { segments, release } = slowCatalog([primary, mirror], asked);
    const guarded = assertSafeToWrite(hostAnswering('exists=1\nempty=0\n', asked), item, segments);
    await new Promise((r) => setTimeout(r, 10));
    release();
    await expect(guarded).resolves.toMatchObject({ reachable: true, postmasterLive: false });
    expect(asked).toEqual(['probe', 'catalog']);
  });

  it('refuses a directory a postgres runs in, and a copy running into it', async () => {
    const ctxLive = hostAnswering('exists=1\npid=4242\nlive=1\n', []);
    await expect(assertSafeToWrite(ctxLive, item, [primary, mirror])).rejects.toThrow('refusing to write into sdw2:/data/mirror/gpseg0: a postgres (pid 4242) is running in it');
    const ctxCopy = hostAnswering('exists=1\ncopy=pg_basebackup -D /data/mirror/gpseg0\n', []);
    await expect(assertSafeToWrite(ctxCopy, item, [primary, mirror])).rejects.toThrow(/a copy is running into it \(pg_basebackup -D \/data\/mirror\/gpseg0\)/);
  });

  it('says the catalog\'s refusal, not what the host showed, when the catalog no longer holds the segment down', async () => {
    const up = { ...mirror, status: 'u' as const };
    await expect(assertSafeToWrite(hostAnswering('exists=1\npid=4242\nlive=1\n', []), item, Promise.resolve([primary, up])))
      .rejects.toThrow(/^refusing to write into its directory: /);
  });
});

describe('the write guard\'s order when the catalog is read beside the look at the host', () => {
  const refusedHost = (): ClusterContext => ({ host: () => { throw new Error('host sdw2 is not in the cluster configuration'); }, bin: '/usr/local/gp/bin' }) as unknown as ClusterContext;

  it('given rows already read, a refusal by the catalog contacts no host', async () => {
    const asked: string[] = [];
    const up = { ...mirror, status: 'u' as const };
    await expect(assertSafeToWrite(hostAnswering('exists=1\n', asked), item, [primary, up])).rejects.toThrow(/^refusing to write into its directory: /);
    expect(asked).toEqual([]);
  });

  it('a catalog that cannot be read fails the guard with its own error, whatever the host said', async () => {
    const unread = Promise.reject(new Error('cannot connect to the coordinator'));
    await expect(assertSafeToWrite(hostAnswering('exists=1\npid=4242\nlive=1\n', []), item, unread)).rejects.toThrow('cannot connect to the coordinator');
  });

  it('the catalog\'s refusal comes before a host the configuration refuses, and before a bad path', async () => {
    const up = { ...mirror, status: 'u' as const };
    await expect(assertSafeToWrite(refusedHost(), item, Promise.resolve([primary, up]))).rejects.toThrow(/^refusing to write into its directory: /);
    await expect(assertSafeToWrite(refusedHost(), item, Promise.resolve([primary, mirror]))).rejects.toThrow('host sdw2 is not in the cluster configuration');
    const relativeRow = { ...mirror, datadir: 'data/mirror' };
    const relative = { ...item, failed: relativeRow, target: { ...item.target, datadir: 'data/mirror' } };
    await expect(assertSafeToWrite(refusedHost(), relative, Promise.resolve([primary, relativeRow]))).rejects.toThrow(/^refusing to write into sdw2:data\/mirror: /);
  });
});

describe("the write guard's look at the host (probeWriters), with a real shell", () => {
  it('sees a postmaster whose working directory is the data directory, and a copy tool naming it; nothing else', async () => {
    const exec = new LocalExecutor('localhost');
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-writers-')));
    expect(await probeWriters(exec, dir)).toEqual({ reachable: true, postmasterLive: false, postmasterPid: undefined, copyRunning: undefined });
    const postmaster = spawn('sleep', ['30'], { cwd: dir, stdio: 'ignore' });
    // A copy tool's command line: cat waits on its stdin before it would read the directory named after it.
    const copy = spawn('cat', ['-', dir], { argv0: 'pg_basebackup', stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      fs.writeFileSync(path.join(dir, 'postmaster.pid'), `${postmaster.pid}\n${dir}\n`);
      await sleep(100);
      expect(await probeWriters(exec, dir)).toEqual({ reachable: true, postmasterLive: true, postmasterPid: postmaster.pid, copyRunning: `pg_basebackup - ${dir}` });
      // A hung postmaster (stopped, not dead) still owns its directory.
      process.kill(postmaster.pid!, 'SIGSTOP');
      expect(await probeWriters(exec, dir)).toMatchObject({ postmasterLive: true, postmasterPid: postmaster.pid });
      process.kill(postmaster.pid!, 'SIGCONT');
      // A pid the system gave to a process of another directory is no postmaster of this one.
      fs.writeFileSync(path.join(dir, 'postmaster.pid'), `${copy.pid}\n${dir}\n`);
      expect(await probeWriters(exec, dir)).toMatchObject({ postmasterLive: false, postmasterPid: copy.pid });
    } finally {
      postmaster.kill();
      copy.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
