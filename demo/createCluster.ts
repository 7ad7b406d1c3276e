import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { clustersFilePath, saveClusterConfig, type ClusterConfig } from '../cluster/config';
import { ExecutorPool } from '../cluster/exec/pool';
import { runChecked } from '../cluster/exec/executor';
import { osIdentity } from '../cluster/exec/local';
import { findPgBin } from '../cluster/pgBin';
import { installCatalog } from './catalogSetup';
import { createHash } from 'node:crypto';
import { commandArgv, flavorNamed } from '../cluster/flavor';
import { greenplumHba, HBA_CONF, HOST_CONF_INCLUDE_COORDINATOR, HOST_CONF_INCLUDE_SEGMENT, hostConf, instanceConf, setConfSetting, writeFile } from './conf';
import { DemoError } from './errors';
import { addHostNames, canEditHostsFile, removeHostNames } from './etcHosts';
import { gpdemoModule, installGpHome } from './gphome/install';
import { baseBackupMirror, initdb, startInstance, stopInstance, writeEra, writeIdentity, type InstanceLocation } from './instance';
import { buildLayout, COORDINATOR_HOSTNAME, DEMO_TABLESPACE, demoHostName, type DemoLayout, type DemoOptions, type InstanceSpec } from './layout';
import { waitForStreaming } from './replication';
import { loginOf, withInstance } from './sql';
import { demoBin, hasState, writeState, type DemoState } from './state';

function portFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function checkPorts(layout: DemoLayout): Promise<void> {
  const all = [layout.coordinator, ...layout.segments].flatMap((i) => layout.hostIps[i.hostname].map((ip) => ({ ip, port: i.port })));
  const free = await Promise.all(all.map((i) => portFree(i.ip, i.port)));
  const taken = all.filter((_, i) => !free[i]).map((i) => `${i.ip}:${i.port}`);
  if (taken.length) {
    throw new DemoError(`cannot create demo cluster '${layout.name}': ${taken.join(', ')} ${taken.length > 1 ? 'are' : 'is'} in use (another demo cluster? pick other ports or --ip-prefix)`);
  }
}

/** Every host of the demo (spare hosts too) and its IPs: its connections leave from the last one. */
export function hostsOf(layout: DemoLayout): Record<string, string[]> {
  return { ...layout.hostIps, ...layout.spareHosts };
}

/** The names the demo puts into /etc/hosts: each host's catalog address, resolving to its IPs, the first one first. */
export function hostNamesOf(layout: DemoLayout): Record<string, string[]> {
  if (!layout.hostNames) return {};
  return Object.fromEntries(Object.entries(hostsOf(layout)).map(([h, ips]) => [demoHostName(layout.name, h), ips]));
}

export function clusterConfigFor(layout: DemoLayout, pgBin: string): ClusterConfig {
  // Every host of the demo shares this machine: its commands run here, as the configuration (never an address) says.
  // A spare host has no catalog row yet: its address (what the catalog will hold for it) comes from here.
  const hosts: ClusterConfig['hosts'] = {};
  for (const h of Object.keys(hostsOf(layout))) hosts[h] = { executor: 'local', address: layout.hostNames ? demoHostName(layout.name, h) : hostsOf(layout)[h][0] };
  return {
    name: layout.name,
    coordinator: { host: layout.coordinator.address, port: layout.coordinator.port, user: layout.dbUser, database: 'postgres' },
    // PostgreSQL 15's version() names no Greenplum: the demo says which flavour it emulates.
    flavor: layout.flavor,
    ...(layout.gpHome ? { gpHome: layout.gpHome } : { pgBin }),
    osUser: layout.osUser,
    replicationUser: layout.dbUser,
    defaultExecutor: 'local',
    hosts,
    ftsProbeIntervalSec: layout.ftsIntervalSec,
    // Every demo host shares this machine's home directory: the evidence stays with the cluster and goes with it.
    evidenceDirectory: path.join(layout.rootDir, 'gpAdminLogs', 'gprecover_evidence'),
  };
}

/** The root belongs to the cluster's OS user, who must also reach it through every parent directory. */
async function prepareRoot(layout: DemoLayout, pool: ExecutorPool, pgBin: string): Promise<void> {
  const root = layout.rootDir;
  if (fs.existsSync(root) && fs.readdirSync(root).length > 0) {
    throw new DemoError(`cannot create demo cluster '${layout.name}': ${root} exists and is not empty`);
  }
  fs.mkdirSync(root, { recursive: true });
  const id = osIdentity(layout.osUser);
  if (id) fs.chownSync(root, id.uid, id.gid);
  // Every command on the demo's hosts sources its environment script first, as on a Greenplum cluster.
  if (layout.gpHome) installGpHome({ dir: layout.gpHome, pgBin, flavor: layout.flavor as 'gp7' | 'cloudberry', osUser: layout.osUser, hosts: hostsOf(layout) });
  const probe = await pool.forHost(COORDINATOR_HOSTNAME).run(['test', '-w', root, '-a', '-x', root], { timeoutMs: 5_000 });
  if (probe.code !== 0) {
    throw new DemoError(`OS user ${layout.osUser} cannot write to ${root} (a parent directory is closed to it); choose another --root`);
  }
}

const location = (s: InstanceSpec): InstanceLocation => ({ dbid: s.dbid, hostname: s.hostname, address: s.address, port: s.port, datadir: s.datadir });

const greenplum = (layout: DemoLayout) => layout.flavor !== 'postgres';

/** The coordinator trusts itself; a primary its own host and its mirror's (the mirror gets the file with its copy). */
function hbaOf(layout: DemoLayout, s: InstanceSpec): string {
  const hosts = s.content < 0 ? [s.hostname] : layout.segments.filter((x) => x.content === s.content).map((x) => x.hostname);
  return greenplumHba(layout.dbUser, layout.hostIps[COORDINATOR_HOSTNAME], [...new Set(hosts)].flatMap((h) => layout.hostIps[h]));
}

/** gpstart's era: md5 of the coordinator's host, port and directory, and the time. */
function newEra(layout: DemoLayout): string {
  const c = layout.coordinator;
  const hash = createHash('md5').update(`${c.hostname}${c.port}${c.datadir}`).digest('hex').slice(0, 16);
  return `${hash}_${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
}

async function buildPrimaryLike(pool: ExecutorPool, bin: string, layout: DemoLayout, s: InstanceSpec, include: string): Promise<void> {
  const exec = pool.forHost(s.hostname);
  const coordinator = s.content < 0;
  await initdb(exec, bin, s.datadir, layout.dbUser, layout.dataChecksums);
  const preload = layout.gpHome ? gpdemoModule(layout.gpHome) : undefined;
  await writeFile(exec, path.join(s.datadir, 'postgresql.conf'), instanceConf(s.port, include, preload), true);
  await writeFile(exec, path.join(s.datadir, 'pg_hba.conf'), greenplum(layout) ? hbaOf(layout, s) : HBA_CONF);
  if (greenplum(layout)) {
    await writeIdentity(exec, s.datadir, s.dbid);
    if (coordinator) await writeEra(exec, s.datadir, newEra(layout));
  }
  await startInstance(exec, bin, location(s), greenplum(layout) ? (coordinator ? 'dispatch' : 'execute') : undefined);
}

/**
 * Greenplum 7's pg_tablespace_location (src/backend/utils/adt/misc.c) strips its link's last component: a segment
 * answers with the LOCATION, its link being <location>/<dbid>. The demo's instances answer the same, from a function
 * their search_path finds before pg_catalog's (SHARED_SETTINGS), in every database a tool connects to.
 */
const GREENPLUM_TABLESPACE_LOCATION = `CREATE OR REPLACE FUNCTION public.pg_tablespace_location(oid) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN l LIKE '/%' THEN regexp_replace(l, '/[^/]+/?$', '') ELSE l END FROM pg_catalog.pg_tablespace_location($1) AS l $$`;

/** Greenplum keeps one tablespace directory per instance: <location>/<dbid>. */
async function createTablespace(pool: ExecutorPool, layout: DemoLayout, s: InstanceSpec): Promise<void> {
  const dir = path.join(layout.tablespaceLocation!, String(s.dbid));
  await runChecked(pool.forHost(s.hostname), ['mkdir', '-p', '-m', '0700', dir]);
  for (const database of ['template1', 'postgres']) {
    await withInstance(s, { ...loginOf(layout), database }, (c) => c.query(GREENPLUM_TABLESPACE_LOCATION));
  }
  await withInstance(s, loginOf(layout), (c) => c.query(`CREATE TABLESPACE ${DEMO_TABLESPACE} LOCATION '${dir}'`));
}

/** A mirror as gpinitsystem / gpaddmirrors build one: the flavour's pg_basebackup, its port, a gp_role=execute start. */
async function buildMirror(pool: ExecutorPool, bin: string, layout: DemoLayout, m: InstanceSpec): Promise<void> {
  const primary = layout.segments.find((s) => s.content === m.content && s.role === 'p')!;
  const exec = pool.forHost(m.hostname);
  if (greenplum(layout)) {
    const flavor = flavorNamed(layout.flavor);
    const copy = flavor.fullCopy({ bin, targetDir: m.datadir, targetDbid: m.dbid, source: primary, createSlot: true });
    await runChecked(exec, commandArgv(copy), { timeoutMs: 300_000 });
    const setPort = flavor.setPort(m.datadir, m.port);
    if (setPort) await runChecked(exec, commandArgv(setPort), { timeoutMs: 10_000 });
    else await setConfSetting(exec, m.datadir, 'port', String(m.port));
    await startInstance(exec, bin, location(m), 'execute');
    return;
  }
  await baseBackupMirror(exec, bin, primary, m.datadir, layout.dbUser);
  // The copy carries its primary's port; listen_addresses already follows the host directory (see conf.ts).
  await setConfSetting(exec, m.datadir, 'port', String(m.port));
  await startInstance(exec, bin, location(m));
}

async function build(layout: DemoLayout, pgBin: string, pool: ExecutorPool): Promise<void> {
  const root = layout.rootDir;
  const bin = demoBin({ layout, pgBin });
  const hostDirs: Array<[string, string]> = [[COORDINATOR_HOSTNAME, path.join(root, 'coordinator')]];
  for (const hostname of Object.keys(layout.hostAddresses)) hostDirs.push([hostname, path.join(root, hostname)]);
  await Promise.all(hostDirs.map(async ([hostname, dir]) => {
    const exec = pool.forHost(hostname);
    await runChecked(exec, ['mkdir', '-p', dir, ...(hostname === COORDINATOR_HOSTNAME ? [] : [path.join(dir, 'primary'), path.join(dir, 'mirror')])]);
    await writeFile(exec, path.join(dir, 'host.conf'), hostConf(layout.hostIps[hostname]));
  }));

  const primaries = layout.segments.filter((s) => s.role === 'p');
  const mirrors = layout.segments.filter((s) => s.role === 'm');
  await Promise.all([
    buildPrimaryLike(pool, bin, layout, layout.coordinator, HOST_CONF_INCLUDE_COORDINATOR).then(() =>
      withInstance(layout.coordinator, loginOf(layout), (c) => installCatalog(c, layout))),
    ...primaries.map((p) => buildPrimaryLike(pool, bin, layout, p, HOST_CONF_INCLUDE_SEGMENT)),
  ]);
  // Before any mirror exists: a mirror replaying CREATE TABLESPACE on PostgreSQL 15 would use its primary's path.
  if (layout.tablespaceLocation) await Promise.all([layout.coordinator, ...primaries].map((s) => createTablespace(pool, layout, s)));
  await Promise.all(mirrors.map((m) => buildMirror(pool, bin, layout, m)));
  const notStreaming = await waitForStreaming(primaries, loginOf(layout), 30_000);
  if (notStreaming.length) {
    throw new DemoError(`mirrors did not start streaming: ${notStreaming.map((n) => `primary dbid ${n.dbid}: ${n.why}`).join('; ')}`);
  }
}

async function discard(layout: DemoLayout, pgBin: string, pool: ExecutorPool): Promise<void> {
  await Promise.all([layout.coordinator, ...layout.segments].map((s) =>
    stopInstance(pool.forHost(s.hostname), pgBin, s.datadir, 'immediate').catch(() => undefined)));
  fs.rmSync(layout.rootDir, { recursive: true, force: true });
}

/** initdb, start, catalog, mirrors by pg_basebackup, registration; on failure nothing is left behind. */
export async function createCluster(opts: DemoOptions): Promise<DemoState> {
  const layout = buildLayout({ ...opts, addresses: opts.addresses ?? (canEditHostsFile() ? 'names' : 'ips') });
  const pgBin = findPgBin();
  if (hasState(layout.rootDir)) {
    throw new DemoError(`demo cluster already exists at ${layout.rootDir} (start it, or destroy it with 'gprecover demo down')`);
  }
  await checkPorts(layout);
  const config = clusterConfigFor(layout, pgBin);
  const clustersFile = path.resolve(opts.clustersFile ?? clustersFilePath());
  const state: DemoState = { version: 1, layout, pgBin, clustersFile, config, createdAt: new Date().toISOString() };
  const pool = new ExecutorPool(config);
  try {
    await prepareRoot(layout, pool, pgBin);
    await addHostNames(layout.rootDir, hostNamesOf(layout));
  } catch (err) {
    await pool.closeAll();
    throw err;
  }
  try {
    await build(layout, pgBin, pool);
  } catch (err) {
    await discard(layout, pgBin, pool);
    await removeHostNames(layout.rootDir);
    throw err;
  } finally {
    await pool.closeAll();
  }
  writeState(state);
  saveClusterConfig(config, clustersFile);
  return state;
}
