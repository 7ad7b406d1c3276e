// The workflows' decisions with mocked activities on Temporal's time-skipping test server: the -B/-b scheduler,
// back-out on failure and on cancel, the sync timeout, retries decided by failure type, the outage bound.
// Timers and retry backoffs pass instantly; nothing here touches PostgreSQL.
import { describe, expect, it } from 'vitest';
import { cancelled, heartbeat, sleep } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { RecoveryActivities } from '../../domain/activities';
import { activityInterceptors } from '../../activities/interceptors';
import { recordCalls, type ActivityCall } from '../../testkit/callLog';
import { fakeActivities } from '../../testkit/fakeActivities';
import { fakeSnapshot } from '../../testkit/fakeCluster';
import { FailureType, NotReadyError, PermanentError, UnavailableError } from '../../domain/failures';
import type { RecoveryInput } from '../../domain/recovery';
import { recoveryWorkflow } from '../../workflows';
import { copyEndedSignal, pauseUpdate, recoveryStatusQuery, resumeUpdate, segmentProgressQuery } from '../../workflows/messages';
import { useTimeSkippingEnv } from '../helpers/timeSkipping';
import { until } from '../helpers/until';
import { workflowBundle } from '../helpers/temporal';

/** Two hosts, four contents (two primaries per host); primaries dbid 2-5, mirrors dbid 6-9 (group mirroring). */
const shape = (down: number[]) => ({ contents: 4, perHost: 2, down, spareHosts: 1 });

interface Calls {
  /** Every activity call, in order (retries included). */
  log: ActivityCall[];
  backOuts: Array<{ dbid: number; reason: string }>;
  /** copies running at once: per host, and how many hosts */
  maxPerHost: number;
  maxHosts: number;
}

/** A cluster whose every step succeeds at once, unless a test overrides it; the copies count how many run at once. */
const callsOf = new WeakMap<RecoveryActivities, Calls>();

function mockActivities(down: number[], calls: Calls, over: Partial<RecoveryActivities> = {}): RecoveryActivities {
  const running = new Map<string, number>();
  const activities = fakeActivities({
    snapshot: (cluster) => fakeSnapshot(cluster, shape(down)),
    progress: 'returns',
    overrides: {
      async backOutCatalog(input) {
        calls.backOuts.push({ dbid: input.item.dbid, reason: input.reason });
        return true;
      },
      async copySegment(input) {
        const host = input.item.target.hostname;
        running.set(host, (running.get(host) ?? 0) + 1);
        calls.maxPerHost = Math.max(calls.maxPerHost, running.get(host)!);
        calls.maxHosts = Math.max(calls.maxHosts, [...running.values()].filter((n) => n > 0).length);
        await sleep(100);
        running.set(host, running.get(host)! - 1);
        return { method: 'pg_rewind', attached: false };
      },
      ...over,
    },
  });
  callsOf.set(activities, calls);
  return activities;
}

/** A copy that heartbeats until the workflow cancels it; `started` resolves once it runs. */
function copyUntilCancelled(): { started: Promise<void>; run: () => Promise<never> } {
  let copying: () => void = () => undefined;
  const started = new Promise<void>((r) => (copying = r));
  return {
    started,
    async run() {
      copying();
      for (;;) {
        heartbeat('pg_basebackup 1024/4096 kB (25%)');
        await Promise.race([cancelled(), sleep(200)]);
      }
    },
  };
}

const freshCalls = (): Calls => ({ log: [], backOuts: [], maxPerHost: 0, maxHosts: 0 });
const count = (calls: Calls, name: string) => calls.log.filter((c) => c.name === name).length;
const moveLine = 'sdw2|10.0.2.1|7000|/data/mirror/gpseg0 sdw3|10.0.3.1|7000|/data/mirror/gpseg0';

describe('workflow decisions (mocked activities, time-skipping test server)', () => {
  const env = useTimeSkippingEnv();
  let seq = 0;

  /** Runs recoveryWorkflow on a worker with these activities; the failure interceptor is the production one. */
  async function run(activities: RecoveryActivities, input: Omit<RecoveryInput, 'cluster'>, during?: (workflowId: string) => Promise<void>) {
    const calls = callsOf.get(activities);
    const taskQueue = `logic-${++seq}`;
    const worker = await Worker.create({
      connection: env().nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities,
      interceptors: { activity: [recordCalls(calls?.log ?? []), ...activityInterceptors] },
      // As in production (worker/createWorker.ts): cancellation reaches a heartbeating activity within a second.
      maxHeartbeatThrottleInterval: '1s', defaultHeartbeatThrottleInterval: '1s',
    });
    const workflowId = `logic-${seq}`;
    return worker.runUntil(async () => {
      const handle = await env().client.workflow.start(recoveryWorkflow, { taskQueue, workflowId, args: [{ cluster: 'c', ...input }] });
      if (during) await during(workflowId);
      return handle.result().then((r) => ({ ok: true as const, r }), (err: unknown) => ({ ok: false as const, err }));
    });
  }

  it('-B 1 -b 2: one host at a time, two segments on it at once; -B 2 -b 1: one per host', async () => {
    const tight = freshCalls();
    const a = await run(mockActivities([6, 7, 8, 9], tight), { hostParallelism: 1, segmentParallelism: 2 });
    expect(a.ok && a.r.succeeded).toBe(4);
    expect({ hosts: tight.maxHosts, perHost: tight.maxPerHost }).toEqual({ hosts: 1, perHost: 2 });
    const wide = freshCalls();
    const b = await run(mockActivities([6, 7, 8, 9], wide), { hostParallelism: 2, segmentParallelism: 1 });
    expect(b.ok && b.r.succeeded).toBe(4);
    expect({ hosts: wide.maxHosts, perHost: wide.maxPerHost }).toEqual({ hosts: 2, perHost: 1 });
  });

  it('segments take free slots largest source first, each as soon as a slot frees; unknown sizes go last', async () => {
    const GB = 1024 ** 3;
    // Sources of the mirrors 6-9 are the primaries 2-5; dbid 4's size is unknown.
    const sizes = new Map([[2, 1 * GB], [3, 400 * GB], [5, 2048 * GB]]);
    const calls = freshCalls();
    const base = fakeActivities({ snapshot: (c) => fakeSnapshot(c, shape([6, 7, 8, 9])), progress: 'returns' });
    const res = await run(mockActivities([6, 7, 8, 9], calls, {
      async probeTargets(input) {
        const probe = await base.probeTargets(input);
        return { ...probe, sources: probe.sources.map((s) => ({ ...s, ...(sizes.has(s.dbid) ? { sizeBytes: sizes.get(s.dbid) } : {}) })) };
      },
    }), { hostParallelism: 1, segmentParallelism: 1 });
    expect(res.ok).toBe(true);
    const started = calls.log.filter((c) => c.name === 'copySegment').map((c) => (c.input as { item: { dbid: number } }).item.dbid);
    expect(started).toEqual([9, 7, 6, 8]);
  });

  /** Two segments under -B 1 -b 1, each copy logged as it starts; `later` are steps after the copy, which may hold dbid 6 back. */
  async function oneSlotFor6And7(later: (copiesStarted: () => number, events: string[]) => Partial<RecoveryActivities>): Promise<string[]> {
    const events: string[] = [];
    let copies = 0;
    const res = await run(mockActivities([6, 7], freshCalls(), {
      async copySegment(input) {
        events.push(`copy ${input.item.dbid}`);
        copies++;
        await sleep(100);
        return { method: 'pg_rewind', attached: false };
      },
      ...later(() => copies, events),
    }), { hostParallelism: 1, segmentParallelism: 1 });
    expect(res.ok).toBe(true);
    return events;
  }

  it('a slot frees when its copy ends: under -B 1 -b 1 the next copy runs while the first segment starts and syncs', async () => {
    const events = await oneSlotFor6And7((copiesStarted, seen) => ({
      async waitForSync(input) {
        // The first segment stays out of sync until the second one's copy has started.
        while (input.dbid === 6 && copiesStarted() < 2) await sleep(50);
        seen.push(`synced ${input.dbid}`);
        return { status: 'u', mode: 's', walBytesBehind: 0, streaming: true };
      },
    }));
    expect(events).toEqual(['copy 6', 'copy 7', 'synced 6', 'synced 7']);
  });

  it("a slot frees when its copy ends, not when the segment's start is over: the start runs inside the child's workflow task", async () => {
    const events = await oneSlotFor6And7((copiesStarted, seen) => ({
      async startRecoveredSegment(input) {
        // A start that takes seconds (pg_ctl start -w of a mirror replaying WAL): the next copy must not wait for it.
        const end = Date.now() + 5_000;
        while (input.item.dbid === 6 && copiesStarted() < 2 && Date.now() < end) await sleep(50);
        seen.push(`started ${input.item.dbid}`);
        return { alreadyRunning: false };
      },
    }));
    expect(events).toEqual(['copy 6', 'copy 7', 'started 6', 'started 7']);
  });

  /** Every step of a -F run under -B 1 -b 1 as `<step> <dbid>`, copies marked at their start and end; sources sized. */
  async function stepsOf(
    sizes: Map<number, number>, input: Omit<RecoveryInput, 'cluster'> = {}, during?: (workflowId: string, events: string[]) => Promise<void>,
    copying: (dbid: number, events: string[]) => Promise<void> = () => sleep(300),
  ) {
    const events: string[] = [];
    const base = fakeActivities({ snapshot: (c) => fakeSnapshot(c, shape([6, 7, 8])), progress: 'returns' });
    const dbidOf = (i: unknown) => (i as { item: { dbid: number } }).item.dbid;
    const res = await run(mockActivities([6, 7, 8], freshCalls(), {
      async probeTargets(i) {
        const probe = await base.probeTargets(i);
        return { ...probe, sources: probe.sources.map((s) => ({ ...s, ...(sizes.has(s.dbid) ? { sizeBytes: sizes.get(s.dbid) } : {}) })) };
      },
      async stopFailedSegment(i) {
        events.push(`stop ${dbidOf(i)}`);
        return base.stopFailedSegment(i);
      },
      async copySegment(i) {
        events.push(`copy ${dbidOf(i)}`);
        await copying(dbidOf(i), events);
        events.push(`copied ${dbidOf(i)}`);
        return { method: 'pg_basebackup', attached: false };
      },
    }), { full: true, hostParallelism: 1, segmentParallelism: 1, ...input }, during && ((id) => during(id, events)));
    return { res, events };
  }

  it('a big full segment stops and is updated while every slot is taken, then copies as soon as a slot frees; copies never overlap', async () => {
    const GB = 1024 ** 3;
    // Mirrors 6, 7, 8 copy from primaries 2, 3, 4: 400 GB, 2 TB, 400 GB.
    // Each copy runs until the next in start order has stopped (or 20 s): only a segment started ahead stops meanwhile.
    const next: Record<number, string> = { 7: 'stop 6', 6: 'stop 8' };
    const { res, events } = await stepsOf(new Map([[2, 400 * GB], [3, 2048 * GB], [4, 400 * GB]]), {}, undefined, async (dbid, seen) => {
      const end = Date.now() + 20_000;
      while (next[dbid] && !seen.includes(next[dbid]) && Date.now() < end) await sleep(50);
    });
    expect(res.ok && res.r.succeeded).toBe(3);
    const copies = events.filter((e) => /^cop/.test(e));
    expect(copies).toEqual(['copy 7', 'copied 7', 'copy 6', 'copied 6', 'copy 8', 'copied 8']);
    // The next in start order has stopped before the copy ahead of it ended.
    expect(events.indexOf('stop 6')).toBeLessThan(events.indexOf('copied 7'));
    expect(events.indexOf('stop 8')).toBeLessThan(events.indexOf('copied 6'));
    // At most -B segments wait: the third waits its turn to start until the first copy is over.
    expect(events.indexOf('stop 8')).toBeGreaterThan(events.indexOf('copied 7'));
  });

  it('a segment of unknown or small size starts only when a slot frees, as before', async () => {
    const { res, events } = await stepsOf(new Map([[2, 512 * 1024 ** 2]]));
    expect(res.ok && res.r.succeeded).toBe(3);
    expect(events.filter((e) => /^(stop|cop)/.test(e))).toEqual([
      'stop 6', 'copy 6', 'copied 6', 'stop 7', 'copy 7', 'copied 7', 'stop 8', 'copy 8', 'copied 8',
    ]);
  });

  it('a segment that waits for its slot is not granted one while the run is paused, and copies once resumed', async () => {
    const GB = 1024 ** 3;
    let firstMayEnd = false;
    const { res, events } = await stepsOf(new Map([[2, 400 * GB], [3, 400 * GB], [4, 400 * GB]]), {}, async (workflowId, seen) => {
      const handle = env().client.workflow.getHandle(workflowId);
      await until('dbid 7 stopped ahead while dbid 6 copies', () => seen.includes('copy 6') && seen.includes('stop 7'));
      await handle.executeUpdate(pauseUpdate, { args: [{ requestedBy: 'test' }] });
      firstMayEnd = true;
      // Once the run has seen dbid 6 end, it would have granted dbid 7 its slot in that same workflow task: still
      // waiting a second later, it was not granted one.
      await until('dbid 6 over', () => seen.includes('copied 6'));
      const run = async () => handle.query(recoveryStatusQuery);
      await until('dbid 6 ended in the run', async () => (await run()).segments.find((x) => x.dbid === 6)?.state === 'succeeded');
      const seven = env().client.workflow.getHandle((await run()).segments.find((x) => x.dbid === 7)!.childWorkflowId);
      await until('dbid 7 waiting for its slot', async () => (await seven.query(segmentProgressQuery)).phase === 'waiting-for-slot');
      for (let i = 0; i < 10; i++) {
        expect((await seven.query(segmentProgressQuery)).phase).toBe('waiting-for-slot');
        await new Promise((r) => setTimeout(r, 100));
      }
      seen.push('resume');
      await handle.executeUpdate(resumeUpdate, { args: [{ requestedBy: 'test' }] });
    }, async (dbid) => {
      while (dbid === 6 && !firstMayEnd) await sleep(50);
    });
    expect(res.ok && res.r.succeeded).toBe(3);
    expect(events.filter((e) => /^(copy|resume)/.test(e))).toEqual(['copy 6', 'resume', 'copy 7', 'copy 8']);
  });

  it('a stray copyEnded, sent while the run plans or naming a segment that waits for its slot, neither wedges nor strands the run', async () => {
    const GB = 1024 ** 3;
    let strayed = false;
    const { res, events } = await stepsOf(new Map([[2, 400 * GB], [3, 2048 * GB], [4, 400 * GB]]), {}, async (workflowId, seen) => {
      const handle = env().client.workflow.getHandle(workflowId);
      // Buffered before the scheduler sets its handler: the run is still reading the catalog.
      await handle.signal(copyEndedSignal, { dbid: 7 });
      await until('dbid 6 stopped ahead while dbid 7 copies', () => seen.includes('copy 7') && seen.includes('stop 6'));
      await handle.signal(copyEndedSignal, { dbid: 6 });
      strayed = true;
    }, async (dbid, seen) => {
      // dbid 7 copies until dbid 6, told by the stray signal, has copied too (or 20 s).
      const end = Date.now() + 20_000;
      while (dbid === 7 && !(strayed && seen.includes('copied 6')) && Date.now() < end) await sleep(50);
    });
    expect(res.ok && res.r.succeeded).toBe(3);
    // The stray signal let dbid 6 copy beside dbid 7, as a forged grant could.
    expect(events.indexOf('copied 6')).toBeLessThan(events.indexOf('copied 7'));
  }, 60_000);

  it('a segment started ahead that fails before its copy ends its run normally: the run does not wait for it forever', async () => {
    const GB = 1024 ** 3;
    const base = fakeActivities({ snapshot: (c) => fakeSnapshot(c, shape([6, 7])), progress: 'returns' });
    let stopped6 = false;
    const res = await run(mockActivities([6, 7], freshCalls(), {
      async probeTargets(i) {
        const probe = await base.probeTargets(i);
        return { ...probe, sources: probe.sources.map((s) => ({ ...s, sizeBytes: s.dbid === 2 ? 400 * GB : 2048 * GB })) };
      },
      async stopFailedSegment(i) {
        if (i.item.dbid === 6) {
          stopped6 = true;
          throw new PermanentError('pg_ctl stop failed: the host refused it');
        }
        return base.stopFailedSegment(i);
      },
      async copySegment(i) {
        // dbid 7 copies until dbid 6 (started ahead) has failed, so that 6 is the last segment and still waiting.
        const end = Date.now() + 20_000;
        while (i.item.dbid === 7 && !stopped6 && Date.now() < end) await sleep(50);
        return { method: 'pg_basebackup', attached: false };
      },
    }), { full: true, hostParallelism: 1, segmentParallelism: 1 });
    expect(stopped6).toBe(true);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(((res.err as WorkflowFailedError).cause as Error).message).toMatch(/^1 of 2 segment\(s\) failed: dbid 6: pg_ctl stop failed/);
  }, 60_000);

  it('a non-retryable failure type runs once; an error that may pass is retried', async () => {
    const calls = freshCalls();
    const res = await run(mockActivities([6], calls, {
      stopFailedSegment: async () => {
        throw new PermanentError('permission denied on /data/mirror/gpseg0 (retrying cannot fix this)');
      },
    }), {});
    expect(res.ok).toBe(false);
    expect(count(calls, 'stopFailedSegment')).toBe(1);
    const cause = (res as { err: WorkflowFailedError }).err.cause as { type?: string; message: string };
    expect(cause).toMatchObject({ type: FailureType.RecoveryFailed, message: '1 of 1 segment(s) failed: dbid 6: permission denied on /data/mirror/gpseg0 (retrying cannot fix this)' });

    const flaky = freshCalls();
    let attempts = 0;
    const ok = await run(mockActivities([6], flaky, {
      copySegment: async () => {
        if (++attempts === 1) throw new Error('connection reset by peer');
        return { method: 'pg_rewind', attached: false };
      },
    }), {});
    expect(ok.ok).toBe(true);
    expect(count(flaky, 'copySegment')).toBe(2);
  });

  it('a move whose copy fails is backed out, with the root cause as the reason; one whose start fails keeps its new location', async () => {
    const calls = freshCalls();
    const failed = await run(mockActivities([6], calls, {
      copySegment: async () => {
        throw new PermanentError('pg_basebackup into sdw3:/data/mirror/gpseg0 failed (exit 1): No space left on device');
      },
    }), { recoverConfig: moveLine });
    expect(failed.ok).toBe(false);
    expect(((failed as { err: WorkflowFailedError }).err.cause as Error).message).toMatch(/No space left on device/);
    expect(count(calls, 'copySegment')).toBe(1);
    expect(calls.backOuts).toEqual([{ dbid: 6, reason: 'pg_basebackup into sdw3:/data/mirror/gpseg0 failed (exit 1): No space left on device' }]);

    const startFails = freshCalls();
    const res = await run(mockActivities([6], startFails, {
      startRecoveredSegment: async () => {
        throw new PermanentError('pg_ctl start of /data/mirror/gpseg0 on sdw3 failed');
      },
    }), { recoverConfig: moveLine });
    expect(res.ok).toBe(false);
    expect(startFails.backOuts).toEqual([]);
  });

  /** Cancels the run once `copy` runs. */
  const cancelWhenCopying = (copy: ReturnType<typeof copyUntilCancelled>) => async (workflowId: string) => {
    await copy.started;
    await env().client.workflow.getHandle(workflowId).cancel();
  };

  it('a cancelled move stops its copy, then backs the catalog out', async () => {
    const calls = freshCalls();
    const copy = copyUntilCancelled();
    const res = await run(mockActivities([6], calls, { copySegment: copy.run }), { recoverConfig: moveLine }, cancelWhenCopying(copy));
    expect(res.ok).toBe(false);
    expect((res as { err: WorkflowFailedError }).err.cause?.name).toBe('CancelledFailure');
    expect(calls.backOuts).toEqual([{ dbid: 6, reason: 'cancelled' }]);
  });

  it("the run's lock is given back only after every child has ended, backing out included", async () => {
    const calls = freshCalls();
    const copy = copyUntilCancelled();
    // Two children: a move cancelled mid-copy that backs its catalog change out (slowly), and an in-place copy.
    const twoLines = `${moveLine}\nsdw2|10.0.2.1|7001|/data/mirror/gpseg1`;
    const res = await run(mockActivities([6, 7], calls, {
      copySegment: async (input) => (input.item.moved ? copy.run() : { method: 'pg_rewind', attached: false }),
      backOutCatalog: async (input) => {
        await sleep(500);
        calls.backOuts.push({ dbid: input.item.dbid, reason: input.reason });
        calls.log.push({ name: 'backOutCatalog ended', attempt: 1, input });
        return true;
      },
    }), { recoverConfig: twoLines }, cancelWhenCopying(copy));
    expect(res.ok).toBe(false);
    expect((res as { err: WorkflowFailedError }).err.cause?.name).toBe('CancelledFailure');
    expect(calls.backOuts).toEqual([{ dbid: 6, reason: 'cancelled' }]);
    const order = calls.log.map((c) => c.name);
    expect(order.indexOf('releaseRecoveryLock')).toBeGreaterThan(order.indexOf('backOutCatalog ended'));
    expect(order.filter((n) => n === 'releaseRecoveryLock')).toHaveLength(1);
    expect(order.at(-1)).toBe('releaseRecoveryLock');
  });

  it('a mirror that never reaches u/s fails its segment at the sync timeout; the run is not cancelled', async () => {
    const calls = freshCalls();
    // Each look finds the mirror still behind; between looks the test server skips the retry backoff, so the
    // workflow's two-minute timer is what ends the wait (a running activity would hold the server's clock).
    const res = await run(mockActivities([6], calls, {
      waitForSync: async () => {
        throw new NotReadyError('status d mode n, 4096 WAL bytes behind');
      },
    }), { syncTimeoutMinutes: 2 });
    expect(res.ok).toBe(false);
    expect(count(calls, 'waitForSync')).toBeGreaterThan(2);
    const cause = (res as { err: WorkflowFailedError }).err.cause as { type?: string; message: string };
    expect(cause.type).toBe(FailureType.RecoveryFailed);
    expect(cause.message).toMatch(/^1 of 1 segment\(s\) failed: dbid 6: dbid 6 was not marked up and in sync \(u\/s\) within 2 minute\(s\)/);
  });

  it('an unreachable coordinator is waited for up to the outage bound, then the run fails naming it', async () => {
    const calls = freshCalls();
    const res = await run(mockActivities([6], calls, {
      readCluster: async () => {
        throw new UnavailableError('the coordinator at cdw:5432', 'ECONNREFUSED', "cannot connect to the coordinator of cluster 'c' at cdw:5432: connect ECONNREFUSED");
      },
    }), { outageSeconds: 12 });
    expect(res.ok).toBe(false);
    expect(count(calls, 'readCluster')).toBeGreaterThan(3);
    const cause = (res as { err: WorkflowFailedError }).err.cause as { type?: string; message: string };
    expect(cause).toMatchObject({ type: FailureType.Unavailable, message: expect.stringMatching(/^cannot connect to the coordinator of cluster 'c' at cdw:5432: connect ECONNREFUSED \(waited 1\d s, the run's outage bound\)$/) });
  });

  it('a full recovery in place keeps the evidence right before its wipe and names it in the result; a move or an incremental keeps none', async () => {
    const inPlace = freshCalls();
    const a = await run(mockActivities([6], inPlace), { full: true });
    const names = inPlace.log.map((c) => c.name);
    expect(names.indexOf('keepEvidence')).toBe(names.indexOf('wipeTarget') - 1);
    expect(names.indexOf('keepEvidence')).toBeGreaterThan(names.indexOf('updateCatalog'));
    expect(a.ok && a.r.segments[0].evidence).toBe('sdw2:/home/gpadmin/gpAdminLogs/gprecover_evidence/fake_dbid6');
    for (const input of [{ full: true, recoverConfig: moveLine }, {}]) {
      const calls = freshCalls();
      const r = await run(mockActivities([6], calls), input);
      expect(r.ok && r.r.segments[0].evidence).toBeUndefined();
      expect(count(calls, 'keepEvidence')).toBe(0);
    }
  });

  it('a full recovery\'s wipe is a short step of checks where the copy tool writes over the directory, and empties it in an activity task where it must be empty', async () => {
    const wipes = (calls: Calls) => calls.log.filter((c) => c.name === 'wipeTarget').map((c) => ({ local: c.local, checkOnly: (c.input as { checkOnly?: boolean }).checkOnly }));
    const overwrites = freshCalls();
    expect((await run(mockActivities([6], overwrites), { full: true })).ok).toBe(true);
    expect(wipes(overwrites)).toEqual([{ local: true, checkOnly: true }]);

    const needsEmpty = freshCalls();
    const res = await run(mockActivities([6], needsEmpty, {
      wipeTarget: async (input) => (input.checkOnly ? { cleared: false, emptyingLeft: true, note: 'checked' } : { cleared: true, note: 'emptied' }),
    }), { full: true });
    expect(res.ok).toBe(true);
    expect(wipes(needsEmpty)).toEqual([{ local: true, checkOnly: true }, { local: false, checkOnly: undefined }]);
    const names = needsEmpty.log.map((c) => c.name);
    expect(names.lastIndexOf('wipeTarget')).toBe(names.indexOf('copySegment') - 1);
  });

  it('while copies run, the run keeps its ETA in its memo and RecoveryEta, and removes both when they are over', async () => {
    const calls = freshCalls();
    let attempts = 0;
    let workflowId = '';
    // Each failed attempt lets the server's clock run on through the retry's backoff, past the ETA's first minute.
    const res = await run(mockActivities([6], calls, {
      copySegment: async () => {
        if (++attempts < 8) throw new Error('connection reset by peer');
        return { method: 'pg_rewind', attached: false };
      },
    }), {}, async (id) => {
      workflowId = id;
    });
    expect(res.ok).toBe(true);
    expect(count(calls, 'estimateRunEta')).toBeGreaterThan(0);
    // Its input, in the run's history every round, names only what runs: small at any run size.
    const input = calls.log.find((c) => c.name === 'estimateRunEta')!.input as Record<string, unknown>;
    expect(Object.keys(input).sort()).toEqual(['cluster', 'finished', 'hostParallelism', 'outageSeconds', 'pending', 'running', 'segmentParallelism']);
    expect(input).toMatchObject({ running: [{ childWorkflowId: expect.stringMatching(/-dbid6$/) }], pending: 0 });
    const history = await env().client.workflow.getHandle(workflowId).fetchHistory();
    const upserts = (history.events ?? []).flatMap((e) => {
      const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
      return 'RecoveryEta' in fields ? [Buffer.from(fields.RecoveryEta.data ?? []).toString()] : [];
    });
    expect(upserts.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(upserts[0])).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(upserts.at(-1), 'removed at the end').toMatch(/^(null)?$/);
    // Gone from the closed run (the Java test server reads a removed Datetime back as the epoch).
    const left = (await env().client.workflow.getHandle(workflowId).describe()).searchAttributes.RecoveryEta as Date[] | undefined;
    expect(left === undefined || left[0].getTime() === 0, `RecoveryEta left: ${String(left)}`).toBe(true);
    const memos = (history.events ?? []).flatMap((e) => (e.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.eta ? [e] : []));
    expect(memos.length).toBeGreaterThanOrEqual(2);
  });
});
