import { InvalidRequestError } from '../domain/failures';
import fs from 'node:fs';
import { isExecutable } from './executable';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

export class PgBinariesMissingError extends InvalidRequestError {
  override name = 'PgBinariesMissingError';
}

/** What recovery and the demo cluster run; a directory without one of them cannot serve either. */
export const REQUIRED_PG_BINARIES = ['initdb', 'pg_ctl', 'postgres', 'pg_basebackup', 'pg_rewind', 'pg_controldata'];

const DEFAULT_PG_BIN = '/usr/lib/postgresql/15/bin';
const INSTALL_HINT = "run 'npm run setup' (as root) or 'apt-get install postgresql-15'";


function missingIn(dir: string): string[] {
  return REQUIRED_PG_BINARIES.filter((b) => !isExecutable(path.join(dir, b)));
}

function pgConfigBindir(): string | undefined {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** GPRECOVER_PG_BIN, else the Debian PostgreSQL 15 directory, else `pg_config --bindir`. */
export function findPgBin(): string {
  const fromEnv = process.env.GPRECOVER_PG_BIN;
  if (fromEnv) {
    const missing = missingIn(fromEnv);
    if (missing.length) {
      throw new PgBinariesMissingError(
        `GPRECOVER_PG_BIN=${fromEnv} lacks the PostgreSQL programs ${missing.join(', ')}; point it at a PostgreSQL 15 bin directory or unset it and ${INSTALL_HINT}.`,
      );
    }
    return fromEnv;
  }
  const candidates = [DEFAULT_PG_BIN, pgConfigBindir()].filter((d): d is string => !!d);
  for (const dir of candidates) if (missingIn(dir).length === 0) return dir;
  const partial = candidates.find((d) => fs.existsSync(d));
  const what = partial
    ? `the PostgreSQL programs ${missingIn(partial).join(', ')} are missing from ${partial}`
    : `no PostgreSQL server binaries were found (looked in GPRECOVER_PG_BIN, ${DEFAULT_PG_BIN} and pg_config --bindir)`;
  throw new PgBinariesMissingError(`${what}; ${INSTALL_HINT}.`);
}
