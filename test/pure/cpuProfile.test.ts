// The bench's split of a sim worker's thread time (bench/cpuProfile.ts), on a hand-made profile and on one node wrote.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { categoryOf, summarizeCpuProfile, summarizeProfileDir } from '../../bench/cpuProfile';

describe('CPU profile of a sim worker thread', () => {
  it('splits the samples by the leaf frame, idle apart, nothing counted twice', () => {
    const frame = (functionName: string, url = '') => ({ functionName, url });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)') },
        { id: 2, callFrame: frame('(idle)') },
        { id: 3, callFrame: frame('runInContext') },
        { id: 4, callFrame: frame('activate', 'file:///tmp/gprecover-bench-x/workflows.js') },
        { id: 5, callFrame: frame('fromPayload', 'file:///w/node_modules/@temporalio/common/lib/converter/payload-converter.js') },
        { id: 6, callFrame: frame('(garbage collector)') },
        { id: 7, callFrame: frame('fakeSegments', 'file:///w/testkit/fakeCluster.ts') },
      ],
      samples: [2, 3, 3, 4, 5, 6, 7, 1],
      timeDeltas: [5000, 1000, 1000, 2000, 500, 250, 250, 1000],
    };
    const t = summarizeCpuProfile(profile);
    expect(t.sampledMs).toBe(11);
    expect(t.idleMs).toBe(5);
    expect(t.busyMs).toBe(6);
    expect(t.byCategory).toEqual({ watchdog: 2, workflow: 2, sdk: 0.5, bridge: 0, activities: 0.25, gc: 0.25, other: 1 });
    expect(categoryOf(frame('runInContext', 'node:vm'))).toBe('other');
    expect(categoryOf(frame('x', 'evalmachine.<anonymous>'))).toBe('workflow');
    expect(categoryOf(frame('x', 'file:///w/node_modules/rxjs/dist/cjs/internal/Subscriber.js'))).toBe('sdk');
  });

  // What the category claims: with a timeout, the time of a call into a vm context is Node's watchdog thread.
  it('node\'s own profile: a call into a vm context costs far more under the watchdog with a timeout than without', () => {
    const perCall = (options: string) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-cpuprof-'));
      try {
        const script = `const vm = require('node:vm'); const ctx = vm.createContext({}); const s = new vm.Script('1 + 1');
          for (let i = 0; i < 3000; i++) s.runInContext(ctx, ${options});`;
        const res = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '-e', script], { encoding: 'utf8' });
        expect(res.status, res.stderr).toBe(0);
        const [main] = summarizeProfileDir(dir);
        expect(main.file).toMatch(/\.0\.\d+\.cpuprofile$/);
        return main.byCategory.watchdog / 3000;
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
    expect(perCall('{ timeout: 5000 }')).toBeGreaterThan(10 * Math.max(perCall('{}'), 0.0005));
  });
});
