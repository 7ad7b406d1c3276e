import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { readHistory, readSegments, withCoordinator, type ConfigHistoryRow } from '../cluster/catalog';
import type { SegmentRow } from '../domain/segment';
import { readClustersFile, removeClusterConfig, saveClusterConfig, type ClusterConfig } from '../cluster/config';
import { runChecked, type Executor } from '../cluster/exec/executor';
import { ExecutorPool } from '../cluster/exec/pool';
import { createCluster } from './createCluster';
import { DemoError } from './errors';
import { killInstanceHard, postmasterPid, startInstance, stopInstance } from './instance';
import { defaultRootDir, type DemoLayout, type DemoOptions } from './layout';
import { allInstances, killLeftovers, startSegments, stopInstances, waitNoProcessesUnder, type StartReport } from './lifecycle';
import { clusterConfigFor, hostNamesOf, hostsOf } from './createCluster';
import { addHostNames, removeHostNames } from './etcHosts';
import { installGpHome } from './gphome/install';
import { busyLoad, checksumContent, loadContent, type BusyLoad } from './load';
import { proberLogTail, proberPid, startProber, stopProber } from './proberProcess';
import { errorText, loginOf, sleep, withInstance } from './sql';
import { collectStatus, type DemoStatusRow } from './status';
import { demoBin, ftsFrozenFile, hasState, readState, writeState, type DemoState } from './state';
import { demoHostName } from './layout';

export { DemoError } from './errors';
export type { DemoOptions, DemoLayout } from './layout';
export type { DemoStatusRow } from './status';
export type { StartReport } from './lifecycle';
export { formatStatus } from './status';
export { defaultRootDir } from './layout';

export type KillHow = 'immediate' | 'kill9';

/**
 * A Greenplum-shaped cluster of plain PostgreSQL 15 instances on loopback addresses: a coordinator holding
 * gp_segment_configuration, primaries with streaming mirrors, and an FTS prober process keeping the catalog true.
 */
export class DemoCluster {
  private constructor(private readonly state: DemoState) {}

  /** Builds and starts a new cluster (with its prober) and registers it in the clusters file. */
  static async create(opts: DemoOptions = {}): Promise<DemoCluster> {
    const cluster = new DemoCluster(await createCluster(opts));
    await cluster.startProberAndWait();
    return cluster;
  }

  static open(rootDir: string): DemoCluster {
    return new DemoCluster(readState(rootDir));
  }

  static exists(rootDir: string): boolean {
    return hasState(path.resolve(rootDir));
  }

  static defaultRootDir(name = 'demo'): string {
    return defaultRootDir(name);
  }

  get name(): string {
    return this.state.layout.name;
  }

  get rootDir(): string {
    return this.state.layout.rootDir;
  }

  get layout(): DemoLayout {
    return this.state.layout;
  }

  get clustersFile(): string {
    return this.state.clustersFile;
  }

  config(): ClusterConfig {
    return this.state.config;
  }

  proberPid(): number | undefined {
    return proberPid(this.rootDir);
  }

  private withPool<T>(fn: (pool: ExecutorPool) => Promise<T>): Promise<T> {
    const pool = new ExecutorPool(this.state.config);
    return fn(pool).finally(() => pool.closeAll());
  }

  /** The executor the cluster's own commands use on one of its hosts (runs as the cluster's OS user). */
  executor(hostname: string): Executor {
    return new ExecutorPool(this.state.config).forHost(hostname, this.state.layout.hostAddresses[hostname] ?? hostname);
  }

  coordinator<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    return withCoordinator(this.state.config, fn);
  }

  segments(): Promise<SegmentRow[]> {
    return this.coordinator(readSegments);
  }

  history(limit = 100): Promise<ConfigHistoryRow[]> {
    return this.coordinator((c) => readHistory(c, limit));
  }

  private async segmentsIfReachable(): Promise<SegmentRow[] | undefined> {
    try {
      return await this.segments();
    } catch {
      return undefined;
    }
  }

  private async segment(dbid: number): Promise<SegmentRow> {
    const row = (await this.segments()).find((r) => r.dbid === dbid);
    if (!row) throw new DemoError(`cluster '${this.name}' has no dbid ${dbid}`);
    return row;
  }

  /** Coordinator up and the prober running. */
  async isRunning(): Promise<boolean> {
    return this.proberPid() !== undefined && (await this.segmentsIfReachable()) !== undefined;
  }

  /**
   * gpstart, then the prober; segments the catalog holds down stay down. Registers the ClusterConfig again only when
   * the clusters file lost it: an entry edited since (by the DBA, or a test's SSH host) is the worker's, and kept.
   */
  async start(): Promise<StartReport> {
    await addHostNames(this.rootDir, hostNamesOf(this.state.layout));
    const report = await this.withPool(async (pool) => {
      const c = this.state.layout.coordinator;
      await startInstance(pool.forHost(c.hostname, c.address), demoBin(this.state), c, this.state.layout.gpHome ? 'dispatch' : undefined);
      return startSegments(this.state, pool, await this.segments());
    });
    if (!(this.name in readClustersFile(this.state.clustersFile).clusters)) saveClusterConfig(this.state.config, this.state.clustersFile);
    await this.startProberAndWait();
    return report;
  }

  private async startProberAndWait(): Promise<void> {
    startProber(this.rootDir);
    try {
      await this.requestProbe(30_000);
    } catch (err) {
      throw new DemoError(`the FTS prober of '${this.name}' did not answer a probe request: ${errorText(err)}${
        proberLogTail(this.rootDir) ? ` (log: ${proberLogTail(this.rootDir)})` : ''}`);
    }
  }

  /**
   * Freezes the demo's FTS (or thaws it): frozen, it answers probe requests but marks nothing up or down, so that
   * recovered mirrors stay waiting for sync as long as a measurement needs. Takes effect from the next cycle.
   */
  async freezeFts(frozen: boolean): Promise<void> {
    const file = ftsFrozenFile(this.rootDir);
    if (frozen) fs.writeFileSync(file, `${new Date().toISOString()}\n`);
    else fs.rmSync(file, { force: true });
    await this.requestProbe();
  }

  /** SELECT gp_request_fts_probe_scan(): returns after a full probe cycle that started after the call. */
  async requestProbe(timeoutMs = 60_000): Promise<void> {
    const c = this.state.layout.coordinator;
    await withInstance(c, { ...loginOf(this.state.layout), statementTimeoutMs: timeoutMs }, async (client) => {
      let done = false;
      const watch = (async () => {
        // A dead prober would leave the request waiting for its whole timeout.
        while (!done) {
          await sleep(250);
          if (!done && !this.proberPid()) {
            await client.end().catch(() => undefined);
            throw new DemoError(`the FTS prober of '${this.name}' is not running`);
          }
        }
      })();
      try {
        await Promise.race([client.query('SELECT gp_request_fts_probe_scan()'), watch]);
      } finally {
        done = true;
        await watch.catch(() => undefined);
      }
    });
  }

  /** Prober first (no fault marking while everything goes down), then every instance; data stays. */
  async stop(): Promise<void> {
    await stopProber(this.rootDir);
    await this.resumeHung();
    const rows = await this.segmentsIfReachable();
    const errors = await this.withPool((pool) => stopInstances(this.state, pool, rows));
    if (errors.length) throw new DemoError(`cluster '${this.name}' did not stop cleanly: ${errors.join('; ')}`);
  }

  /** Stops everything, removes the root directory and the ClusterConfig; no process of the cluster survives. */
  async destroy(): Promise<void> {
    await stopProber(this.rootDir);
    await this.resumeHung();
    const rows = await this.segmentsIfReachable();
    await this.withPool(async (pool) => {
      await stopInstances(this.state, pool, rows);
      await killLeftovers(this.state, pool, rows);
    });
    // A recovery that did not end (a test timed out, a worker killed) leaves gprecoverseg.lock with its holder
    // process, which ends once the directory is gone.
    fs.rmSync(path.join(this.state.layout.coordinator.datadir, 'gprecoverseg.lock'), { recursive: true, force: true });
    await waitNoProcessesUnder(this.rootDir, 15_000);
    fs.rmSync(this.rootDir, { recursive: true, force: true });
    removeClusterConfig(this.name, this.state.clustersFile);
    await removeHostNames(this.rootDir);
  }

  /**
   * A host for -p (or a move), beside the cluster's: the next two loopback addresses, a name in /etc/hosts when the
   * catalog holds names, the worker's configuration and the demo's tools know it. Returns its catalog address.
   */
  async addSpareHost(hostname: string): Promise<string> {
    const layout = this.state.layout;
    const taken = Object.keys(hostsOf(layout)).length;
    const octets = layout.ipPrefix.split('.');
    const last = taken + 1;
    layout.spareHosts = { ...layout.spareHosts, [hostname]: [`${layout.ipPrefix}.${last}`, `127.${(Number(octets[1]) + 128) % 256}.${octets[2]}.${last}`] };
    this.state.config = { ...this.state.config, ...clusterConfigFor(layout, this.state.pgBin), flavor: this.state.config.flavor };
    if (layout.gpHome) installGpHome({ dir: layout.gpHome, pgBin: this.state.pgBin, flavor: layout.flavor as 'gp7' | 'cloudberry', osUser: layout.osUser, hosts: hostsOf(layout) });
    await addHostNames(this.rootDir, hostNamesOf(layout));
    writeState(this.state);
    saveClusterConfig(this.state.config, this.state.clustersFile);
    return layout.hostNames ? demoHostName(layout.name, hostname) : layout.spareHosts[hostname][0];
  }

  /** The IPs a host of the demo answers on (spare hosts too); its name resolves to the first. */
  hostIps(hostname: string): string[] {
    return hostsOf(this.state.layout)[hostname] ?? [];
  }

  /**
   * A hung segment, as a host that stopped answering: SIGSTOP to its postmaster and every child. Its connections stay
   * open (its walsender on the primary lingers until wal_sender_timeout); FTS marks it down after a probe timeout.
   */
  async hang(dbid: number): Promise<number[]> {
    const row = await this.segment(dbid);
    return this.withPool(async (pool) => {
      const exec = pool.forHost(row.hostname, row.address);
      const pid = await postmasterPid(exec, row.datadir);
      if (!pid) throw new DemoError(`dbid ${dbid} is not running (${row.datadir})`);
      const kids = (await exec.run(['pgrep', '-P', String(pid)], { timeoutMs: 5_000 })).stdout.split('\n').map((p) => p.trim()).filter((p) => /^\d+$/.test(p));
      await runChecked(exec, ['kill', '-STOP', String(pid), ...kids], { timeoutMs: 5_000 });
      return [pid, ...kids.map(Number)];
    });
  }

  /** Every stopped (hung) process of the cluster's instances goes on again, so that they can be stopped. */
  private async resumeHung(): Promise<void> {
    const rows = await this.segmentsIfReachable();
    await this.withPool((pool) => Promise.all(allInstances(this.state, rows).map(async (i) => {
      const exec = pool.forHost(i.hostname, i.address);
      const pid = await postmasterPid(exec, i.datadir).catch(() => undefined);
      if (pid) await exec.run(['sh', '-c', 'kill -CONT "$1" $(pgrep -P "$1") 2>/dev/null; exit 0', 'sh', String(pid)], { timeoutMs: 5_000 });
    })));
  }

  /** `demo load --busy`: the acting primary of `content` writes, drops and recycles WAL until stopped. */
  async busy(content: number): Promise<BusyLoad> {
    const p = (await this.segments()).find((r) => r.content === content && r.role === 'p');
    if (!p) throw new DemoError(`content ${content} has no acting primary`);
    return busyLoad(p, loginOf(this.state.layout), content);
  }

  /** One query on one instance, in utility mode on a Greenplum flavour (as a DBA's psql would have to). */
  async query<T extends pg.QueryResultRow = pg.QueryResultRow>(dbid: number, text: string, params: unknown[] = []): Promise<T[]> {
    const row = await this.segment(dbid);
    return withInstance(row, { ...loginOf(this.state.layout), statementTimeoutMs: 60_000 }, async (c) => (await c.query<T>(text, params)).rows);
  }

  /** Repeats a query until its rows satisfy `pred`. */
  async waitForQuery(dbid: number, text: string, pred: (rows: pg.QueryResultRow[]) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.query(dbid, text).catch(() => undefined);
      if (rows && pred(rows)) return;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${text} on dbid ${dbid}`);
      await sleep(200);
    }
  }

  /** Starts one instance as gpstart would (gp_role=execute for a segment of a Greenplum flavour). */
  async startInstance(dbid: number): Promise<boolean> {
    const row = await this.segment(dbid);
    const role = this.state.layout.gpHome ? (row.content < 0 ? 'dispatch' : 'execute') : undefined;
    return this.withPool((pool) => startInstance(pool.forHost(row.hostname, row.address), demoBin(this.state), row, role, this.state.layout.flavor === 'cloudberry'));
  }

  /** 'immediate': pg_ctl stop -m immediate; 'kill9': SIGKILL to the postmaster and its children. */
  async kill(dbid: number, how: KillHow = 'immediate'): Promise<void> {
    const row = await this.segment(dbid);
    await this.withPool(async (pool) => {
      const exec = pool.forHost(row.hostname, row.address);
      if (how === 'kill9') return killInstanceHard(exec, demoBin(this.state), row);
      if (!(await stopInstance(exec, demoBin(this.state), row.datadir, 'immediate'))) {
        throw new DemoError(`dbid ${dbid} is not running (${row.datadir})`);
      }
    });
  }

  /** Adds `rowsPerContent` rows to demo_data_<content> on every acting primary; returns the row counts. */
  async loadData(rowsPerContent: number): Promise<Record<number, number>> {
    const primaries = (await this.segments()).filter((r) => r.content >= 0 && r.role === 'p');
    const counts = await Promise.all(primaries.map((p) => loadContent(p, loginOf(this.state.layout), p.content, rowsPerContent)));
    return Object.fromEntries(primaries.map((p, i) => [p.content, counts[i]]));
  }

  /** md5 of each content's demo rows, read on its acting primary. */
  async checksums(): Promise<Record<number, string>> {
    const primaries = (await this.segments()).filter((r) => r.content >= 0 && r.role === 'p');
    const sums = await Promise.all(primaries.map((p) => checksumContent(p, loginOf(this.state.layout), p.content, p.dbid)));
    return Object.fromEntries(primaries.map((p, i) => [p.content, sums[i]]));
  }

  /** The same checksum read on one instance; a mirror answers as a hot standby (as of its replay position). */
  async checksumOn(dbid: number): Promise<string> {
    const row = await this.segment(dbid);
    return checksumContent(row, loginOf(this.state.layout), row.content, dbid);
  }

  async status(): Promise<DemoStatusRow[]> {
    return collectStatus(await this.segments(), loginOf(this.state.layout));
  }

  /** Polls the catalog until `pred` holds; the last rows are in the error when it never does. */
  async waitFor(pred: (rows: SegmentRow[]) => boolean, timeoutMs: number, what = 'the catalog condition'): Promise<SegmentRow[]> {
    const deadline = Date.now() + timeoutMs;
    let last: SegmentRow[] = [];
    for (;;) {
      try {
        last = await this.segments();
        if (pred(last)) return last;
      } catch {
        /* coordinator briefly unreachable: keep polling */
      }
      if (Date.now() > deadline) {
        const rows = last.map((r) => `${r.dbid}:${r.content}${r.role}${r.mode}${r.status}`).join(' ');
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (catalog dbid:content role mode status: ${rows || 'unreadable'})`);
      }
      await sleep(200);
    }
  }

  /** Until every connected mirror has replayed all of its primary's WAL. */
  async waitForMirrorsCaughtUp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const behind = (await this.status()).filter((r) => r.role === 'm' && r.status === 'u' && r.walBytesBehind !== 0);
      if (!behind.length) return;
      if (Date.now() > deadline) {
        throw new Error(`mirrors not caught up after ${timeoutMs} ms: ${behind.map((r) => `dbid ${r.dbid} ${r.walBytesBehind ?? 'not connected'}`).join(', ')}`);
      }
      await sleep(100);
    }
  }
}
