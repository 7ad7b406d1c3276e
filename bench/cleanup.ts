// Ctrl-C in the middle of a section must not leave PostgreSQL instances, a dev server or a worker behind: every
// resource registers its undo here until its own finally-block has run it.
const pending = new Map<number, { what: string; fn: () => Promise<unknown> }>();
let seq = 0;

export function atExit(what: string, fn: () => Promise<unknown>): () => void {
  const id = ++seq;
  pending.set(id, { what, fn });
  return () => pending.delete(id);
}

export function installSignalCleanup(): void {
  let running = false;
  const handler = async (sig: NodeJS.Signals) => {
    if (running) return;
    running = true;
    process.stderr.write(`\n[bench] ${sig}: cleaning up ${pending.size} resource(s)\n`);
    for (const { what, fn } of [...pending.values()].reverse()) {
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`[bench] cleanup of ${what} failed: ${(err as Error).message}\n`);
      }
    }
    process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
