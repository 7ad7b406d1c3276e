import { log, setHandler } from '@temporalio/workflow';
import {
  describeParallelism, parallelismRefusal, pauseRefusal, resumeRefusal, skipRefusal, UNKNOWN_REQUESTER,
  type ControlRequest, type RunControls,
} from '../domain/liveControls';
import { HOST_PARALLELISM, SEGMENT_PARALLELISM } from '../domain/options';
import type { RecoveryInput, RecoveryStatus } from '../domain/recovery';
import { pauseUpdate, resumeUpdate, setParallelismUpdate, skipSegmentUpdate } from './messages';

/** A refusal leaves nothing in the run's history; the client prints it as one line. */
function refuse(why: string | undefined): void {
  if (why) throw new Error(why);
}

/**
 * The run's live controls: the -B / -b its scheduler obeys, whether new segments may start, and every change with
 * who asked. A change goes through its validator (domain/liveControls.ts) first, so what the history records was
 * applied; each is logged once, here.
 */
export function liveControls(input: RecoveryInput, status: RecoveryStatus): RunControls {
  const controls: RunControls = {
    hostParallelism: input.hostParallelism ?? HOST_PARALLELISM.default,
    segmentParallelism: input.segmentParallelism ?? SEGMENT_PARALLELISM.default,
    paused: false,
    changes: [],
  };
  const record = (request: ControlRequest, what: string) => {
    const change = { at: new Date().toISOString(), by: request.requestedBy || UNKNOWN_REQUESTER, what };
    controls.changes.push(change);
    log.info(`live control: ${what}, asked by ${change.by}`);
    return controls;
  };

  setHandler(setParallelismUpdate, (change) => {
    const what = describeParallelism(controls, change);
    controls.hostParallelism = change.hostParallelism ?? controls.hostParallelism;
    controls.segmentParallelism = change.segmentParallelism ?? controls.segmentParallelism;
    return record(change, what);
  }, { validator: (change) => refuse(parallelismRefusal(status, change)) });

  setHandler(pauseUpdate, (request) => {
    controls.paused = true;
    return record(request, 'paused: no new segment starts, and none waiting for a slot starts its copy, until resumed (running ones go on)');
  }, { validator: (request) => refuse(pauseRefusal(status, controls, request)) });

  setHandler(resumeUpdate, (request) => {
    controls.paused = false;
    return record(request, 'resumed: segments and copies not yet started may start');
  }, { validator: (request) => refuse(resumeRefusal(status, controls, request)) });

  setHandler(skipSegmentUpdate, (request) => {
    const seg = status.segments.find((s) => s.dbid === request.dbid)!;
    seg.state = 'skipped';
    seg.error = `skipped by ${request.requestedBy || UNKNOWN_REQUESTER} before it started`;
    return record(request, `dbid ${request.dbid} skipped: it is not recovered by this run`);
  }, { validator: (request) => refuse(skipRefusal(status, request)) });

  return controls;
}
