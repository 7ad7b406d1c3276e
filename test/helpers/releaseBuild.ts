import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleAtCommit } from '../../testkit/workflowBuild';
import { HISTORIES } from '../replay/histories';

/** The commit a kept release's histories were recorded at (test/replay/histories/v<x>/recorded.json). */
export function releaseCommit(release: string): string {
  const recorded = JSON.parse(fs.readFileSync(path.join(HISTORIES, release, 'recorded.json'), 'utf8')) as { commit: string };
  if (!/^[0-9a-f]{7,40}$/.test(recorded.commit)) throw new Error(`${release} was recorded from uncommitted changes (${recorded.commit}): record it again from a commit`);
  return recorded.commit;
}

/** The workflow bundle an older release's workers ran (testkit/workflowBuild.ts). */
export async function releaseBundle(release: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleAtCommit(releaseCommit(release), release);
}
