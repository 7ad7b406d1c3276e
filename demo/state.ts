import fs from 'node:fs';
import path from 'node:path';
import type { ClusterConfig } from '../cluster/config';
import { DemoError } from './errors';
import type { DemoLayout } from './layout';

/** Everything `DemoCluster.open` needs, kept next to the data so a root directory describes itself. */
export interface DemoState {
  version: 1;
  layout: DemoLayout;
  pgBin: string;
  clustersFile: string;
  config: ClusterConfig;
  createdAt: string;
}

export const STATE_FILE = 'demo-cluster.json';

/** The tools the demo runs: its own GPHOME's wrappers for the Greenplum flavours, PostgreSQL's otherwise. */
export function demoBin(state: Pick<DemoState, 'layout' | 'pgBin'>): string {
  return state.layout.gpHome ? path.join(state.layout.gpHome, 'bin') : state.pgBin;
}

export const statePath = (rootDir: string) => path.join(rootDir, STATE_FILE);
export const proberPidPath = (rootDir: string) => path.join(rootDir, 'fts-prober.pid');
export const proberLogPath = (rootDir: string) => path.join(rootDir, 'fts-prober.log');

/** Present while the demo's FTS is frozen: probe requests are answered, nothing is marked up or down. */
export function ftsFrozenFile(rootDir: string): string {
  return path.join(rootDir, 'fts-frozen');
}

export function hasState(rootDir: string): boolean {
  return fs.existsSync(statePath(rootDir));
}

export function readState(rootDir: string): DemoState {
  const file = statePath(path.resolve(rootDir));
  if (!fs.existsSync(file)) {
    throw new DemoError(`no demo cluster at ${path.resolve(rootDir)} (no ${STATE_FILE}; create one with 'gprecover demo up')`);
  }
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as DemoState;
    if (state.version !== 1 || !state.layout) throw new Error('unknown format');
    // Clusters made before the demo had flavours were plain PostgreSQL.
    state.layout.flavor ??= 'postgres';
    return state;
  } catch (err) {
    throw new DemoError(`${file} is not a readable demo cluster state file: ${(err as Error).message}`);
  }
}

export function writeState(state: DemoState): void {
  const file = statePath(state.layout.rootDir);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  fs.renameSync(tmp, file);
}
