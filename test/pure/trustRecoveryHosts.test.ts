// trustRecoveryHosts on fake hosts: each source primary's pg_hba.conf is its own file, so the files of sources on
// different hosts are read at the same time, not in turn (#9466 had 334 segments in one run).
import { setTimeout as sleep } from 'node:timers/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import type { ActivityContext } from '../../activities/context';
import { createPgHbaActivities } from '../../activities/pgHba';
import type { ClusterConfig } from '../../cluster/config';
import { ClusterContext } from '../../cluster/context';
import type { Executor, RunResult } from '../../cluster/exec/executor';
import { hbaEntries, withHbaEntries } from '../../cluster/pgHba';
import type { TrustHostsOutcome } from '../../domain/activities';
import type { SegmentPlan } from '../../domain/recovery';
import type { SegmentRow } from '../../domain/segment';

const HOSTS = ['sdw1', 'sdw2', 'sdw3', 'sdw4'];
const ip = (host: string) => `10.0.0.${HOSTS.indexOf(host) + 1}`;
const row = (over: Partial<SegmentRow>): SegmentRow => ({
  dbid: 2, content: 0, role: 'p', preferredRole: 'p', mode: 'n', status: 'u', port: 1, hostname: 'sdw1', address: '127.0.0.1', datadir: '/data/primary/gpseg0', ...over,
});

/** content c: its primary on HOSTS[c], its failed mirror on the next host. */
function layout(contents: number): { segments: SegmentRow[]; items: SegmentPlan[] } {
  const segments: SegmentRow[] = [];
  const items: SegmentPlan[] = [];
  for (let c = 0; c < contents; c++) {
    const p = row({ dbid: 2 + c, content: c, hostname: HOSTS[c % 4], datadir: `/data/primary/gpseg${c}` });
    const m = row({ dbid: 100 + c, content: c, role: 'm', preferredRole: 'm', status: 'd', hostname: HOSTS[(c + 1) % 4], datadir: `/data/mirror/gpseg${c}` });
    segments.push(p, m);
    items.push({ content: c, dbid: m.dbid, type: 'full', failed: m, source: p, target: { hostname: m.hostname, address: m.address, port: m.port, datadir: m.datadir }, moved: false });
  }
  return { segments, items };
}

describe('trustRecoveryHosts', () => {
  it('reads the pg_hba.conf of sources on different hosts at once, and keeps the plan order in its outcome', async () => {
    const { segments, items } = layout(4);
    const cfg = { name: 'fake', coordinator: { host: '127.0.0.1', port: 1, user: 'gpadmin' }, pgBin: '/usr/bin' } as unknown as ClusterConfig;
    const ctx = ClusterContext.of(cfg, 'postgres');
    let reading = 0;
    let mostAtOnce = 0;
    let readsDone = 0;
    const fault: { failWith?: { content: number; stderr: string } } = {};
    const hostOf = (at: { hostname: string }): Executor => ({
      host: at.hostname,
      kind: 'ssh',
      close: async () => undefined,
      async run(argv: string[]): Promise<RunResult> {
        if (argv[0] === 'cat') {
          reading++;
          mostAtOnce = Math.max(mostAtOnce, reading);
          const item = items.find((i) => argv[1] === `${i.source.datadir}/pg_hba.conf`)!;
          if (fault.failWith?.content === item.content) {
            reading--;
            return { code: 1, stdout: '', stderr: fault.failWith.stderr };
          }
          await sleep(100);
          reading--;
          readsDone++;
          // Every entry is there already; the files of contents 1 and 2 cannot be read.
          if (item.content === 1 || item.content === 2) return { code: 1, stdout: '', stderr: 'cat: Permission denied' };
          const entries = hbaEntries({ user: 'gpadmin', mirror: [ip(item.target.hostname)], primary: [ip(item.source.hostname)] });
          return { code: 0, stdout: withHbaEntries('', entries, false)!, stderr: '' };
        }
        return { code: 0, stdout: `${ip(at.hostname)}\n`, stderr: '' };
      },
    });
    Object.assign(ctx, { host: hostOf });
    const actx = { cluster: async () => ctx, segments: async () => segments } as unknown as ActivityContext;
    const { trustRecoveryHosts } = createPgHbaActivities(actx);
    const began = Date.now();
    const out: TrustHostsOutcome = await new MockActivityEnvironment().run(trustRecoveryHosts, { cluster: 'fake', items: [...items].reverse() });
    const took = Date.now() - began;
    // Refused in the plan's order (here reversed), whichever file was read first.
    expect(out.changed).toEqual([]);
    expect(out.refused.map((r) => [r.dbid, r.reason])).toEqual([102, 101].map((d) => [d, expect.stringMatching(/^cat failed on sdw[23] \(exit 1\): cat: Permission denied/)]));
    expect(mostAtOnce, 'files on different hosts read at the same time').toBe(4);
    expect(took, 'four reads of 100 ms at once').toBeLessThan(300);

    // Review: a failure that is not the DBA's (an I/O error) failed the activity at once, while the other files were
    // still being read, written or put back; the retry could then find a file half done. Every item ends first now.
    readsDone = 0;
    fault.failWith = { content: 0, stderr: 'cat: read error: Input/output error' };
    const failed = await new MockActivityEnvironment().run(trustRecoveryHosts, { cluster: 'fake', items }).catch((e: unknown) => e);
    expect(String(failed)).toMatch(/cat failed on sdw1 \(exit 1\): cat: read error: Input\/output error/);
    expect(readsDone, 'the other three files were read to the end before the activity failed').toBe(3);
    await ctx.close();
  });
});
