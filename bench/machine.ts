import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { findPgBin } from '../cluster/pgBin';

export interface MachineInfo {
  date: string;
  nproc: number;
  cpuModel: string;
  memGiB: number;
  kernel: string;
  pgVersion: string;
  node: string;
  temporalCli: string;
}

export function machineInfo(temporalCli: string): MachineInfo {
  const sh = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    date: new Date().toISOString(),
    nproc: Number(sh('nproc', [])) || os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: os.totalmem() / 2 ** 30,
    kernel: `${os.type()} ${os.release()}`,
    pgVersion: sh(path.join(findPgBin(), 'postgres'), ['--version']),
    node: process.version,
    temporalCli: sh(temporalCli, ['--version']),
  };
}

export interface LoadSample {
  at: string;
  /** `uptime` as printed. */
  uptime: string;
  loadavg: number[];
  /** Processes using at least 5% of a core over one second, e.g. other agents' tests on a shared machine. */
  busiest: string[];
}

/** CPU users over one second (top's second frame; ps would give lifetime averages). */
function busiestNow(): string[] {
  try {
    const out = execFileSync('top', ['-b', '-n', '2', '-d', '1', '-w', '200'], { encoding: 'utf8', timeout: 10_000 });
    const frame = out.slice(out.lastIndexOf('\ntop -'));
    const lines = frame.split('\n');
    const head = lines.findIndex((l) => /^\s*PID\s+USER/.test(l));
    return lines.slice(head + 1).map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 12 && Number(f[8]) >= 5)
      .slice(0, 6).map((f) => `${f[11]} ${f[8]}%`);
  } catch {
    return [];
  }
}

export function loadSample(): LoadSample {
  let uptime: string;
  try {
    uptime = execFileSync('uptime', [], { encoding: 'utf8' }).trim();
  } catch {
    uptime = fs.readFileSync('/proc/loadavg', 'utf8').trim();
  }
  return { at: new Date().toISOString(), uptime, loadavg: os.loadavg(), busiest: busiestNow() };
}
