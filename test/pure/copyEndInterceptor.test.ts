// The copy step tells its run that the copy is over (activities/copyEndInterceptor.ts) only when asked, only for a
// copy that succeeded, and says so in its outcome; a run it cannot tell is left to the segment's workflow.
import { describe, expect, it } from 'vitest';
import type { ActivityExecuteInput } from '@temporalio/worker';
import type { Context } from '@temporalio/activity';
import { copyEndInterceptor } from '../../activities/copyEndInterceptor';
import type { CopyOutcome } from '../../domain/activities';

interface Told { workflowId: string; runId: string; signal: string; args: unknown[] }

function contextFor(activityType: string, signal: (t: Told) => Promise<void>, warnings: string[], workflowId = 'gprecover-c-1-0f1e2d3c-dbid7'): Context {
  const client = {
    withDeadline: <R>(_: number, fn: () => Promise<R>) => fn(),
    workflow: {
      getHandle: (workflowId: string, runId: string) => ({
        signal: (def: { name: string }, ...args: unknown[]) => signal({ workflowId, runId, signal: def.name, args }),
      }),
    },
  };
  const info = { activityType, isLocal: false, workflowType: 'segmentRecoveryWorkflow', workflowExecution: { workflowId, runId: 'r' } };
  return { info, client, log: { warn: (m: string) => warnings.push(m) } } as unknown as Context;
}

const copied: CopyOutcome = { method: 'pg_basebackup', attached: false };
const run = { workflowId: 'gprecover-c-1', runId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0' };
const call = (ctx: Context, args: unknown, outcome: () => Promise<unknown>) =>
  copyEndInterceptor(ctx).inbound!.execute!({ args: [args], headers: {} } as ActivityExecuteInput, outcome);

describe('the copy step tells its run that the copy is over', () => {
  it('a copy asked to tells the run with its dbid once it succeeded, and its outcome says so', async () => {
    const told: Told[] = [];
    const out = await call(contextFor('copySegment', async (t) => void told.push(t), []), { item: { dbid: 7 }, tellRun: run }, async () => copied);
    expect(told).toEqual([{ ...run, signal: 'copyEnded', args: [{ dbid: 7 }] }]);
    expect(out).toEqual({ ...copied, runTold: true });
  });

  it('a copy not asked to, another step, or a failed copy tells no one', async () => {
    const told: Told[] = [];
    const ctx = contextFor('copySegment', async (t) => void told.push(t), []);
    expect(await call(ctx, { item: { dbid: 7 } }, async () => copied)).toEqual(copied);
    expect(await call(contextFor('wipeTarget', async (t) => void told.push(t), []), { item: { dbid: 7 }, tellRun: run }, async () => ({ cleared: true }))).toEqual({ cleared: true });
    await expect(call(ctx, { item: { dbid: 7 }, tellRun: run }, async () => { throw new Error('pg_basebackup exited with 1'); })).rejects.toThrow('exited with 1');
    expect(told).toEqual([]);
  });

  it("a step tells no run but its own workflow's parent, whatever its input names", async () => {
    const told: Told[] = [];
    const warnings: string[] = [];
    const stranger = contextFor('copySegment', async (t) => void told.push(t), warnings, 'made-up-child');
    expect(await call(stranger, { item: { dbid: 7 }, tellRun: run }, async () => copied)).toEqual(copied);
    const otherDbid = contextFor('copySegment', async (t) => void told.push(t), warnings);
    expect(await call(otherDbid, { item: { dbid: 8 }, tellRun: run }, async () => copied)).toEqual(copied);
    expect(told).toEqual([]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^dbid 7: the copy step tells no run of its copy's end: gprecover-c-1 is not the run of its workflow/);
  });

  it('a run that cannot be told leaves the outcome as it was, so the segment tells it, and says why', async () => {
    const warnings: string[] = [];
    const ctx = contextFor('copySegment', async () => { throw new Error('workflow execution already completed'); }, warnings);
    const out = await call(ctx, { item: { dbid: 7 }, tellRun: run }, async () => copied);
    expect(out).toEqual(copied);
    expect(warnings).toEqual(['dbid 7: the copy step could not tell its run the copy is over, the segment will: workflow execution already completed']);
  });
});
