import path from 'node:path';
import { commandHelp, defineCommand, intOption, parseCommand } from '../args';
import { UsageError } from '../errors';
import { DemoCluster, DemoError, formatStatus, type DemoOptions } from '../../demo';
import { formatTable } from '../../cluster/format/table';
import { FLAVOR_NAMES, type FlavorName } from '../../domain/flavor';

export const DEMO = defineCommand({
  name: 'demo',
  positionals: 'up|down|start|stop|status|kill DBID|hang DBID|load|checksums',
  summary: [
    'A local Greenplum-shaped cluster of PostgreSQL 15 instances (coordinator, primaries, mirrors on loopback addresses)',
    'with an FTS prober, registered as a cluster gprecover can recover. Subcommands:',
    '  up                  create the cluster, or start it when it exists; prints the time taken and its state',
    '  down                stop it and delete its data and registration; no process of it is left',
    '  start | stop        start it / stop it, keeping the data (segments marked down stay down, like gpstart)',
    '  status              gpstate-like view: roles, modes, status, WAL bytes each mirror is behind',
    '  kill DBID           stop one instance abruptly: pg_ctl -m immediate, or SIGKILL with --kill9',
    '  hang DBID           freeze one instance as a hung host would (SIGSTOP to it and its children): its connections stay open',
    '  load                add rows to demo_data_<content> (and demo_tsdata_<content> in the tablespace) on each acting primary;',
    '                      --busy: keep every acting primary writing, dropping tables and recycling WAL until Ctrl-C',
    '  checksums           md5 of each content\'s demo rows on its primary and on its mirror',
    'Options:',
  ].join('\n'),
  options: {
    name: { type: 'string', arg: 'NAME', help: 'the demo cluster (default demo)' },
    root: { type: 'string', arg: 'DIR', help: 'its directory (default .data/demo/<name>)' },
    flavor: { type: 'string', arg: 'F', help: 'up: what it emulates: gp7 (default), cloudberry or postgres' },
    'ip-prefix': { type: 'string', arg: 'A.B.C', help: 'up: loopback prefix of its hosts (127.0.0)' },
    hosts: { type: 'string', arg: 'N', help: 'up: segment hosts (2)' },
    'primaries-per-host': { type: 'string', arg: 'N', help: 'up: primaries per host (2)' },
    'coordinator-port': { type: 'string', arg: 'PORT', help: 'up: coordinator port (15432)' },
    'primary-base-port': { type: 'string', arg: 'PORT', help: 'up: first primary port on each host (16000)' },
    'mirror-base-port': { type: 'string', arg: 'PORT', help: 'up: first mirror port on each host (17000)' },
    'fts-interval': { type: 'string', arg: 'SECONDS', help: 'up: seconds between FTS probes (2)' },
    'data-checksums': { type: 'boolean', help: 'up: initdb --data-checksums on every instance (gpinitsystem HEAP_CHECKSUM=on)' },
    rows: { type: 'string', arg: 'N', help: 'load: rows per content (1000)' },
    kill9: { type: 'boolean', help: 'kill: SIGKILL instead of pg_ctl -m immediate' },
    busy: { type: 'boolean', help: 'load: a busy primary on every content until Ctrl-C' },
  },
  notes: ['The root defaults to .data/demo/<name>; the cluster registers under its name in the clusters file.'],
});

const CREATE_ONLY = ['flavor', 'ip-prefix', 'hosts', 'primaries-per-host', 'coordinator-port', 'primary-base-port', 'mirror-base-port', 'fts-interval', 'data-checksums'] as const;

type Values = ReturnType<typeof parseCommand<typeof DEMO.options>>['values'];

function createOptions(v: Values, name: string, rootDir: string): DemoOptions {
  const interval = v['fts-interval'] === undefined ? undefined : Number(v['fts-interval']);
  if (interval !== undefined && !(interval > 0 && interval <= 600)) throw new UsageError(`--fts-interval must be between 0 and 600 seconds, not '${v['fts-interval']}'`);
  const flavor = v.flavor;
  if (flavor !== undefined && !(FLAVOR_NAMES as readonly string[]).includes(flavor)) throw new UsageError(`--flavor must be one of ${FLAVOR_NAMES.join(', ')}, not '${flavor}'`);
  return {
    name,
    rootDir,
    ...(flavor ? { flavor: flavor as FlavorName } : {}),
    ipPrefix: v['ip-prefix'],
    hosts: intOption(v.hosts, '--hosts', 1, 200),
    primariesPerHost: intOption(v['primaries-per-host'], '--primaries-per-host', 1, 64),
    coordinatorPort: intOption(v['coordinator-port'], '--coordinator-port', 1024, 65535),
    primaryBasePort: intOption(v['primary-base-port'], '--primary-base-port', 1024, 65535),
    mirrorBasePort: intOption(v['mirror-base-port'], '--mirror-base-port', 1024, 65535),
    ftsIntervalSec: interval,
    ...(v['data-checksums'] ? { dataChecksums: true } : {}),
  };
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

async function printStatus(cluster: DemoCluster): Promise<void> {
  let rows;
  try {
    rows = await cluster.status();
  } catch (err) {
    if ((err as Error).name !== 'CoordinatorUnavailableError') throw err;
    throw new DemoError(`demo cluster '${cluster.name}' is not running (its coordinator does not answer); start it with 'gprecover demo start'`);
  }
  console.log(formatStatus(rows));
  const pid = cluster.proberPid();
  console.log(pid ? `FTS prober: pid ${pid}, every ${cluster.layout.ftsIntervalSec} s, log ${path.join(cluster.rootDir, 'fts-prober.log')}` : 'FTS prober: NOT RUNNING');
}

async function up(v: Values, name: string, root: string): Promise<void> {
  const began = Date.now();
  if (DemoCluster.exists(root)) {
    const cluster = DemoCluster.open(root);
    if (await cluster.isRunning()) {
      console.log(`demo cluster '${cluster.name}' is already running (${root})`);
    } else {
      const report = await cluster.start();
      console.log(`demo cluster '${cluster.name}' started in ${seconds(began)} (${root})`);
      printStartReport(report);
    }
    return printStatus(cluster);
  }
  const cluster = await DemoCluster.create(createOptions(v, name, root));
  console.log(`demo cluster '${cluster.name}' created and started in ${seconds(began)} (${root}); registered in ${cluster.clustersFile}`);
  await printStatus(cluster);
}

function printStartReport(report: Awaited<ReturnType<DemoCluster['start']>>): void {
  if (report.leftDown.length) console.log(`left down as the catalog says (recover them with gprecover): dbid ${report.leftDown.join(', ')}`);
  for (const f of report.failed) console.log(`dbid ${f.dbid} did not start: ${f.error}`);
  for (const n of report.notStreaming) console.log(`the mirror of primary dbid ${n.dbid} is not streaming yet: ${n.why}`);
}

async function checksums(cluster: DemoCluster): Promise<void> {
  const rows = await cluster.segments();
  const table: string[][] = [];
  for (const p of rows.filter((r) => r.content >= 0 && r.role === 'p')) {
    const m = rows.find((r) => r.content === p.content && r.role === 'm');
    const sum = await cluster.checksumOn(p.dbid);
    const msum = m && m.status === 'u' ? await cluster.checksumOn(m.dbid).catch((err: Error) => `(${err.message})`) : '(down)';
    table.push([String(p.content), String(p.dbid), sum, m ? String(m.dbid) : '-', msum, msum === sum ? 'same' : m?.status === 'u' ? 'DIFFERENT (replay may lag)' : '']);
  }
  for (const line of formatTable(['content', 'primary', 'checksum', 'mirror', 'checksum', ''], table)) console.log(line);
}

export async function demoCommand(argv: string[]): Promise<number> {
  const { values: v, positionals, help } = parseCommand(DEMO, argv);
  const [sub, ...args] = positionals;
  if (help || !sub) {
    console.log(commandHelp(DEMO));
    return help ? 0 : 2;
  }
  const name = v.name ?? 'demo';
  const root = path.resolve(v.root ?? DemoCluster.defaultRootDir(name));
  if (sub !== 'up') {
    const stray = CREATE_ONLY.filter((o) => v[o] !== undefined);
    if (stray.length) throw new UsageError(`--${stray[0]} only applies to 'gprecover demo up'`);
  }
  if (sub !== 'kill' && v.kill9) throw new UsageError(`--kill9 only applies to 'gprecover demo kill'`);
  if (sub !== 'load' && (v.rows !== undefined || v.busy)) throw new UsageError(`--${v.busy ? 'busy' : 'rows'} only applies to 'gprecover demo load'`);
  if (sub !== 'kill' && sub !== 'hang' && args.length) throw new UsageError(`unexpected argument '${args[0]}' for 'gprecover demo ${sub}'`);
  const began = Date.now();

  switch (sub) {
    case 'up':
      await up(v, name, root);
      return 0;
    case 'down': {
      const cluster = DemoCluster.open(root);
      await cluster.destroy();
      console.log(`demo cluster '${cluster.name}' stopped and removed in ${seconds(began)} (${root}); no process of it is left`);
      return 0;
    }
    case 'start': {
      const cluster = DemoCluster.open(root);
      const report = await cluster.start();
      console.log(`demo cluster '${cluster.name}' started in ${seconds(began)}`);
      printStartReport(report);
      await printStatus(cluster);
      return 0;
    }
    case 'stop': {
      const cluster = DemoCluster.open(root);
      await cluster.stop();
      console.log(`demo cluster '${cluster.name}' stopped in ${seconds(began)}; data kept in ${root}`);
      return 0;
    }
    case 'status':
      await printStatus(DemoCluster.open(root));
      return 0;
    case 'kill': {
      if (args.length !== 1) throw new UsageError('usage: gprecover demo kill DBID [--kill9]');
      const dbid = intOption(args[0], 'DBID', 1, 32767)!;
      const cluster = DemoCluster.open(root);
      await cluster.kill(dbid, v.kill9 ? 'kill9' : 'immediate');
      console.log(`dbid ${dbid} ${v.kill9 ? 'killed with SIGKILL' : 'stopped with pg_ctl -m immediate'}; FTS reacts within ${cluster.layout.ftsIntervalSec} s (gprecover demo status)`);
      return 0;
    }
    case 'hang': {
      if (args.length !== 1) throw new UsageError('usage: gprecover demo hang DBID');
      const dbid = intOption(args[0], 'DBID', 1, 32767)!;
      const cluster = DemoCluster.open(root);
      const pids = await cluster.hang(dbid);
      console.log(`dbid ${dbid} hung (SIGSTOP to pids ${pids.join(', ')}); FTS marks it down after its probe timeout; 'gprecover demo stop' or a recovery ends it`);
      return 0;
    }
    case 'load': {
      if (v.busy) return busyUntilInterrupted(DemoCluster.open(root));
      const rows = intOption(v.rows, '--rows', 1, 100_000_000) ?? 1000;
      const counts = await DemoCluster.open(root).loadData(rows);
      console.log(`added ${rows} rows per content in ${seconds(began)}; rows now: ${Object.entries(counts).map(([c, n]) => `content ${c}: ${n}`).join(', ')}`);
      return 0;
    }
    case 'checksums':
      await checksums(DemoCluster.open(root));
      return 0;
    default:
      throw new UsageError(`unknown demo subcommand '${sub}' (run 'gprecover demo --help')`);
  }
}

/** `demo load --busy`: every acting primary writes, drops tables and recycles WAL until Ctrl-C. */
async function busyUntilInterrupted(cluster: DemoCluster): Promise<number> {
  const contents = [...new Set((await cluster.segments()).filter((r) => r.content >= 0).map((r) => r.content))];
  const loads = await Promise.all(contents.map((c) => cluster.busy(c)));
  console.log(`contents ${contents.join(', ')} busy (tables created, filled and dropped, WAL switched); Ctrl-C to stop`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await Promise.all(loads.map((l) => l.stop()));
  console.log(`stopped after ${loads.reduce((n, l) => n + l.rounds, 0)} rounds`);
  return 0;
}
