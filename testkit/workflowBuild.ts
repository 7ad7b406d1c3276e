// The workflow bundle of an older commit: its workflows/ and domain/ taken out of git into .data/builds/<commit>/ and
// bundled as the worker bundles today's. Shared by the upgrade tests (test/helpers/releaseBuild.ts) and the bench's
// side-by-side runs (bench/simulation.ts). Needs the repository's history (a clone, not an export).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { PROJECT_ROOT } from '../cluster/config';

const noop = () => undefined;

/** The full commit id a revision (HEAD~1, a tag, a short id) names. */
export function resolveCommit(ref: string): string {
  return execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
}

/** `what` names the commit in error messages (a release, a bench baseline). */
export async function bundleAtCommit(commit: string, what = commit): Promise<WorkflowBundleWithSourceMap> {
  const dir = path.join(PROJECT_ROOT, '.data', 'builds', commit);
  if (!fs.existsSync(path.join(dir, 'workflows', 'index.ts'))) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    try {
      const tar = execFileSync('git', ['archive', '--format=tar', commit, 'workflows', 'domain'], { cwd: PROJECT_ROOT, maxBuffer: 64 << 20 });
      execFileSync('tar', ['-x', '-C', dir], { input: tar });
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`cannot take ${what}'s workflow code out of git at ${commit} (a shallow clone?): ${(err as Error).message}`, { cause: err });
    }
  }
  return bundleWorkflowCode({ workflowsPath: path.join(dir, 'workflows', 'index.ts'), logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error } });
}
