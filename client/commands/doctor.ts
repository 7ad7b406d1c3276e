import { clustersFilePath, loadClusterConfig } from '../../cluster/config';
import { collectDoctorFacts } from '../../cluster/doctor/collect';
import { diagnose, doctorExitCode, type DoctorFacts } from '../../domain/doctor';
import { commandHelp, defineCommand, parseCommand } from '../args';
import { doctorLines, doctorSummary } from '../doctorText';
import { lockOwnerState, temporalFacts } from '../doctorTemporal';
import { defaultCluster, taskQueue } from '../runIds';

export const DOCTOR = defineCommand({
  name: 'doctor',
  summary: [
    'Checks a configured cluster against what a recovery will need, reading only: each host over SSH (known host key)',
    "and its environment script, the flavour's tools, rsync for --differential, clocks, gp_era, gprecoverseg's lock,",
    "each primary in utility mode, its pg_hba.conf for its mirror's host, its replication slot, the mirrors' free space,",
    'Temporal and a worker on the task queue. One line per finding, with what to do.',
  ].join('\n'),
  options: {
    cluster: { type: 'string', arg: 'C', help: "the cluster (default $GPRECOVER_CLUSTER or 'demo')" },
    clusters: { type: 'string', arg: 'FILE', help: 'clusters file with its connection details (default $GPRECOVER_CONFIG or .data/clusters.json)' },
    'task-queue': { type: 'string', arg: 'Q', help: 'task queue a worker must poll (default $GPRECOVER_TASK_QUEUE or gp-recovery)' },
    json: { type: 'boolean', help: 'the findings as a JSON array' },
  },
  notes: ['Exit codes: 0 nothing blocks a recovery (warnings aside), 1 something does, 2 unknown cluster or bad arguments.'],
});

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values, help } = parseCommand(DOCTOR, argv);
  if (help) {
    console.log(commandHelp(DOCTOR));
    return 0;
  }
  const cfg = loadClusterConfig(values.cluster ?? defaultCluster(), values.clusters ?? clustersFilePath());
  const [cluster, temporal] = await Promise.all([collectDoctorFacts(cfg), temporalFacts(values['task-queue'] ?? taskQueue())]);
  const facts: DoctorFacts = { ...cluster, temporal: temporal.facts };
  // A lock held for a gprecover run: whether that run still runs decides whether it blocks.
  const lock = facts.lock?.fact;
  if (lock?.state === 'held' && lock.run && temporal.client) lock.runState = await lockOwnerState(temporal.client, lock.run);
  const findings = diagnose(facts);
  if (values.json) {
    console.log(JSON.stringify(findings, null, 2));
  } else {
    console.log([`gprecover doctor: cluster ${cfg.name}${facts.flavorTitle ? ` (${facts.flavorTitle})` : ''}, coordinator ${facts.coordinator.at}`,
      ...doctorLines(findings), doctorSummary(findings)].join('\n'));
  }
  return doctorExitCode(findings);
}
