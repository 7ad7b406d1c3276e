import { describe, expect, it } from 'vitest';
import { outermost, type ToolProcess } from '../../bench/toolSampler';

// The bench takes "the copy tool's own time" as the span of the programs the copy jobs started. On the demo each is
// `sh $GPHOME/bin/pg_basebackup` running `node <gphome>/lib/pg_basebackup.cjs`, which runs PostgreSQL's
// pg_basebackup (and its WAL-streaming child): only the shell script is a program, the rest is inside it.
const GPHOME = '/tmp/x/gphome';

function proc(pid: number, kind: ToolProcess['kind'], startMs: number, endMs: number, args: string): ToolProcess {
  return { pid, kind, name: 'pg_basebackup', startMs, endMs, args };
}

function recovery(base: number, dir: string, at: number): ToolProcess[] {
  return [
    { ...proc(base, 'wrapper', at, at + 5000, `/bin/sh ${GPHOME}/bin/pg_basebackup -c fast -D ${dir} -h 127.0.0.1 --target-gp-dbid 7`), ppid: base - 1 },
    { ...proc(base + 1, 'wrapper', at + 2, at + 4998, `node ${GPHOME}/lib/pg_basebackup.cjs -c fast -D ${dir} -h 127.0.0.1 --target-gp-dbid 7`), ppid: base },
    proc(base + 5, 'tool', at + 150, at + 4200, `/usr/lib/postgresql/15/bin/pg_basebackup -D ${dir}/.gpdemo-incoming -c fast -h 127.0.0.1`),
    proc(base + 6, 'tool', at + 170, at + 4190, `/usr/lib/postgresql/15/bin/pg_basebackup -D ${dir}/.gpdemo-incoming -c fast -h 127.0.0.1`),
  ];
}

describe('the copy programs of a bench run', () => {
  it('are the shell scripts the jobs started, with the node wrapper and the PostgreSQL tool inside them', () => {
    const out = outermost(recovery(100, '/data/mirror/gpseg1', 1000));
    expect(out.map((p) => p.pid)).toEqual([100]);
  });

  it('take the parent as the outer one, whatever the pids (they wrap)', () => {
    const procs = recovery(100, '/data/mirror/gpseg1', 1000);
    procs[0].pid = 32760;
    procs[0].ppid = 32759;
    procs[1].ppid = 32760;
    procs[1].pid = 12;
    expect(outermost(procs).map((p) => p.pid)).toEqual([32760]);
  });

  it('keep segments apart whose directories share a prefix, even when they overlap in time', () => {
    const procs = [...recovery(100, '/data/m1', 1000), ...recovery(200, '/data/m10', 1000)];
    // m10's processes lie within m1's script in time, but work on another directory.
    procs[4].startMs = 1001;
    procs[4].endMs = 5999;
    expect(outermost(procs).map((p) => p.pid).sort()).toEqual([100, 200]);
  });

  it('count a tool that nothing wraps (rsync) as a program of its own', () => {
    const rsync: ToolProcess = { pid: 300, kind: 'tool', name: 'rsync', startMs: 0, endMs: 900, args: 'rsync -a --delete /src/ /data/m1' };
    const conf = proc(301, 'wrapper', 950, 1200, `/bin/sh ${GPHOME}/bin/pg_basebackup --write-conf-files-only -D /data/m1 --target-gp-dbid 7`);
    expect(outermost([rsync, conf]).map((p) => p.pid)).toEqual([300, 301]);
  });
});
