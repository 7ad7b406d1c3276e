// How long the copy tool itself ran inside a run, from /proc: every 20 ms the process list is scanned for new
// pg_basebackup / pg_rewind / rsync processes working under `pathPart`; a process's start is the kernel's own start
// time (/proc/<pid>/stat, clock ticks since boot, 10 ms resolution), its end the midpoint between the last scan that
// saw it and the first that did not (+-10 ms). The demo's GPHOME wrappers (node running demo/gphome/*.ts under the
// tool's name) are recorded apart from the PostgreSQL programs they run, so the report can say what the wrapper costs.
import fs from 'node:fs';
import { clockTicks } from './procStats';

const TOOLS = new Set(['pg_basebackup', 'pg_rewind', 'rsync']);
const base = (p: string | undefined) => (p ?? '').split('/').pop() ?? '';

export interface ToolProcess {
  pid: number;
  /** 'tool': the PostgreSQL (or rsync) program; 'wrapper': the demo GPHOME wrapper around it. */
  kind: 'tool' | 'wrapper';
  name: string;
  /** Epoch milliseconds. */
  startMs: number;
  endMs: number;
  /** --target-gp-dbid when the command line names it. */
  dbid?: number;
  args: string;
}

export interface ToolSpan {
  /** First start to last end of the tool processes (not the wrappers). */
  ms: number;
  processes: number;
  firstStartMs?: number;
  lastEndMs?: number;
  /** How the span was measured: 'proc' (start times from /proc/<pid>/stat) or the older 'ps' sampling every 0.1 s. */
  method?: 'proc' | 'ps';
  spans?: ToolProcess[];
}

/** Epoch milliseconds of the machine's boot, from /proc/uptime (10 ms resolution). */
function bootEpochMs(): number {
  const up = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Date.now() - up * 1000;
}

function startTicks(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') return undefined;
    return Number(rest[19]); // field 22 overall: starttime
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function sampleTool(pathPart: string, everyMs = 20) {
  const boot = bootEpochMs();
  const hz = clockTicks();
  const ignored = new Set<number>(); // pids looked at once and not a tool
  const tracked = new Map<number, ToolProcess & { lastSeen: number; start: number }>();
  const done: ToolProcess[] = [];
  const tick = () => {
    const now = Date.now();
    for (const [pid, p] of tracked) {
      if (alive(pid) && startTicks(pid) === p.start) {
        p.lastSeen = now;
        continue;
      }
      tracked.delete(pid);
      const { lastSeen, start: _start, ...rest } = p;
      done.push({ ...rest, endMs: (lastSeen + now) / 2 });
    }
    let names: string[];
    try {
      names = fs.readdirSync('/proc');
    } catch {
      return;
    }
    for (const n of names) {
      if (n.charCodeAt(0) > 57) continue;
      const pid = Number(n);
      if (!Number.isInteger(pid) || ignored.has(pid) || tracked.has(pid)) continue;
      let argv: string[];
      try {
        argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      } catch {
        continue;
      }
      // `env VAR=... tool` execs the tool in the same process: look again on the next scan.
      if (base(argv[0]) === 'env') continue;
      const direct = TOOLS.has(base(argv[0]));
      const wrapped = !direct && /^node/.test(base(argv[0])) && TOOLS.has(base(argv[1]));
      const args = argv.join(' ');
      if (!(direct || wrapped) || !args.includes(pathPart)) {
        // A pid that is still a shell or node at start-up may exec the tool later; only settled commands are ignored.
        if (argv.length && !['sh', 'bash', 'sudo', 'runuser', 'su', 'ssh'].includes(base(argv[0]))) ignored.add(pid);
        continue;
      }
      const start = startTicks(pid);
      if (start === undefined) continue;
      const dbidAt = argv.indexOf('--target-gp-dbid');
      tracked.set(pid, {
        pid, kind: direct ? 'tool' : 'wrapper', name: base(direct ? argv[0] : argv[1]), startMs: boot + (start / hz) * 1000, endMs: now,
        ...(dbidAt >= 0 ? { dbid: Number(argv[dbidAt + 1]) } : {}), args: args.slice(0, 400), lastSeen: now, start,
      });
    }
  };
  const timer = setInterval(tick, everyMs);
  tick();
  return {
    stop(): ToolSpan | undefined {
      clearInterval(timer);
      tick();
      const now = Date.now();
      for (const { lastSeen, start: _start, ...rest } of tracked.values()) done.push({ ...rest, endMs: (lastSeen + now) / 2 });
      tracked.clear();
      const tools = done.filter((p) => p.kind === 'tool');
      if (!tools.length) return undefined;
      const firstStartMs = Math.min(...tools.map((p) => p.startMs));
      const lastEndMs = Math.max(...tools.map((p) => p.endMs));
      return { ms: lastEndMs - firstStartMs, processes: tools.length, firstStartMs, lastEndMs, method: 'proc', spans: [...done].sort((a, b) => a.startMs - b.startMs) };
    },
  };
}
