import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Executor } from '../../cluster/exec/executor';
import { LocalExecutor } from '../../cluster/exec/local';
import { batchesByKey } from '../../cluster/limit';
import { probeDir, probeDirs } from '../../cluster/segment/probeDir';
import type { DirProbeRequest } from '../../domain/probe';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-probedirs-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function counting(exec: Executor): Executor & { calls: number } {
  const counted = {
    calls: 0,
    kind: exec.kind,
    host: exec.host,
    run: (argv: string[], opts?: Parameters<Executor['run']>[1]) => {
      counted.calls++;
      return exec.run(argv, opts);
    },
    close: () => exec.close(),
  };
  return counted as Executor & { calls: number };
}

describe('probeDirs: several directories of a host in one round trip', () => {
  it('answers for each directory what probing it alone answers, in the order asked', async () => {
    const full = path.join(root, 'full dir');
    fs.mkdirSync(path.join(full, 'global'), { recursive: true });
    // A file's lines cannot pass for another directory's answer.
    fs.writeFileSync(path.join(full, 'PG_VERSION'), '15\n@1\nexists=1\n');
    fs.writeFileSync(path.join(full, 'standby.signal'), '');
    fs.writeFileSync(path.join(full, 'postmaster.pid'), '999999999\n');
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const at = (datadir: string, extra: Partial<DirProbeRequest> = {}, p = port): DirProbeRequest => ({ location: { hostname: 'sdw1', address: '127.0.0.1', port: p, datadir }, ...extra });
      const reqs = [
        at(full, { checkPort: true }),
        at(path.join(root, 'not there', 'deep'), { checkSpace: true, checkPort: true }, 1),
        at(empty, { checkRsync: true }),
        at('/nonexistent-gprecover', { checkSpace: true }),
      ];
      const exec = counting(new LocalExecutor('sdw1'));
      const batch = await probeDirs(exec, '/nonexistent-bin', reqs);
      expect(exec.calls).toBe(1);
      const alone = [];
      for (const r of reqs) alone.push(await probeDir(exec, '/nonexistent-bin', r));
      // Free space moves between the two looks.
      const steady = (ps: typeof batch) => ps.map((p) => ({ ...p, ...(p.space ? { space: { ...p.space, freeKb: typeof p.space.freeKb } } : {}) }));
      expect(steady(batch)).toEqual(steady(alone));
      expect(batch.map((p) => [p.location.datadir, p.reachable, p.exists, p.empty, p.portInUse, p.pgBinMissing])).toEqual([
        [full, true, true, false, true, true],
        [path.join(root, 'not there', 'deep'), true, false, true, false, true],
        [empty, true, true, true, undefined, true],
        ['/nonexistent-gprecover', true, false, true, undefined, true],
      ]);
      expect(batch[0]).toMatchObject({ pgVersion: '15', standbySignal: true, postmasterPid: 999999999, postmasterLive: false });
      expect(batch[1].space).toMatchObject({ ancestor: root, writable: true });
      expect(typeof batch[2].rsyncVersion).toBe('string');
    } finally {
      server.close();
    }
  });

  it('a host that does not answer leaves every directory of the batch unreachable, with its reason', async () => {
    const failing: Executor = { kind: 'ssh', host: 'sdw9', run: async () => { throw new Error('connect ECONNREFUSED'); }, close: async () => undefined };
    const probes = await probeDirs(failing, '/usr/bin', [{ location: { hostname: 'sdw9', address: 'sdw9', port: 1, datadir: '/a' } }, { location: { hostname: 'sdw9', address: 'sdw9', port: 1, datadir: '/b' } }]);
    expect(probes.map((p) => [p.location.datadir, p.reachable, p.error])).toEqual([['/a', false, 'connect ECONNREFUSED'], ['/b', false, 'connect ECONNREFUSED']]);
  });
});

describe('batchesByKey', () => {
  it('puts a host\'s items in at most perKey batches of at least minBatch, never two hosts in one', () => {
    const items = [...Array.from({ length: 3 }, (_, i) => `a${i}`), ...Array.from({ length: 16 }, (_, i) => `b${i}`), ...Array.from({ length: 100 }, (_, i) => `c${i}`)];
    const batches = batchesByKey(items, (x) => x[0], { perKey: 4, minBatch: 4 });
    const sizes = (k: string) => batches.filter((b) => b.key === k).map((b) => b.items.length);
    expect(sizes('a')).toEqual([3]);
    expect(sizes('b')).toEqual([4, 4, 4, 4]);
    expect(sizes('c')).toEqual([25, 25, 25, 25]);
    expect(batches.every((b) => b.items.every((x) => x[0] === b.key))).toBe(true);
    expect(batches.flatMap((b) => b.items).sort()).toEqual([...items].sort());
  });
});
