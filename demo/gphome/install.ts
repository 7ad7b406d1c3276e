/**
 * The demo cluster's GPHOME: an environment script like Greenplum's generate-greenplum-path.sh output and a bin/
 * directory in which pg_basebackup, pg_rewind and pg_ctl (start) follow Greenplum 7 / Apache Cloudberry rules over
 * the PostgreSQL 15 programs, while initdb, postgres, psql … are the PostgreSQL ones.
 */
import fs from 'node:fs';
import { buildSync } from 'esbuild';
import { DemoError } from '../errors';
import path from 'node:path';
import { osIdentity } from '../../cluster/exec/local';
import { FLAVOR_ENV, HOSTS_ENV, PG_BIN_ENV } from './env';

export type GpHomeFlavor = 'gp7' | 'cloudberry';

/** The environment script each installation ships ($GPHOME/<script>), sourced before every remote command. */
export const GPHOME_ENV_SCRIPT: Record<GpHomeFlavor, string> = {
  gp7: 'greenplum_path.sh',
  cloudberry: 'cloudberry-env.sh',
};

/** PostgreSQL programs bin/ links to unchanged (those pgBin has). */
export const GPHOME_LINKED_TOOLS = ['initdb', 'postgres', 'pg_controldata', 'psql', 'pg_isready', 'pg_waldump', 'pg_resetwal'];

/** Programs bin/ wraps, and the wrapper program each runs. */
export const GPHOME_WRAPPED_TOOLS: Record<'pg_basebackup' | 'pg_rewind' | 'pg_ctl', string> = {
  pg_basebackup: 'pgBasebackup.ts',
  pg_rewind: 'pgRewind.ts',
  pg_ctl: 'pgCtlStart.ts',
};

export interface InstallGpHomeOptions {
  /** The GPHOME directory (created if missing). */
  dir: string;
  /** Directory of the PostgreSQL 15 programs the wrappers run. */
  pgBin: string;
  flavor: GpHomeFlavor;
  /** OS user that should own the installation (when the caller is root). */
  osUser?: string;
  /**
   * Every host of the cluster and its addresses, the one its connections leave from last: the tools judge
   * pg_hba.conf for the host they run on (GPRECOVER_HOST, set by the local executor), as a server would see it.
   */
  hosts?: Record<string, string[]>;
}

/** Where an installation lists the cluster's hosts and their addresses (the tools' pg_hba judgement reads it). */
export const hostsFile = (dir: string) => path.join(path.resolve(dir), 'share', 'hosts.json');

const PRODUCT: Record<GpHomeFlavor, string> = { gp7: 'Greenplum 7', cloudberry: 'Apache Cloudberry' };

/** Single-quoted for sh. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function projectRoot(): string {
  return path.resolve(__dirname, '..', '..');
}

function wrapperEnv(pgBin: string, flavor: GpHomeFlavor, dir: string): string {
  return [`${PG_BIN_ENV}=${q(pgBin)}; export ${PG_BIN_ENV}`, `${FLAVOR_ENV}=${q(flavor)}; export ${FLAVOR_ENV}`,
    `${HOSTS_ENV}=${q(hostsFile(dir))}; export ${HOSTS_ENV}`].join('\n');
}

type WrappedTool = keyof typeof GPHOME_WRAPPED_TOOLS;

/** Where an installation keeps its wrapper programs, bundled to plain JavaScript. */
const wrapperProgram = (dir: string, tool: WrappedTool) => path.join(dir, 'lib', `${tool}.cjs`);

/**
 * The wrapper programs as one file each, started by node directly: the tools run on every copy and start, and
 * compiling TypeScript on each run (tsx) would add a third of a second to steps a real installation does in C.
 */
function bundleWrappers(dir: string): void {
  const tools = Object.keys(GPHOME_WRAPPED_TOOLS) as WrappedTool[];
  const staging = fs.mkdtempSync(path.join(dir, 'lib', '.bundle-'));
  try {
    buildSync({
      entryPoints: Object.fromEntries(tools.map((t) => [t, path.join(__dirname, GPHOME_WRAPPED_TOOLS[t])])),
      outdir: staging,
      outExtension: { '.js': '.cjs' },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: `node${process.versions.node.split('.')[0]}`,
      external: ['pg-native'],
      logLevel: 'silent',
    });
    for (const t of tools) put(wrapperProgram(dir, t), (tmp) => fs.renameSync(path.join(staging, `${t}.cjs`), tmp));
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Not exec'd: this shell stays the program's parent, so that a SIGKILL to the tool's pid (all a real, single-process
 * tool needs to die) still ends the real PostgreSQL tool under it: the wrapper sees its parent go and stops it.
 */
function runWrapper(dir: string, tool: WrappedTool): string {
  return `${q(process.execPath)} ${q(wrapperProgram(dir, tool))} "$@"; exit $?`;
}

export function wrapperShim(dir: string, tool: 'pg_basebackup' | 'pg_rewind', pgBin: string, flavor: GpHomeFlavor): string {
  return [
    '#!/bin/sh',
    `# gprecover demo GPHOME: ${tool} with ${PRODUCT[flavor]}'s rules over PostgreSQL's ${path.join(pgBin, tool)}.`,
    wrapperEnv(pgBin, flavor, dir),
    runWrapper(dir, tool),
    '',
  ].join('\n');
}

/**
 * A start that is well formed by the wrapper program's rules, told apart in the shell: options only in their
 * separate forms, one -o whose options set gp_role once, as \`-c gp_role=R\` with R execute, dispatch or utility, and
 * a data directory whose internal.auto.conf gives a gp_dbid of 0 or more (its last gp_dbid line, as the wrapper
 * reads it) unless R is utility. It goes straight to PostgreSQL's pg_ctl, as the wrapper would send it
 * (GPDEMO_ROLE=R, gp_role taken out of -o); anything else returns to go through the wrapper, which knows every rule
 * and every message. Greenplum's pg_ctl is a C program: node's
 * start-up (about 60 ms of CPU) on every segment start was the demo's cost, not a real cluster's.
 */
const PG_CTL_FAST_START = [
  'fast_start() {',
  '  d=${PGDATA:-} o= no=0 want=',
  '  for x do',
  '    case $want in D) d=$x; want=; continue ;; o) o=$x; no=$((no + 1)); want=; continue ;; v) want=; continue ;; esac',
  '    case $x in -D) want=D ;; -o) want=o ;; -[elmNpPStU]) want=v ;; -[wWsc]|start) ;; *) return ;; esac',
  '  done',
  '  [ "$no" = 1 ] && [ -z "$want" ] && [ -n "$d" ] && [ -f "$d/PG_VERSION" ] || return',
  '  case $o in *gp[_-]role*gp[_-]role*) return ;; esac',
  '  for role in execute dispatch utility ""; do case " $o " in *" -c gp_role=$role "*) break ;; esac; done',
  '  [ -n "$role" ] || return',
  '  if [ "$role" != utility ]; then',
  `    dbid=$(sed -n "s/^[[:space:]]*gp_dbid[[:space:]]*=[[:space:]]*'\\{0,1\\}\\(-\\{0,1\\}[0-9][0-9]*\\)'\\{0,1\\}[[:space:]]*\\(#.*\\)\\{0,1\\}$/\\1/p" "$d/internal.auto.conf" 2>/dev/null | tail -n 1)`,
  '    case $dbid in [0-9]*) ;; *) return ;; esac',
  '  fi',
  '  s=" $o "; rest="${s%%" -c gp_role=$role "*} ${s#*" -c gp_role=$role "}"',
  '  case $rest in *[![:space:]]*) ;; *) rest= ;; esac',
  '  n=$#',
  '  for x do',
  '    case $want in o) want=; [ -z "$rest" ] || set -- "$@" -o "$rest"; continue ;; v) want=; set -- "$@" "$x"; continue ;; esac',
  '    case $x in -o) want=o; continue ;; -[DelmNpPStU]) want=v ;; esac',
  '    set -- "$@" "$x"',
  '  done',
  '  shift "$n"',
  '  GPDEMO_ROLE=$role; export GPDEMO_ROLE',
];

/**
 * pg_ctl: status, stop, reload … run often and go straight to PostgreSQL's pg_ctl; `start` (the first word that is
 * not an option or an option's value) goes through the wrapper program, unless it is well formed (fast_start).
 */
export function pgCtlShim(dir: string, pgBin: string, flavor: GpHomeFlavor): string {
  return [
    '#!/bin/sh',
    `# gprecover demo GPHOME: pg_ctl start with ${PRODUCT[flavor]}'s rules; every other action is PostgreSQL's ${path.join(pgBin, 'pg_ctl')}.`,
    ...PG_CTL_FAST_START,
    `  exec ${q(path.join(pgBin, 'pg_ctl'))} "$@"`,
    '}',
    'opts=1 skip=',
    'for a do',
    '  if [ -n "$skip" ]; then skip=; continue; fi',
    '  if [ -n "$opts" ]; then',
    '    case $a in',
    '      --) opts=; continue ;;',
    '      --pgdata|--log|--mode|--options|--timeout) skip=1; continue ;;',
    '      -[DelmNopPStU]|-[cswW][DelmNopPStU]|-[cswW][cswW][DelmNopPStU]) skip=1; continue ;;',
    '      -?*) continue ;;',
    '    esac',
    '  fi',
    '  if [ "$a" = start ]; then',
    ...wrapperEnv(pgBin, flavor, dir).split('\n').map((l) => `    ${l}`),
    '    fast_start "$@"',
    `    ${runWrapper(dir, 'pg_ctl')}`,
    '  fi',
    '  break',
    'done',
    `exec ${q(path.join(pgBin, 'pg_ctl'))} "$@"`,
    '',
  ].join('\n');
}

/**
 * $GPHOME/libexec/ifaddrs --no-loopback, as gp.IfAddrs.list_addrs runs it on a host: its routable addresses, one per
 * line. The demo's hosts share one machine, so it prints the addresses the demo gives the host it stands for: the one
 * the local executor names (GPRECOVER_HOST), or the one sshd was reached at.
 */
export function ifaddrsScript(hosts: Record<string, string[]>): string {
  const cases = Object.entries(hosts).map(([h, addrs]) => `  ${[h, ...addrs].map(q).join('|')}) printf '%s\\n' ${addrs.map(q).join(' ')} ;;`);
  return [
    '#!/bin/sh',
    '# gprecover demo GPHOME: ifaddrs --no-loopback, the addresses of the demo host this command runs on.',
    'host=${GPRECOVER_HOST:-}',
    '[ -n "$host" ] || { set -- $SSH_CONNECTION; host=${3:-}; }',
    'case "$host" in',
    ...cases,
    '  *) echo "ifaddrs: this is no host of the demo cluster (GPRECOVER_HOST or SSH_CONNECTION)" >&2; exit 1 ;;',
    'esac',
    '',
  ].join('\n');
}

/** Like Greenplum's generate-greenplum-path.sh (Cloudberry: generate-cloudberry-env.sh) output, for this GPHOME. */
export function envScript(dir: string, flavor: GpHomeFlavor): string {
  return [
    `# ${GPHOME_ENV_SCRIPT[flavor]} of the gprecover demo GPHOME (${PRODUCT[flavor]} tool rules over PostgreSQL 15)`,
    `GPHOME=${q(dir)}`,
    'export GPHOME',
    'PATH="${GPHOME}/bin:${PATH}"',
    'export PATH',
    '',
  ].join('\n');
}

/** Writes (or links) atomically: a tool run while the installation is redone sees the old or the new file. */
/** The demo's server module, built by scripts/build-gpdemo.sh (npm run setup). */
export const GPDEMO_MODULE_BUILD = 'gpdemo/gpdemo.so';
/** Where an installation keeps it; every instance of the cluster preloads it from there. */
export const gpdemoModule = (dir: string) => path.join(path.resolve(dir), 'lib', 'gpdemo.so');

function put(file: string, make: (tmp: string) => void): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.rmSync(tmp, { force: true });
  make(tmp);
  fs.renameSync(tmp, file);
}

/**
 * Creates or refreshes `<dir>/bin/` and `<dir>/greenplum_path.sh` (gp7) or `<dir>/cloudberry-env.sh` (cloudberry).
 * Everything is readable and executable by other users (the instances run as the cluster's OS user).
 */
export function installGpHome(opts: InstallGpHomeOptions): void {
  const dir = path.resolve(opts.dir);
  const pgBin = path.resolve(opts.pgBin);
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(bin, 0o755);

  const wanted = new Set<string>();
  for (const tool of GPHOME_LINKED_TOOLS) {
    const target = path.join(pgBin, tool);
    if (!fs.existsSync(target)) continue;
    wanted.add(tool);
    put(path.join(bin, tool), (tmp) => fs.symlinkSync(target, tmp));
  }
  const lib = path.dirname(gpdemoModule(dir));
  fs.mkdirSync(lib, { recursive: true });
  fs.chmodSync(lib, 0o755);
  bundleWrappers(dir);
  const shims: Record<string, string> = {
    pg_basebackup: wrapperShim(dir, 'pg_basebackup', pgBin, opts.flavor),
    pg_rewind: wrapperShim(dir, 'pg_rewind', pgBin, opts.flavor),
    pg_ctl: pgCtlShim(dir, pgBin, opts.flavor),
  };
  for (const [tool, text] of Object.entries(shims)) {
    wanted.add(tool);
    put(path.join(bin, tool), (tmp) => {
      fs.writeFileSync(tmp, text, { mode: 0o755 });
      fs.chmodSync(tmp, 0o755);
    });
  }
  // What an earlier installation put there and this one does not (another pgBin, another flavor).
  for (const name of fs.readdirSync(bin)) if (!wanted.has(name)) fs.rmSync(path.join(bin, name), { recursive: true, force: true });

  const script = path.join(dir, GPHOME_ENV_SCRIPT[opts.flavor]);
  put(script, (tmp) => {
    fs.writeFileSync(tmp, envScript(dir, opts.flavor), { mode: 0o644 });
    fs.chmodSync(tmp, 0o644);
  });
  const other = path.join(dir, GPHOME_ENV_SCRIPT[opts.flavor === 'gp7' ? 'cloudberry' : 'gp7']);
  fs.rmSync(other, { force: true });

  const libexec = path.join(dir, 'libexec');
  fs.mkdirSync(libexec, { recursive: true });
  fs.chmodSync(libexec, 0o755);
  const ifaddrs = path.join(libexec, 'ifaddrs');
  put(ifaddrs, (tmp) => {
    fs.writeFileSync(tmp, ifaddrsScript(opts.hosts ?? {}), { mode: 0o755 });
    fs.chmodSync(tmp, 0o755);
  });
  const share = path.dirname(hostsFile(dir));
  fs.mkdirSync(share, { recursive: true });
  fs.chmodSync(share, 0o755);
  put(hostsFile(dir), (tmp) => fs.writeFileSync(tmp, `${JSON.stringify(opts.hosts ?? {}, null, 2)}\n`, { mode: 0o644 }));

  const built = path.join(projectRoot(), '.tools', GPDEMO_MODULE_BUILD);
  if (!fs.existsSync(built)) {
    throw new DemoError(`the demo's Greenplum server module ${built} is not built; run 'npm run setup' (scripts/build-gpdemo.sh)`);
  }
  put(gpdemoModule(dir), (tmp) => {
    fs.copyFileSync(built, tmp);
    fs.chmodSync(tmp, 0o755);
  });

  const id = osIdentity(opts.osUser);
  if (id) {
    const programs = (Object.keys(GPHOME_WRAPPED_TOOLS) as WrappedTool[]).map((t) => wrapperProgram(dir, t));
    for (const p of [dir, bin, lib, libexec, ifaddrs, share, hostsFile(dir), gpdemoModule(dir), script, ...programs, ...[...wanted].map((n) => path.join(bin, n))]) fs.lchownSync(p, id.uid, id.gid);
  }
}
