import type { FlavorSummary } from '../domain/flavor';
import type { Location } from '../domain/segment';
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

  constructor(
    readonly cfg: ClusterConfig,
    readonly summary: FlavorSummary,
  ) {
    this.flavor = flavorNamed(summary.name);
    this.bin = toolsDir(cfg);
    this.pool = new ExecutorPool(cfg);
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

  close(): Promise<void> {
    return this.pool.closeAll();
  }
}
