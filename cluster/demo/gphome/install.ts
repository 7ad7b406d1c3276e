/**
 * The demo cluster's GPHOME: an environment script like Greenplum's generate-greenplum-path.sh output and a bin/
 * directory in which pg_basebackup, pg_rewind and pg_ctl (start) follow Greenplum 7 / Apache Cloudberry rules over
 * the PostgreSQL 15 programs, while initdb, postgres, psql … are the PostgreSQL ones.
 */
import fs from 'node:fs';
import { DemoError } from '../errors';
import path from 'node:path';
import { osIdentity } from '../../exec/local';
import { FLAVOR_ENV, PG_BIN_ENV } from './common';

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
}

const PRODUCT: Record<GpHomeFlavor, string> = { gp7: 'Greenplum 7', cloudberry: 'Apache Cloudberry' };

/** Single-quoted for sh. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function projectRoot(): string {
  return path.resolve(__dirname, '..', '..', '..');
}

function tsxPath(): string {
  const tsx = path.join(projectRoot(), 'node_modules', '.bin', 'tsx');
  if (!fs.existsSync(tsx)) throw new Error(`cannot install the demo GPHOME: ${tsx} is missing (run npm install)`);
  return tsx;
}

/** tsx's `#!/usr/bin/env node` needs node on PATH; a login without it (ssh, env -i) still gets this node, last. */
function nodeOnPath(): string {
  const dir = path.dirname(process.execPath);
  return `case ":$PATH:" in *:${dir}:*) ;; *) PATH="\${PATH:+$PATH:}"${q(dir)}; export PATH ;; esac`;
}

function wrapperEnv(pgBin: string, flavor: GpHomeFlavor): string {
  return [`${PG_BIN_ENV}=${q(pgBin)}; export ${PG_BIN_ENV}`, `${FLAVOR_ENV}=${q(flavor)}; export ${FLAVOR_ENV}`, nodeOnPath()].join('\n');
}

function execTsx(program: string): string {
  const root = projectRoot();
  return `exec ${q(tsxPath())} --tsconfig ${q(path.join(root, 'tsconfig.json'))} ${q(path.join(__dirname, program))} "$@"`;
}

export function wrapperShim(tool: 'pg_basebackup' | 'pg_rewind', pgBin: string, flavor: GpHomeFlavor): string {
  return [
    '#!/bin/sh',
    `# gprecover demo GPHOME: ${tool} with ${PRODUCT[flavor]}'s rules over PostgreSQL's ${path.join(pgBin, tool)}.`,
    wrapperEnv(pgBin, flavor),
    execTsx(GPHOME_WRAPPED_TOOLS[tool]),
    '',
  ].join('\n');
}

/**
 * pg_ctl: status, stop, reload … run often and go straight to PostgreSQL's pg_ctl; only `start` (the first word
 * that is not an option or an option's value) goes through the wrapper program.
 */
export function pgCtlShim(pgBin: string, flavor: GpHomeFlavor): string {
  return [
    '#!/bin/sh',
    `# gprecover demo GPHOME: pg_ctl start with ${PRODUCT[flavor]}'s rules; every other action is PostgreSQL's ${path.join(pgBin, 'pg_ctl')}.`,
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
    ...wrapperEnv(pgBin, flavor).split('\n').map((l) => `    ${l}`),
    `    ${execTsx(GPHOME_WRAPPED_TOOLS.pg_ctl)}`,
    '  fi',
    '  break',
    'done',
    `exec ${q(path.join(pgBin, 'pg_ctl'))} "$@"`,
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
  const shims: Record<string, string> = {
    pg_basebackup: wrapperShim('pg_basebackup', pgBin, opts.flavor),
    pg_rewind: wrapperShim('pg_rewind', pgBin, opts.flavor),
    pg_ctl: pgCtlShim(pgBin, opts.flavor),
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

  const built = path.join(projectRoot(), '.tools', GPDEMO_MODULE_BUILD);
  if (!fs.existsSync(built)) {
    throw new DemoError(`the demo's Greenplum server module ${built} is not built; run 'npm run setup' (scripts/build-gpdemo.sh)`);
  }
  const lib = path.dirname(gpdemoModule(dir));
  fs.mkdirSync(lib, { recursive: true });
  fs.chmodSync(lib, 0o755);
  put(gpdemoModule(dir), (tmp) => {
    fs.copyFileSync(built, tmp);
    fs.chmodSync(tmp, 0o755);
  });

  const id = osIdentity(opts.osUser);
  if (id) {
    for (const p of [dir, bin, lib, gpdemoModule(dir), script, ...[...wanted].map((n) => path.join(bin, n))]) fs.lchownSync(p, id.uid, id.gid);
  }
}
