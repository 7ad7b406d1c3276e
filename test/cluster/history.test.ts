import { beforeAll, describe, expect, it, vi } from 'vitest';
import { listRuns } from '../../client/commands/history';
import { parseSince } from '../../domain/visibilityQuery';
import { main } from '../../client/main';
import type { TemporalHarness } from '../helpers/temporal';
import { eventually, useScenarios, type Scenarios } from '../helpers/stubRuns';

/** Runs main() with console output captured. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('gprecover history against real runs in the dev server', () => {
  const ctx = useScenarios('history');
  let h: TemporalHarness;
  let s: Scenarios;
  beforeAll(() => ({ h, s } = ctx()));

  it('the scenarios ran as intended', () => {
    expect(s.succeeded.ok).toBe(true);
    expect(s.failed.ok).toBe(false);
    expect(s.dryRun.ok).toBe(true);
    expect(s.rebalanced.ok).toBe(true);
  });

  it('lists a cluster\'s runs newest first, without the dry run, with type, contents and outcome', async () => {
    const rows = await eventually(async () => {
      const r = await listRuns(h.client, { cluster: s.clusters.a.name }, 20);
      expect(r.map((x) => x.runId)).toEqual([s.failed.runId, s.succeeded.runId]);
      return r;
    });
    expect(rows[0]).toMatchObject({ workflowId: `gprecover-${s.clusters.a.name}`, recoveryType: 'full', contents: ['0', '1'], outcome: 'failed', status: 'failed', cluster: s.clusters.a.name });
    expect(rows[1]).toMatchObject({ recoveryType: 'incremental', contents: ['0', '1'], outcome: 'succeeded', status: 'completed' });
    // dbid 4's copy was retried after 2 s: the run cannot have taken less.
    expect(rows[1].durationMs).toBeGreaterThanOrEqual(2000);
    expect(rows.every((r) => r.children === undefined)).toBe(true);
  });

  it('--all adds the dry run and each run\'s segment workflows', async () => {
    const rows = await eventually(async () => {
      const r = await listRuns(h.client, { cluster: s.clusters.a.name, all: true }, 20);
      expect(r).toHaveLength(3);
      expect(r.find((x) => x.runId === s.failed.runId)?.children).toHaveLength(2);
      return r;
    });
    expect(rows.find((r) => r.runId === s.dryRun.runId)).toMatchObject({ outcome: 'dry-run', workflowId: s.dryRun.workflowId });
    const kids = rows.find((r) => r.runId === s.failed.runId)!.children!;
    expect(kids.map((k) => [k.workflowId, k.status])).toEqual([
      [`gprecover-${s.clusters.a.name}-${s.failed.runId.slice(0, 8)}-dbid4`, 'completed'],
      [`gprecover-${s.clusters.a.name}-${s.failed.runId.slice(0, 8)}-dbid5`, 'failed'],
    ]);
    expect(rows.find((r) => r.runId === s.succeeded.runId)!.children!.map((k) => k.status)).toEqual(['completed', 'completed']);
  });

  it('filters by status, type and start time', async () => {
    const ids = async (f: Parameters<typeof listRuns>[1]) => (await listRuns(h.client, f, 20)).map((r) => r.runId);
    const a = s.clusters.a.name;
    await eventually(async () => expect(await ids({ cluster: a, status: 'failed' })).toEqual([s.failed.runId]));
    expect(await ids({ cluster: a, status: 'completed' })).toEqual([s.succeeded.runId]);
    expect(await ids({ cluster: a, status: 'completed', all: true })).toEqual([s.dryRun.runId, s.succeeded.runId]);
    expect(await ids({ cluster: a, status: 'running' })).toEqual([]);
    expect(await ids({ cluster: a, type: 'full' })).toEqual([s.failed.runId]);
    expect(await ids({ cluster: a, type: 'incremental' })).toEqual([s.succeeded.runId]);
    expect(await ids({ cluster: a, since: parseSince('30m') })).toHaveLength(2);
    expect(await ids({ cluster: a, since: new Date(Date.now() + 3_600_000) })).toEqual([]);
    const reb = await listRuns(h.client, { cluster: s.clusters.rebalance.name, type: 'rebalance' }, 20);
    expect(reb).toMatchObject([{ runId: s.rebalanced.runId, workflowType: 'rebalanceWorkflow', recoveryType: 'rebalance', outcome: 'succeeded', contents: ['0'] }]);
  });

  it('matches a cluster name containing a quote exactly, running and then cancelled', async () => {
    const q = s.clusters.quoted.name;
    await eventually(async () => expect(await listRuns(h.client, { cluster: q, status: 'running' }, 20)).toMatchObject([{ runId: s.running.runId, outcome: 'running', status: 'running', contents: ['0'] }]));
    // The same name without its quote is another cluster.
    expect(await listRuns(h.client, { cluster: q.replace("'", '') }, 20)).toEqual([]);
    const handle = h.client.workflow.getHandle(s.running.workflowId, s.running.runId);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    await eventually(async () => expect(await listRuns(h.client, { cluster: q, status: 'cancelled' }, 20)).toMatchObject([{ runId: s.running.runId, outcome: 'cancelled' }]));
  });

  it('prints the table through the CLI, and --limit caps it', async () => {
    const a = s.clusters.a.name;
    const r = await cli(['history', '--cluster', a, '--all']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^START \(UTC\)\s+WORKFLOW ID\s+RUN\s+TYPE\s+CONTENTS\s+OUTCOME\s+DURATION\s+BY\s+ERROR$/);
    expect(lines).toHaveLength(1 + 3 + 4);
    expect(r.out).toContain(`gprecover-${a}  `);
    expect(r.out).toMatch(new RegExp(`${s.failed.runId.slice(0, 8)}\\s+full\\s+0,1\\s+failed\\s+\\S+\\s+alice@ops-1\\s`));
    expect(r.out).toMatch(/└ \S+-dbid5\s+\S+\s+segment\s+dbid 5\s+failed/);

    const one = await cli(['history', '--limit', '1', '--json']);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.out)).toHaveLength(1);

    const all = await cli(['history', '--since', '1h']);
    expect(all.out.split('\n')[0]).toContain('CLUSTER');
    expect(all.out).toContain(s.clusters.rebalance.name);
  });

  it('refuses bad options with one line and exit 2, before connecting', async () => {
    for (const [args, msg] of [
      [['--since', '7x'], "gprecover history: --since must be a duration like 30m, 24h, 7d or 2w, or a date like 2024-05-01, not '7x'"],
      [['--status', 'broken'], "gprecover history: --status must be one of running, completed, failed, cancelled, terminated, timed-out, not 'broken'"],
      [['--type', 'fast'], "gprecover history: --type must be one of full, incremental, differential, rebalance, mixed, not 'fast'"],
      [['--limit', '0'], "gprecover history: --limit must be a whole number from 1 to 10000, not '0'"],
      [['--bogus'], /^gprecover history: Unknown option '--bogus'/],
      [['extra'], "gprecover history: Unexpected argument 'extra'. This command does not take positional arguments"],
    ] as const) {
      const r = await cli(['history', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      if (typeof msg === 'string') expect(r.err).toBe(msg);
      else expect(r.err).toMatch(msg);
    }
  });
});
