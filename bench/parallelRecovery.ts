// Section 4: several mirrors at once under -B/-b, on a cluster of 2 hosts x 4 primaries with BENCH_SEG_MB each.
import { loginOf } from '../demo/sql';
import { progress, type BenchConfig } from './config';
import { withClusterAndWorker, expectSynced, killAndWaitDown, spreadOverHosts } from './demoCluster';
import { cpuMeter, type MeasuredRecovery } from './fullVsIncremental';
import { rawBasebackup, scratchDir, type RawCopy } from './rawBasebackup';
import type { BenchTemporal } from './temporal';
import { timedRecovery } from './timedRecovery';
import { sampleTool, type ToolSpan } from './toolSampler';
import { loadWideRows } from './wideRows';

export interface ParallelCase {
  segments: number;
  hostParallelism?: number;
  segmentParallelism?: number;
  /** N bare pg_basebackups at once, one sample per repetition. */
  raw: RawCopy[];
  runs: MeasuredRecovery[];
}

export interface ParallelSection {
  contents: number;
  tableBytesPerContent: number;
  cases: ParallelCase[];
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function benchParallel(cfg: BenchConfig, t: BenchTemporal, workDir: string): Promise<ParallelSection> {
  const name = `bench-par-${process.pid}`;
  progress(`section parallel: creating demo cluster '${name}' (2 hosts x 4 primaries, 127.0.92.x)`);
  return withClusterAndWorker(t, workDir, name, '127.0.92', 2, 4, async (cluster, taskQueue) => {
    const scratch = scratchDir(workDir, cluster.layout.osUser);
    const rows = await cluster.segments();
    const primaries = rows.filter((r) => r.content >= 0 && r.role === 'p');
    progress(`loading ${cfg.segMb} MB into each of ${primaries.length} contents`);
    const loaded = await Promise.all(primaries.map((p) => loadWideRows(p, loginOf(cluster.layout), cfg.segMb * 1e6)));
    await cluster.waitForMirrorsCaughtUp(600_000);

    const plans: Array<{ n: number; B?: number; b?: number }> = cfg.parallelCounts.map((n) => ({ n }));
    const most = Math.max(...cfg.parallelCounts);
    if (most > 1) plans.push({ n: most, B: 1, b: 1 });
    const cases: ParallelCase[] = [];
    for (const [ci, p] of plans.entries()) {
      const mirrors = spreadOverHosts((await cluster.segments()).filter((s) => s.content >= 0 && s.role === 'm'), p.n);
      const pairs = mirrors.map((m) => ({ source: rows.find((r) => r.content === m.content && r.role === 'p')!, target: m }));
      const label = `${p.n} segment(s)${p.B ? ` -B ${p.B} -b ${p.b}` : ' (default -B 16 -b 64)'}`;
      const c: ParallelCase = { segments: p.n, hostParallelism: p.B, segmentParallelism: p.b, raw: [], runs: [] };
      for (let i = 1; i <= cfg.repeat; i++) {
        progress(`[${i}/${cfg.repeat}] ${label}: raw pg_basebackup of the ${p.n} primaries at once`);
        c.raw.push(await rawBasebackup(cluster, pairs, scratch));
        progress(`  raw ${sec(c.raw[c.raw.length - 1].ms)}; kill mirrors ${mirrors.map((m) => m.dbid).join(',')}, recover with -F`);
        const det = await killAndWaitDown(cluster, mirrors.map((m) => m.dbid));
        const cpu = cpuMeter(t);
        const sampler = await sampleTool(cluster.rootDir);
        let tool: ToolSpan | undefined;
        const run = await timedRecovery(t.client, taskQueue, `${name}-${ci}-n${p.n}-${i}`, {
          cluster: name, full: true, hostParallelism: p.B, segmentParallelism: p.b,
        }).finally(async () => {
          tool = await sampler.stop();
        });
        const used = cpu();
        if (run.result.succeeded !== p.n) throw new Error(`${label}: ${run.result.succeeded} of ${p.n} succeeded`);
        await expectSynced(cluster);
        c.runs.push({ run, tool, ftsDetectMs: det, ...used });
        progress(`  workflow ${sec(run.wallMs)}; copies span ${tool ? sec(tool.ms) : '?'}; overhead ${tool ? sec(run.wallMs - tool.ms) : '?'}`);
      }
      cases.push(c);
    }
    return { contents: primaries.length, tableBytesPerContent: loaded[0].tableBytes, cases };
  });
}
