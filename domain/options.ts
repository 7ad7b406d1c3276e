// gprecoverseg's rules between options (clsRecoverSegment.validateRecoveryParams, Greenplum 7), in its own words, for
// the CLI and for input typed into the Web UI alike.
import type { RecoveryInput } from './recovery';

/** -B and -b as gprecoverseg bounds them (MAX_COORDINATOR_NUM_WORKERS, MAX_SEGHOST_NUM_WORKERS). */
export const HOST_PARALLELISM = { min: 1, max: 64, default: 16 } as const;
export const SEGMENT_PARALLELISM = { min: 1, max: 128, default: 64 } as const;

/** --replay-lag when -r gives none (gp.ALLOWED_REPLAY_LAG), in GB. */
export const DEFAULT_REPLAY_LAG_GB = 10;

/** pg_basebackup --max-rate as gprecoverseg validates it: 32 kB/s to 1048576 kB/s; bare numbers are kB/s. */
export function maxRateKbPerSec(rate: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)([kM]?)\s*$/.exec(rate);
  if (!m) return undefined;
  const kb = Number(m[1]) * (m[2] === 'M' ? 1024 : 1);
  return kb >= 32 && kb <= 1024 * 1024 ? kb : undefined;
}

/** Why a --max-rate value is refused, in gprecoverseg's words; undefined when it is valid. */
export function maxRateProblem(rate: string): string | undefined {
  const m = /^\s*([\d.]+)([a-zA-Z]?)\s*$/.exec(rate);
  if (!m || Number.isNaN(Number(m[1]))) return `transfer rate ${rate} is not a valid value`;
  if (Number(m[1]) <= 0) return 'Transfer rate must be greater than zero';
  if (m[2] && m[2] !== 'k' && m[2] !== 'M') return `Invalid --max-rate unit: ${m[2]}`;
  return maxRateKbPerSec(rate) === undefined ? `transfer rate ${rate} is out of range` : undefined;
}

export interface OptionSet extends Pick<RecoveryInput, 'full' | 'differential' | 'rebalance' | 'disableReplayLag' | 'maxRate' | 'hostParallelism' | 'segmentParallelism'> {
  /** -i was given. */
  configFile?: boolean;
  /** -p was given. */
  spareHosts?: boolean;
  /** -o was given. */
  sampleConfig?: boolean;
}

/** Every rule the options break, in gprecoverseg's order and words. */
export function optionProblems(o: OptionSet): string[] {
  const problems: string[] = [];
  const { hostParallelism: B, segmentParallelism: b } = o;
  if (B !== undefined && (B < HOST_PARALLELISM.min || B > HOST_PARALLELISM.max)) problems.push(`Invalid parallelDegree value provided with -B argument: ${B}`);
  if (b !== undefined && (b < SEGMENT_PARALLELISM.min || b > SEGMENT_PARALLELISM.max)) problems.push(`Invalid parallelPerHost value provided with -b argument: ${b}`);
  if (o.spareHosts && o.rebalance) problems.push('Only one of -p and -r may be specified');
  else if ((o.spareHosts || o.rebalance) && o.configFile) problems.push('Only one of -i, -p and -r may be specified');
  else if ((o.spareHosts || o.rebalance) && o.differential) problems.push('Only one of -p, -r and --differential may be specified');
  if (o.full && o.differential) problems.push('Only one of -F and --differential may be specified');
  if (o.differential && o.sampleConfig) problems.push('Invalid -o provided with --differential argument');
  if (o.configFile && o.sampleConfig) problems.push('Invalid -i provided with -o argument');
  if (o.rebalance && o.sampleConfig) problems.push('Invalid -r provided with -o argument');
  if (o.disableReplayLag && !o.rebalance) problems.push('--disable-replay-lag should be used only with -r');
  if (o.full && o.rebalance) problems.push('-F option is not supported with -r option');
  if (o.full && o.spareHosts) problems.push('-F option is not supported with -p option');
  if (o.maxRate !== undefined && !o.rebalance && !o.sampleConfig) {
    const bad = maxRateProblem(o.maxRate);
    if (bad) problems.push(bad);
  }
  return problems;
}

/** gprecoverseg warns and goes on for these. */
export function optionWarnings(o: OptionSet): string[] {
  const warnings: string[] = [];
  if (o.maxRate !== undefined && o.rebalance) warnings.push('-r flag does not support the use of --max-rate, hence --max-rate will be ignored');
  if (o.maxRate !== undefined && o.sampleConfig) warnings.push('-o flag does not support the use of --max-rate, hence --max-rate will be ignored');
  return warnings;
}
