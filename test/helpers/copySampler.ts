import { execFileSync } from 'node:child_process';

const TOOL = /^\S*\/?(pg_basebackup|pg_rewind|rsync) /;

/**
 * Watches the process table for copy tools writing into `dir`: how many at once, and which ever ran. A tool's own
 * children (pg_basebackup forks its WAL streamer) are not counted as another copy.
 */
export function sampleCopies(dir: string, everyMs = 150) {
  let maxConcurrent = 0;
  const pids = new Set<number>();
  const sample = () => {
    const procs = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
      .split('\n')
      .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m && TOOL.test(m[3]) && m[3].includes(dir))
      .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]) }));
    const copies = procs.filter((p) => !procs.some((q) => q.pid === p.ppid));
    copies.forEach((p) => pids.add(p.pid));
    maxConcurrent = Math.max(maxConcurrent, copies.length);
  };
  const timer = setInterval(sample, everyMs);
  return {
    stop: () => clearInterval(timer),
    get maxConcurrent() { return maxConcurrent; },
    get pids() { return [...pids]; },
  };
}
