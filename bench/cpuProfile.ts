// Where a sim worker's threads spend their time, from the V8 CPU profiles node --cpu-prof writes (one per thread).
import fs from 'node:fs';
import path from 'node:path';

/** The parts of a .cpuprofile this reads (V8's Profiler.Profile). */
export interface CpuProfileJson {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>;
  samples: number[];
  /** Microseconds before each sample. */
  timeDeltas: number[];
}

export const CATEGORIES = {
  watchdog: 'inside vm runInContext itself: entering the workflow sandbox and, with the timeout the SDK passes on every call (its isolateExecutionTimeout), the watchdog thread Node creates and joins per call',
  workflow: 'workflow code and the SDK\'s workflow runtime, inside the sandbox (the bundle)',
  sdk: 'the SDK\'s worker in JavaScript (activations, payloads, its rxjs pipelines)',
  bridge: 'the JavaScript side of the SDK\'s core bridge',
  activities: 'the simulated activities (bench/, testkit/)',
  gc: 'garbage collection',
  other: 'native calls (into the SDK\'s Rust core, Node\'s bindings), V8 and Node internals, module loading',
} as const;
export type Category = keyof typeof CATEGORIES;

export interface ThreadSummary {
  file: string;
  sampledMs: number;
  idleMs: number;
  busyMs: number;
  byCategory: Record<Category, number>;
}

/** A sampled frame's category: the leaf's own code, so a thread's busy time is split with nothing counted twice. */
export function categoryOf(frame: { functionName: string; url: string }): Category | 'idle' {
  const { functionName: fn, url } = frame;
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'gc';
  if (fn === 'runInContext' && !url) return 'watchdog';
  if (/(^|[/\\])workflows[^/\\]*\.js$/.test(url) || url.startsWith('evalmachine')) return 'workflow';
  if (url.includes('@temporalio/core-bridge')) return 'bridge';
  if (url.includes('@temporalio/') || url.includes('node_modules/rxjs/')) return 'sdk';
  if (/[/\\](bench|testkit)[/\\]/.test(url)) return 'activities';
  return 'other';
}

export function summarizeCpuProfile(profile: CpuProfileJson, file = ''): ThreadSummary {
  const category = new Map(profile.nodes.map((n) => [n.id, categoryOf(n.callFrame)]));
  const byCategory = Object.fromEntries(Object.keys(CATEGORIES).map((k) => [k, 0])) as Record<Category, number>;
  let sampledUs = 0;
  let idleUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    sampledUs += us;
    const c = category.get(id) ?? 'other';
    if (c === 'idle') idleUs += us;
    else byCategory[c] += us / 1000;
  });
  return { file, sampledMs: sampledUs / 1000, idleMs: idleUs / 1000, busyMs: (sampledUs - idleUs) / 1000, byCategory };
}

/** The thread of a profile node wrote: CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile, the main thread 0. */
export function threadOf(file: string): number {
  return Number(path.basename(file).split('.').at(-3));
}

/** Every thread's profile in `dir`, main thread first, then by busy time. */
export function summarizeProfileDir(dir: string): ThreadSummary[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const rank = (t: ThreadSummary) => (threadOf(t.file) === 0 ? 0 : 1);
  return files
    .map((f) => summarizeCpuProfile(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as CpuProfileJson, f))
    .sort((a, b) => rank(a) - rank(b) || b.busyMs - a.busyMs);
}
