import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One field of a ~/.pgpass line: `*` matches anything, `\:` and `\\` are literal. */
function fields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\' && i + 1 < line.length) cur += line[++i];
    else if (line[i] === ':' && out.length < 4) {
      out.push(cur);
      cur = '';
    } else cur += line[i];
  }
  out.push(cur);
  return out;
}

/**
 * The password ~/.pgpass (or $PGPASSFILE) gives for this host, port, database and user, as libpq reads it — the one
 * place a segment session's password may come from; undefined when no line matches.
 */
export function pgpassLookup(at: { host: string; port: number; database: string; user: string }, file = process.env.PGPASSFILE ?? path.join(os.homedir(), '.pgpass')): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const want = [at.host, String(at.port), at.database, at.user];
  for (const raw of text.split('\n')) {
    if (!raw.trim() || raw.startsWith('#')) continue;
    const f = fields(raw);
    if (f.length !== 5) continue;
    if (want.every((w, i) => f[i] === '*' || f[i] === w)) return f[4];
  }
  return undefined;
}
