import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * Whether `commit` has the workflow code of the work tree (workflows/ and domain/, what a bundle is built from): a
 * baseline bundle that does is the same workflows, and its difference from today's is the machine's.
 */
export function sameWorkflowCode(commit: string): boolean | undefined {
  const r = spawnSync('git', ['diff', '--quiet', commit, '--', 'workflows', 'domain'], { cwd: path.resolve(__dirname, '..') });
  return r.status === 0 ? true : r.status === 1 ? false : undefined;
}

/** Whether `commit` already holds `change` (git merge-base --is-ancestor); undefined where git cannot say. */
export function holdsCommit(commit: string, change: string): boolean | undefined {
  const r = spawnSync('git', ['merge-base', '--is-ancestor', change, commit], { cwd: path.resolve(__dirname, '..') });
  return r.status === 0 ? true : r.status === 1 ? false : undefined;
}
