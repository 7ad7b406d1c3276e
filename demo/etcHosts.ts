// The demo's host names in /etc/hosts, so that the catalog's address column holds names the system resolver answers,
// as on a real cluster (gpinitsystem writes host names there). Every line the demo writes is marked with its root
// directory; `demo down` removes them, and a test run removes the lines of clusters whose directory is gone.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export const HOSTS_FILE = process.env.GPRECOVER_HOSTS_FILE ?? '/etc/hosts';
const MARK = '# gprecover-demo';
const LOCK = `${HOSTS_FILE}.gprecover-lock`;

/** The marker of one demo cluster's lines: its root directory, so that a line can be traced to its cluster. */
const markOf = (rootDir: string) => `${MARK} ${rootDir}`;

export function canEditHostsFile(file = HOSTS_FILE): boolean {
  try {
    fs.accessSync(file, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Test forks create clusters side by side: one read-modify-write of the file at a time. */
async function withLock<T>(fn: () => T): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock older than 30 s belongs to a process that died holding it.
      const age = Date.now() - (fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 30_000 || i > 600) fs.rmSync(LOCK, { recursive: true, force: true });
      await sleep(50);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Keeps every line that is not this cluster's. Every resolver on the machine reads the file at any moment, so it is
 * never seen half written: a new file renamed over it. A bind-mounted file (a container's /etc/hosts) cannot be
 * replaced, only rewritten in place: then lines only added are appended, so that no reader misses the others.
 */
function rewrite(file: string, keep: (line: string) => boolean, add: string[]): void {
  const before = fs.readFileSync(file, 'utf8');
  const lines = before.split('\n').filter((l, i, all) => keep(l) && !(i === all.length - 1 && l === ''));
  const after = [...lines, ...add, ''].join('\n');
  if (after === before) return;
  const tmp = `${file}.gprecover-new`;
  try {
    fs.writeFileSync(tmp, after, { mode: fs.statSync(file).mode & 0o777 });
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    if (!['EBUSY', 'EXDEV', 'EPERM', 'EACCES'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    if (after.startsWith(before)) fs.appendFileSync(file, after.slice(before.length));
    else fs.writeFileSync(file, after);
  }
}

/** Names each host of the cluster with its addresses, the first the one its name resolves to first. */
export async function addHostNames(rootDir: string, names: Record<string, string[]>, file = HOSTS_FILE): Promise<void> {
  const mark = markOf(rootDir);
  const add = Object.entries(names).flatMap(([name, addrs]) => addrs.map((a) => `${a} ${name} ${mark}`));
  await withLock(() => rewrite(file, (l) => !l.endsWith(` ${mark}`), add));
}

export async function removeHostNames(rootDir: string, file = HOSTS_FILE): Promise<void> {
  if (!fs.existsSync(file) || !canEditHostsFile(file)) return;
  const mark = markOf(rootDir);
  await withLock(() => rewrite(file, (l) => !l.endsWith(` ${mark}`), []));
}

/** Lines of demo clusters whose root directory no longer exists (a test killed before `demo down`). */
export async function removeStaleHostNames(file = HOSTS_FILE): Promise<number> {
  if (!fs.existsSync(file) || !canEditHostsFile(file)) return 0;
  let removed = 0;
  await withLock(() => rewrite(file, (l) => {
    const at = l.indexOf(` ${MARK} `);
    if (at < 0) return true;
    const stale = !fs.existsSync(l.slice(at + MARK.length + 2));
    if (stale) removed++;
    return !stale;
  }, []));
  return removed;
}
