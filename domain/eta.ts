// How long a recovery has left, from what its activities report: a copy's bytes done of its total and its rate, a
// mirror's WAL bytes behind and how fast that shrinks. Pure; the activities feed it samples, the client and the
// workflow's visibility record read its answers. An estimate is absent rather than wrong: no rate yet, no ETA.

export interface Sample {
  atMs: number;
  value: number;
}

/** Rates are measured over the last minute of samples: long enough to smooth a copy's bursts, short enough to follow it. */
export const RATE_WINDOW_MS = 60_000;

/** Keeps the samples of the last window (and the one just before it, so a window always has a start). */
export function addSample(samples: Sample[], s: Sample, windowMs = RATE_WINDOW_MS): Sample[] {
  const out = [...samples, s];
  while (out.length > 2 && out[1].atMs <= s.atMs - windowMs) out.shift();
  return out;
}

/** Units per second over the window: positive while the value grows; undefined before two samples a second apart. */
export function rateOf(samples: Sample[]): number | undefined {
  if (samples.length < 2) return undefined;
  const first = samples[0];
  const last = samples[samples.length - 1];
  const dt = (last.atMs - first.atMs) / 1000;
  if (dt < 1) return undefined;
  return (last.value - first.value) / dt;
}

/** Seconds until a copy of `total` bytes is done at `rate` bytes/s; undefined without a usable rate. */
export function copyEtaSeconds(done: number, total: number, rate: number | undefined): number | undefined {
  if (rate === undefined || rate <= 0 || total <= 0) return undefined;
  return Math.max(0, Math.round((total - done) / rate));
}

/** Seconds until a mirror has replayed `behind` bytes, at the rate that backlog shrinks (a negative growth). */
export function catchUpEtaSeconds(behind: number, growth: number | undefined): number | undefined {
  if (behind <= 0) return 0;
  if (growth === undefined || growth >= 0) return undefined;
  return Math.round(behind / -growth);
}

/** What the run's ETA is made of: no more than the running segments, a count and a sum, whatever the run's size. */
export interface RunEtaSegments {
  /** Each running segment: what its heartbeat says is left (absent until its copy has a rate) and how long it has run. */
  running: Array<{ etaSeconds?: number; elapsedSeconds: number }>;
  pending: number;
  /** The segments that succeeded: how many, and how long they took in all, start to end. */
  finished: { count: number; totalSeconds: number };
}

export interface RunEta {
  /** Seconds until the last segment is done; undefined when nothing running has an estimate. */
  seconds?: number;
  /** How it was reached, in a few words, for the DBA to weigh it. */
  basis: string;
}

/**
 * The run's ETA: the segments running now end at their own ETAs; the pending ones start as slots free (at most -B
 * times -b at once; which host a segment waits for is not modelled) and each takes as long as a whole segment has
 * taken on average: a finished one start to end, a running one what it has run plus what it has left. A running
 * segment without a rate yet holds its slot for about that long too. A rough figure by design: segments differ in
 * size (the largest start first), and the first minutes of a copy give no rate.
 */
export function runEta(segs: RunEtaSegments, limits: { hostParallelism: number; segmentParallelism: number }): RunEta {
  const { running, pending } = segs;
  const known = running.filter((s) => s.etaSeconds !== undefined);
  if (!running.length && !pending) return { seconds: 0, basis: 'nothing left to do' };
  if (!known.length) return { basis: running.length ? 'no copy rate yet' : 'nothing running yet' };
  const whole = known.map((s) => Math.max(0, s.elapsedSeconds) + Math.max(0, s.etaSeconds!));
  const each = (segs.finished.totalSeconds + whole.reduce((a, b) => a + b, 0)) / (segs.finished.count + whole.length);
  const ends = running.map((s) => Math.max(0, s.etaSeconds ?? each - Math.max(0, s.elapsedSeconds))).sort((a, b) => a - b);
  const capacity = Math.max(1, limits.hostParallelism * limits.segmentParallelism);
  // A pending segment takes a slot when one frees: with more running than the limits allow now (lowered by
  // gprecover set), only the ends past the excess free one.
  const slots = ends.length >= capacity ? ends.slice(ends.length - capacity) : [...ends, ...Array<number>(capacity - ends.length).fill(0)];
  let end = Math.max(0, ...ends);
  for (let i = 0; i < pending; i++) {
    slots.sort((a, b) => a - b);
    slots[0] += each;
    end = Math.max(end, slots[0]);
  }
  const unknown = running.length - known.length;
  return {
    seconds: Math.round(end),
    basis: `${known.length} running segment(s) by their rates${unknown ? `, ${unknown} without a rate yet` : ''}${pending ? `, ${pending} pending at about ${Math.round(each)} s each` : ''}`,
  };
}

/** A run's segments as runEta takes them, from their states and times (ISO 8601). */
export function etaSegmentsOf(
  segments: Array<{ state: string; startedAt?: string; endedAt?: string; etaSeconds?: number; waitingForSlot?: boolean }>,
  nowMs: number,
): RunEtaSegments {
  const secs = (from: string, toMs: number) => Math.max(0, (toMs - Date.parse(from)) / 1000);
  const done = segments.filter((s) => s.state === 'succeeded' && s.startedAt && s.endedAt);
  // A segment started ahead of its slot (0.4.0) counts as pending until its copy may run.
  const copying = (s: { state: string; waitingForSlot?: boolean }) => s.state === 'running' && !s.waitingForSlot;
  return {
    running: segments.filter(copying).map((s) => ({ etaSeconds: s.etaSeconds, elapsedSeconds: s.startedAt ? secs(s.startedAt, nowMs) : 0 })),
    pending: segments.filter((s) => s.state === 'pending' || (s.state === 'running' && s.waitingForSlot)).length,
    finished: { count: done.length, totalSeconds: done.reduce((a, s) => a + secs(s.startedAt!, Date.parse(s.endedAt!)), 0) },
  };
}

/** '1h05m', '4m10s', '35s'. */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}
