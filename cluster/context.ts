import type { FlavorSummary } from '../domain/flavor';
import type { Endpoint, Location, SegmentRow } from '../domain/segment';
import { coordinatorConnection, coordinatorUnreachable, readSegments } from './catalog';
import { KeptSessions } from './keptSessions';
import { segmentConnection, segmentUnreachable } from './segment/sql';
import { toolsDir, type ClusterConfig } from './config';
import type { Executor } from './exec/executor';
import { ExecutorPool } from './exec/pool';
import { flavorNamed, flavorSummary, type ClusterFlavor } from './flavor';
import { resolveFlavor } from './flavor/resolve';

/** One configured cluster as the activities use it: its settings, its flavour, and executors on its hosts. */
export class ClusterContext {
  readonly flavor: ClusterFlavor;
  /** Directory of the cluster's tools on every host ($GPHOME/bin, or pgBin). */
  readonly bin: string;
  readonly pool: ExecutorPool;
  /** The worker's kept coordinator sessions, for catalog reads only (writes and FTS requests connect on their own). */
  readonly catalog: KeptSessions;
  private readonly segmentSessions = new Map<string, KeptSessions>();

  constructor(
    readonly cfg: ClusterConfig,
    readonly summary: FlavorSummary,
  ) {
    this.flavor = flavorNamed(summary.name);
    this.bin = toolsDir(cfg);
    this.pool = new ExecutorPool(cfg);
    this.catalog = new KeptSessions({ connection: coordinatorConnection(cfg), max: 4, unreachable: (err) => coordinatorUnreachable(cfg, err) });
  }

  /** The configured flavour, else the one the coordinator's version() names. */
  static async resolve(cfg: ClusterConfig): Promise<ClusterContext> {
    return new ClusterContext(cfg, await resolveFlavor(cfg));
  }

  static of(cfg: ClusterConfig, name: FlavorSummary['name'], title = name): ClusterContext {
    return new ClusterContext(cfg, flavorSummary(name, title));
  }

  get name(): string {
    return this.cfg.name;
  }

  host(at: Pick<Location, 'hostname' | 'address'>): Executor {
    return this.pool.forHost(at.hostname, at.address);
  }

  /** Both hosts run their commands on the worker's own machine (configured local): a path needs no host part. */
  sameMachine(a: Pick<Location, 'hostname'>, b: Pick<Location, 'hostname'>): boolean {
    return this.pool.kindOf(a.hostname) === 'local' && this.pool.kindOf(b.hostname) === 'local';
  }

  /** Database user of replication connections: the configured one, else libpq's default (the OS user), as gpMgmt. */
  get replicationUser(): string | undefined {
    return this.cfg.replicationUser;
  }

  /** gp_segment_configuration as the coordinator has it now. */
  segments(): Promise<SegmentRow[]> {
    return this.catalog.use(readSegments);
  }

  /** Kept sessions on one segment instance (utility mode where the flavour has one), for its short statements. */
  sessionsOn(seg: Endpoint): KeptSessions {
    const key = `${seg.address}:${seg.port}`;
    let s = this.segmentSessions.get(key);
    if (!s) {
      s = new KeptSessions({ connection: segmentConnection(this, seg), max: 2, unreachable: (err) => segmentUnreachable(seg, err) });
      this.segmentSessions.set(key, s);
    }
    return s;
  }

  async close(): Promise<void> {
    const sessions = [this.catalog, ...this.segmentSessions.values()];
    this.segmentSessions.clear();
    await Promise.all([this.pool.closeAll(), ...sessions.map((s) => s.close())]);
  }
}
