// `gprecover show` of a segment whose short steps ran as local activities (PATCHES.shortStepsLocal): their markers
// are steps, with the attempts, the failure of an attempt retried after a timer, and the final failure.
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { buildRunTimeline, formatTimeline } from '../../client/timeline';

type Event = temporal.api.history.v1.IHistoryEvent;
const at = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
const T0 = Date.parse('2026-12-02T10:00:00Z');
const payloads = (v: unknown) => ({ payloads: [defaultPayloadConverter.toPayload(v)] });

let id = 0;
// Long in the proto types; the timeline reads plain numbers as well (what decoded JSON histories hold).
const event = (ms: number, attrs: Omit<Event, 'eventId' | 'eventTime'>): Event => ({ eventId: ++id, eventTime: at(T0 + ms), ...attrs } as unknown as Event);
const marker = (ms: number, type: string, scheduledMs: number, o: { attempt?: number; backoff?: boolean; failure?: string; result?: unknown } = {}) => event(ms, {
  markerRecordedEventAttributes: {
    markerName: 'core_local_activity',
    details: {
      data: payloads({
        seq: id, attempt: o.attempt ?? 1, activity_id: String(id), activity_type: type,
        // The workflow's clock, earlier than the schedule: not to be read as the end.
        complete_time: at(T0), backoff: o.backoff ? { seconds: 2 } : null, original_schedule_time: at(T0 + scheduledMs),
      }),
      ...(o.result !== undefined ? { result: payloads(o.result) } : {}),
    },
    ...(o.failure ? { failure: { message: o.failure, applicationFailureInfo: { type: 'Unavailable' } } } : {}),
  },
});

describe('local steps in a timeline', () => {
  it('each marker is a step: ended when the next step was scheduled, retried attempts and failures kept, the segment as input', () => {
    const item = { dbid: 6, content: 0, type: 'full', moved: false, target: { hostname: 'sdw2', port: 7000, datadir: '/data/mirror/gpseg0' } };
    const events: Event[] = [
      event(0, { workflowExecutionStartedEventAttributes: { workflowType: { name: 'segmentRecoveryWorkflow' }, workflowId: 'w', originalExecutionRunId: 'r', input: payloads({ cluster: 'c', item }) } }),
      marker(300, 'admitSegmentPlan', 10),
      marker(300, 'stopFailedSegment', 40, { result: { wasRunning: false } }),
      marker(300, 'updateCatalog', 90, { attempt: 2, backoff: true, failure: 'coordinator unreachable' }),
      marker(5_000, 'updateCatalog', 4_000, { attempt: 3, result: { before: { dbid: 6, status: 'd' }, after: { dbid: 6, status: 'd' }, rewritten: false } }),
      marker(6_000, 'startRecoveredSegment', 5_500, { failure: 'the port is taken' }),
      event(6_000, { workflowExecutionFailedEventAttributes: { failure: { message: 'the port is taken' } } }),
    ];
    const t = buildRunTimeline({ events });
    expect(t.steps.map((s) => [s.activity, s.local, s.attempts, s.outcome, s.durationMs])).toEqual([
      ['admitSegmentPlan', true, 1, 'completed', 30],
      ['stopFailedSegment', true, 1, 'completed', 260],
      ['updateCatalog', true, 3, 'completed', 1_000],
      ['startRecoveredSegment', true, 1, 'failed', 500],
    ]);
    const update = t.steps[2];
    expect(update).toMatchObject({ lastFailure: 'Unavailable: coordinator unreachable', input: { cluster: 'c', item: { dbid: 6 } } });
    expect(t.catalogChanges).toEqual([expect.objectContaining({ activity: 'updateCatalog', dbid: 6, rewritten: false, outcome: 'completed' })]);
    expect(t.errors.map((e) => e.where)).toEqual(expect.arrayContaining(['updateCatalog attempt 2 (retried)', 'startRecoveredSegment (failed after 1 attempt)']));
    expect(formatTimeline(t).join('\n')).toMatch(/stopFailedSegment\s+completed\s+\S+\s+\(local\)/);
  });
});
