// `npm run bench`: measures recovery on real demo clusters and orchestration on a simulated one, then writes
// docs/benchmarks.md from that single run. Sizes come from BENCH_* variables (bench/config.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { PROJECT_ROOT } from '../cluster/config';
import { resolveTemporalCli } from '../worker/temporalCli';
import { atExit, installSignalCleanup } from './cleanup';
import { loadConfig, progress, type Section } from './config';
import { setHostsOver } from './demoCluster';
import { benchFullVsIncremental } from './fullVsIncremental';
import { loadSample, machineInfo } from './machine';
import { benchParallel } from './parallelRecovery';
import { renderReport, type BenchResults } from './report';
import { benchSimulation } from './simulation';
import { benchSyncWatch } from './syncWatch';
import { benchWorkDir, startBenchTemporal } from './temporal';

async function main(): Promise<number> {
  const cfg = loadConfig();
  setHostsOver(cfg.hostsOver);
  installSignalCleanup();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const started = Date.now();
  const results: BenchResults = { config: cfg, machine: machineInfo(resolveTemporalCli()), loadBefore: loadSample(), errors: [] };
  progress(`machine: ${results.machine.nproc} cores, ${results.machine.memGiB.toFixed(1)} GiB, ${results.machine.pgVersion}; ${results.loadBefore.uptime}`);
  progress(`sections: ${cfg.sections.join(', ')}`);
  const workDir = benchWorkDir();
  const unWork = atExit('work directory', async () => fs.rmSync(workDir, { recursive: true, force: true }));
  progress(`work directory ${workDir}; starting a private Temporal dev server`);
  const t = await startBenchTemporal(workDir);
  const unServer = atExit('Temporal dev server', () => t.close());
  progress(`dev server at ${t.server.address}`);
  try {
    const run = async (section: Section, fn: () => Promise<void>) => {
      if (!cfg.sections.includes(section)) return;
      try {
        await fn();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        progress(`section ${section} FAILED: ${message}`);
        results.errors.push({ section, message });
      }
    };
    await run('full', async () => { results.full = await benchFullVsIncremental(cfg, t, workDir); });
    await run('parallel', async () => { results.parallel = await benchParallel(cfg, t, workDir); });
    await run('sync', async () => { results.sync = await benchSyncWatch(cfg, t, workDir); });
    await run('sim', async () => { results.sim = await benchSimulation(cfg, t.bundlePath, workDir); });
  } finally {
    unServer();
    await t.close();
    unWork();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  results.loadAfter = loadSample();
  results.totalMs = Date.now() - started;
  const out = path.resolve(PROJECT_ROOT, cfg.out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, renderReport(results));
  // The raw measurements, for anyone who wants more than the report prints; outside the repository on purpose.
  const raw = path.join(os.tmpdir(), `gprecover-bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(raw, JSON.stringify(results, null, 2));
  progress(`wrote ${path.relative(process.cwd(), out)} and ${raw}; ${results.loadAfter.uptime}`);
  return results.errors.length ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(1);
});
