// How long the copy tool itself ran inside a workflow run, seen from the process table: the workflow's copy step is
// the tool plus its preparation (wipe checks, slot drop, job start) and the 1 s job polling around it.
import { execFile } from 'node:child_process';

const TOOL = /^\S*?(pg_basebackup|pg_rewind|rsync) /;

export interface ToolSpan {
  /** First sighting of any matching tool process to the last, plus one sampling interval. */
  ms: number;
  processes: number;
}

export function sampleTool(pathPart: string, everyMs = 100) {
  const seen = new Map<number, { first: number; last: number }>();
  let busy = false;
  const tick = () => {
    if (busy) return;
    busy = true;
    execFile('ps', ['-eo', 'pid=,args='], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 }, (err, out) => {
      busy = false;
      if (err) return;
      const now = Date.now();
      for (const line of out.split('\n')) {
        const m = /^\s*(\d+)\s+(.*)$/.exec(line);
        if (!m || !TOOL.test(m[2]) || !m[2].includes(pathPart)) continue;
        const pid = Number(m[1]);
        const e = seen.get(pid);
        if (e) e.last = now;
        else seen.set(pid, { first: now, last: now });
      }
    });
  };
  const timer = setInterval(tick, everyMs);
  tick();
  return {
    stop(): ToolSpan | undefined {
      clearInterval(timer);
      if (!seen.size) return undefined;
      const v = [...seen.values()];
      return { ms: Math.max(...v.map((x) => x.last)) - Math.min(...v.map((x) => x.first)) + everyMs, processes: seen.size };
    },
  };
}
