import { EXIT_USAGE, exitCodeFor, oneLine, UsageError } from './errors';

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  dev: { summary: 'Temporal dev server (SQLite under .data/), its UI, the worker and the demo cluster', load: async () => (await import('./commands/dev')).devCommand },
  worker: { summary: 'run a worker against TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE', load: async () => (await import('./commands/worker')).workerCommand },
  'start-recovery': { summary: 'recover the segments marked down (gprecoverseg); --help for options', load: async () => (await import('./commands/startRecovery')).startRecoveryCommand },
  status: { summary: 'phase and per-segment progress of a run', load: async () => (await import('./commands/status')).statusCommand },
  cancel: { summary: 'cancel a run (copies stopped, catalog backed out)', load: async () => (await import('./commands/cancel')).cancelCommand },
  set: { summary: 'change -B / -b of a running recovery for its segments not yet started', load: async () => (await import('./commands/liveControls')).setCommand },
  pause: { summary: 'hold back the start of new segments of a running recovery', load: async () => (await import('./commands/liveControls')).pauseCommand },
  resume: { summary: 'let a paused recovery start its remaining segments', load: async () => (await import('./commands/liveControls')).resumeCommand },
  skip: { summary: 'leave a segment not yet started out of a running recovery', load: async () => (await import('./commands/liveControls')).skipCommand },
  approve: { summary: 'approve the recovery an automatic check waits for (policy.approval)', load: async () => (await import('./commands/approve')).approveCommand },
  rebalance: { summary: 'return pairs to their preferred roles (gprecoverseg -r)', load: async () => (await import('./commands/rebalance')).rebalanceCommand },
  state: { summary: 'gpstate -e/-m of a configured cluster: roles, modes, WAL behind, what each content needs, lock, running run', load: async () => (await import('./commands/state')).stateCommand },
  demo: { summary: 'local demo cluster of PostgreSQL instances with Greenplum catalog and FTS: up, down, status, kill, load …', load: async () => (await import('./commands/demo')).demoCommand },
  doctor: { summary: 'read-only check of a cluster against what a recovery needs: SSH, tools, primaries, pg_hba.conf, slots, space, lock, Temporal', load: async () => (await import('./commands/doctor')).doctorCommand },
  check: { summary: 'prove a worker polls the task queue and list the clusters it knows', load: async () => (await import('./commands/check')).checkCommand },
  auto: { summary: 'auto-recovery by policy: enable|disable|status a schedule that recovers on its own, with notifications', load: async () => (await import('./commands/auto')).autoCommand },
  history: { summary: 'past and running runs from Temporal visibility (--cluster, --since, --status, --type; --auto: automatic decisions)', load: async () => (await import('./commands/history')).historyCommand },
  show: { summary: "one run's timeline: plan, per-segment steps, catalog changes, errors, outcome", load: async () => (await import('./commands/show')).showCommand },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return ['usage: gprecover <command> [options]   (gprecover <command> --help for its options)', '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : EXIT_USAGE;
  }
  const command = commands[name];
  try {
    if (!command) throw new UsageError(`unknown command '${name}' (run 'gprecover --help')`);
    return await (await command.load())(rest);
  } catch (err) {
    console.error(`gprecover ${name}: ${oneLine(err)}`);
    if (process.env.GPRECOVER_DEBUG) console.error(err);
    return exitCodeFor(err);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
