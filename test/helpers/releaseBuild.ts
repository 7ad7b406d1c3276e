import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { PROJECT_ROOT } from '../../cluster/config';
import { HISTORIES } from '../replay/histories';

/** The commit a kept release's histories were recorded at (test/replay/histories/v<x>/recorded.json). */
export function releaseCommit(release: string): string {
  const recorded = JSON.parse(fs.readFileSync(path.join(HISTORIES, release, 'recorded.json'), 'utf8')) as { commit: string };
  if (!/^[0-9a-f]{7,40}$/.test(recorded.commit)) throw new Error(`${release} was recorded from uncommitted changes (${recorded.commit}): record it again from a commit`);
  return recorded.commit;
}

const noop = () => undefined;

/**
 * The workflow bundle an older release's workers ran: its workflows/ and domain/ taken out of git into .data/builds/
 * and bundled as the worker bundles today's. Needs the repository's history (a clone, not an export).
 */
export async function releaseBundle(release: string): Promise<WorkflowBundleWithSourceMap> {
  const commit = releaseCommit(release);
  const dir = path.join(PROJECT_ROOT, '.data', 'builds', commit);
  if (!fs.existsSync(path.join(dir, 'workflows', 'index.ts'))) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    try {
      const tar = execFileSync('git', ['archive', '--format=tar', commit, 'workflows', 'domain'], { cwd: PROJECT_ROOT, maxBuffer: 64 << 20 });
      execFileSync('tar', ['-x', '-C', dir], { input: tar });
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`cannot take ${release}'s workflow code out of git at ${commit} (a shallow clone?): ${(err as Error).message}`, { cause: err });
    }
  }
  return bundleWorkflowCode({ workflowsPath: path.join(dir, 'workflows', 'index.ts'), logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error } });
}
