import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { SegmentRow } from '../domain/segment';
import type { ExecutorPool } from '../cluster/exec/pool';
import { DemoError } from './errors';
import { isRunning, killInstanceHard, startInstance, stopInstance, type InstanceLocation } from './instance';
import { waitForStreaming } from './replication';
import { errorText, loginOf, sleep } from './sql';
import { demoBin, type DemoState } from './state';

export interface StartReport {
  /** dbids that were not running and now are. */
  started: number[];
  /** Segments the catalog holds down; like gpstart, they are left for gprecoverseg. */
  leftDown: number[];
  /** Instances that should have started but did not, with the reason; FTS will judge them. */
  failed: Array<{ dbid: number; error: string }>;
  notStreaming: Array<{ dbid: number; why: string }>;
}

const locationOf = (r: Pick<SegmentRow, 'dbid' | 'hostname' | 'address' | 'port' | 'datadir'>): InstanceLocation =>
  ({ dbid: r.dbid, hostname: r.hostname, address: r.address, port: r.port, datadir: r.datadir });

/** gpstart: the coordinator, then every segment the catalog holds up, acting primaries before their mirrors. */
export async function startSegments(state: DemoState, pool: ExecutorPool, rows: SegmentRow[]): Promise<StartReport> {
  const report: StartReport = { started: [], leftDown: [], failed: [], notStreaming: [] };
  const segs = rows.filter((r) => r.content >= 0);
  report.leftDown = segs.filter((r) => r.status === 'd').map((r) => r.dbid);
  const startAll = async (group: SegmentRow[]) => {
    await Promise.all(group.map(async (r) => {
      try {
        if (await startInstance(pool.forHost(r.hostname, r.address), demoBin(state), locationOf(r), state.layout.gpHome ? 'execute' : undefined, state.layout.flavor === 'cloudberry')) report.started.push(r.dbid);
      } catch (err) {
        report.failed.push({ dbid: r.dbid, error: errorText(err) });
      }
    }));
  };
  const up = segs.filter((r) => r.status === 'u');
  await startAll(up.filter((r) => r.role === 'p'));
  await startAll(up.filter((r) => r.role === 'm'));
  const failedDbids = new Set(report.failed.map((f) => f.dbid));
  const pairs = up.filter((r) => r.role === 'p' && !failedDbids.has(r.dbid) &&
    up.some((m) => m.role === 'm' && m.content === r.content && !failedDbids.has(m.dbid)));
  report.notStreaming = await waitForStreaming(pairs, loginOf(state.layout), 20_000);
  report.started.sort((a, b) => a - b);
  return report;
}

/** Every instance the cluster may have: the catalog's (recovery can move one) and the layout's. */
export function allInstances(state: DemoState, rows: SegmentRow[] | undefined): InstanceLocation[] {
  const byDatadir = new Map<string, InstanceLocation>();
  for (const r of rows ?? []) byDatadir.set(r.datadir, locationOf(r));
  for (const s of [state.layout.coordinator, ...state.layout.segments]) if (!byDatadir.has(s.datadir)) byDatadir.set(s.datadir, locationOf(s));
  return [...byDatadir.values()];
}

/** Primaries first so their last WAL reaches the mirrors; the coordinator last, after the catalog was read. */
export async function stopInstances(state: DemoState, pool: ExecutorPool, rows: SegmentRow[] | undefined): Promise<string[]> {
  const errors: string[] = [];
  const instances = allInstances(state, rows);
  const actingPrimary = (i: InstanceLocation) => (rows ?? []).some((r) => r.dbid === i.dbid && r.role === 'p' && r.datadir === i.datadir);
  const coordinatorDir = state.layout.coordinator.datadir;
  const stopAll = (group: InstanceLocation[]) => Promise.all(group.map((i) =>
    stopInstance(pool.forHost(i.hostname, i.address), demoBin(state), i.datadir).catch((err) => errors.push(errorText(err)))));
  const segs = instances.filter((i) => i.datadir !== coordinatorDir);
  await stopAll(segs.filter(actingPrimary));
  await stopAll(segs.filter((i) => !actingPrimary(i)));
  await stopAll(instances.filter((i) => i.datadir === coordinatorDir));
  return errors;
}

/** Whatever a clean stop left running gets SIGKILL; returns what was still there. */
export async function killLeftovers(state: DemoState, pool: ExecutorPool, rows: SegmentRow[] | undefined): Promise<number[]> {
  const killed: number[] = [];
  await Promise.all(allInstances(state, rows).map(async (i) => {
    const exec = pool.forHost(i.hostname, i.address);
    if (await isRunning(exec, demoBin(state), i.datadir)) {
      await killInstanceHard(exec, demoBin(state), i).catch(() => undefined);
      killed.push(i.dbid);
    }
  }));
  return killed;
}

/** This process and its parents: `gprecover demo down --root DIR` names the directory on its own command line. */
function ancestors(): Set<number> {
  const out = new Set<number>();
  let pid = process.pid;
  while (pid > 1 && !out.has(pid)) {
    out.add(pid);
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return out;
}

/** Pids whose command line names the root directory (postmasters, pg_basebackup, the prober). */
export function processesUnder(rootDir: string): number[] {
  const pattern = rootDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  try {
    const mine = ancestors();
    const out = execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
    return out.split('\n').map((s) => Number(s.trim())).filter((p) => p > 0 && !mine.has(p));
  } catch {
    return [];
  }
}

export async function waitNoProcessesUnder(rootDir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let left = processesUnder(rootDir);
  while (left.length && Date.now() < deadline) {
    await sleep(100);
    left = processesUnder(rootDir);
  }
  if (left.length) throw new DemoError(`processes of ${rootDir} are still running: pids ${left.join(', ')}`);
}
