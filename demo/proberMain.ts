// Process entry of the demo cluster's FTS prober: `tsx demo/proberMain.ts <rootDir>`.
// Started detached by DemoCluster.start(); output goes to <rootDir>/fts-prober.log.
import fs from 'node:fs';
import { FtsProber } from './prober';
import { loginOf } from './sql';
import { ftsFrozenFile, hasState, readState } from './state';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

async function main(): Promise<void> {
  const rootDir = process.argv[2];
  if (!rootDir) throw new Error('usage: proberMain.ts <demo cluster root directory>');
  const { layout } = readState(rootDir);
  let stopping = false;
  const stop = (sig: string) => {
    if (!stopping) log(`${sig}: stopping after the current cycle`);
    stopping = true;
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  log(`FTS prober pid ${process.pid} for cluster '${layout.name}' every ${layout.ftsIntervalSec} s`);
  const prober = new FtsProber({
    coordinator: { address: layout.coordinator.address, port: layout.coordinator.port },
    login: loginOf(layout),
    intervalMs: layout.ftsIntervalSec * 1000,
    checkIdentity: layout.flavor !== undefined && layout.flavor !== 'postgres',
    log,
    // A destroyed cluster takes its state file along; a prober left behind must not outlive it.
    shouldStop: () => stopping || !hasState(rootDir),
    frozen: () => fs.existsSync(ftsFrozenFile(rootDir)),
  });
  await prober.run();
  log('FTS prober stopped');
}

main().then(
  () => process.exit(0),
  (err) => {
    log(`FTS prober failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
