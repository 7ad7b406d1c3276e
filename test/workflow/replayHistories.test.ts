// Every recorded history under test/replay/histories/ (the runs of test/replay/scenarios.ts, recorded for each kept
// release by `npm run record:histories`) replayed against today's workflow bundle: a worker of this code can take
// over every such run in flight. A change that alters the commands a recorded run issued, without patched(), fails
// here with Temporal's DeterminismViolationError (docs/upgrades.md).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { quietRuntime } from '../../worker/quietRuntime';
import { workflowBundle } from '../helpers/temporal';
import { HISTORIES } from '../replay/histories';
import { scenariosOf } from '../replay/scenarios';

const releases = fs.readdirSync(HISTORIES).filter((d) => /^v\d+\.\d+\.\d+$/.test(d)).sort();

function historiesOf(dir: string) {
  const runs = JSON.parse(fs.readFileSync(path.join(dir, 'runs.json'), 'utf8')) as Array<{ file: string; workflowId: string }>;
  return runs.map(({ file, workflowId }) => ({ file, workflowId, history: temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, file))) }));
}

describe('recorded histories replay against today\'s workflow code', () => {
  it('every kept release has a history of every scenario', () => {
    expect(releases.length).toBeGreaterThan(0);
    for (const r of releases) {
      const recorded = fs.readdirSync(path.join(HISTORIES, r)).filter((d) => fs.statSync(path.join(HISTORIES, r, d)).isDirectory());
      expect(recorded.sort(), `${r}: npm run record:histories records them all`).toEqual(scenariosOf(r).map((s) => s.name).sort());
    }
  });

  it('the ahead scenario holds what 0.4.0 added: children started ahead of a slot, and the grants they waited for', () => {
    const dir = path.join(HISTORIES, 'v0.4.0', 'ahead');
    const [parent, ...children] = historiesOf(dir).map((h) => h.history.events ?? []);
    expect(parent.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'copySlotGranted').length).toBeGreaterThan(0);
    expect(children.filter((ev) => ev.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'copySlotGranted')).length).toBeGreaterThan(0);
  });

  it('the v0.5.0 ahead scenario holds what 0.5.0 changed: copy steps told the run, their children did not', () => {
    const [parent, ...children] = historiesOf(path.join(HISTORIES, 'v0.5.0', 'ahead')).map((h) => h.history.events ?? []);
    const told = (events: typeof parent) => events.some((e) => {
      const payload = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
      return payload ? (JSON.parse(Buffer.from(payload).toString('utf8')) as { runTold?: boolean }).runTold === true : false;
    });
    expect(parent.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'copyEnded').length).toBe(children.length);
    expect(children.every(told), 'every copy outcome says runTold').toBe(true);
    expect(children.some((ev) => ev.some((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'copyEnded'))).toBe(false);
    const patched = (ev: typeof parent) => ev.some((e) => {
      const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
      return !!data && Buffer.from(data).toString('utf8').includes('"copy-step-tells-run"');
    });
    expect(children.every(patched), 'every child recorded the patch').toBe(true);
  });

  describe('the v0.6.0 histories hold what 0.6.0 changed', () => {
    type Events = temporal.api.history.v1.IHistoryEvent[];
    const children = (scenario: string) => historiesOf(path.join(HISTORIES, 'v0.6.0', scenario))
      .filter((h) => /segmentRecoveryWorkflow/.test(h.file)).map((h) => h.history.events ?? []);
    const wipeTasks = (ev: Events) => ev.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'wipeTarget').length;
    const localWipes = (ev: Events) => ev.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity'
      && Buffer.from(e.markerRecordedEventAttributes.details?.data?.payloads?.[0]?.data ?? []).toString('utf8').includes('"wipeTarget"')).length;
    const patches = (ev: Events) => ev.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
      .map((e) => Buffer.from(e.markerRecordedEventAttributes!.details?.['patch-data']?.payloads?.[0]?.data ?? []).toString('utf8'));
    const onlyTheNewPatch = [expect.stringContaining('"wipe-checks-local"')];

    it('full: the wipe checked in a short step, no activity task, one patch', () => {
      const [child] = children('full');
      expect([wipeTasks(child), localWipes(child)]).toEqual([0, 1]);
      expect(patches(child)).toEqual(onlyTheNewPatch);
    });

    it('full-emptied: the short step\'s checks, then the emptying as an activity task', () => {
      const [child] = children('full-emptied');
      expect([wipeTasks(child), localWipes(child)]).toEqual([1, 1]);
      expect(patches(child)).toEqual(onlyTheNewPatch);
    });

    it('ahead: one patch per child implies the older ones: children wait for their grant and leave copyEnded to the copy step', () => {
      const ahead = children('ahead');
      expect(ahead.every((ev) => JSON.stringify(patches(ev)) === JSON.stringify([patches(ahead[0])[0]]) && patches(ev)[0].includes('"wipe-checks-local"'))).toBe(true);
      expect(ahead.some((ev) => ev.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'copySlotGranted'))).toBe(true);
      expect(ahead.some((ev) => ev.some((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'copyEnded'))).toBe(false);
    });
  });

  // In a mixed fleet a worker of 0.5.0 may run a child's copy step, which tells the run and says runTold, and a worker
  // of 0.4.0 the child's next task, which sends copyEnded anyway and records no marker. The histories below are such
  // children: recorded 0.4.0 children whose copy outcome is given runTold. Today's worker taking them over must send
  // the signal too, as their history says, not fail the task as a nondeterminism.
  it('v0.4.0 ahead: a child whose copy step told the run but whose next task a 0.4.0 worker ran replays with its own signal', async () => {
    quietRuntime();
    const children = historiesOf(path.join(HISTORIES, 'v0.4.0', 'ahead')).filter((h) => /segmentRecoveryWorkflow/.test(h.file));
    let forged = 0;
    for (const { history } of children) {
      const copyScheduled = new Set((history.events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'copySegment').map((e) => Number(e.eventId)));
      for (const e of history.events ?? []) {
        const done = e.activityTaskCompletedEventAttributes;
        const payload = done?.result?.payloads?.[0];
        if (!done || !payload?.data || !copyScheduled.has(Number(done.scheduledEventId))) continue;
        payload.data = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload.data).toString('utf8')) as object, runTold: true }));
        forged++;
      }
      expect(history.events?.some((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'copyEnded'), 'a 0.4.0 child sent copyEnded').toBe(true);
    }
    expect(forged).toBe(children.length);
    const failures: string[] = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, children)) {
      if (r.error) failures.push(`${r.workflowId}: ${r.error.name}: ${r.error.message}`);
    }
    expect(failures).toEqual([]);
  });

  // A parent of 0.4.0 starts a child ahead of its slot (input.startedAhead) and a worker of 0.3.0, which knows no such
  // field, takes the child's first task and copies at once. The history below is that child: a recorded 0.3.0 child
  // given the input a 0.4.0 parent gives. Today's worker taking it over must copy at once too, not wait for a grant.
  it('v0.3.0 full: a child started ahead by a 0.4.0 parent but run by a 0.3.0 worker replays without waiting for its slot', async () => {
    quietRuntime();
    const [child] = historiesOf(path.join(HISTORIES, 'v0.3.0', 'full')).filter((h) => /segmentRecoveryWorkflow/.test(h.file));
    const started = child.history.events?.[0].workflowExecutionStartedEventAttributes;
    const payload = started?.input?.payloads?.[0];
    expect(payload?.data, 'the recorded child has its input').toBeTruthy();
    const input = JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as Record<string, unknown>;
    expect(input.startedAhead, 'recorded by 0.3.0, which never set it').toBeUndefined();
    payload!.data = Buffer.from(JSON.stringify({ ...input, startedAhead: true }));
    const failures: string[] = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, [child])) {
      if (r.error) failures.push(`${r.workflowId}: ${r.error.name}: ${r.error.message}`);
    }
    expect(failures).toEqual([]);
  });

  for (const release of releases) {
    for (const s of scenariosOf(release)) {
      const dir = path.join(HISTORIES, release, s.name);
      it(`${release} ${s.name}: ${s.what}`, async () => {
        quietRuntime();
        const histories = historiesOf(dir);
        expect(histories.length, `${dir} holds the run and its children`).toBeGreaterThan(0);
        for (const h of histories) expect(h.history.events?.length, h.file).toBeGreaterThan(3);
        const failures: string[] = [];
        for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
          if (r.error) failures.push(`${r.workflowId}: ${r.error.name}: ${r.error.message}`);
        }
        expect(failures).toEqual([]);
      });
    }
  }
});
