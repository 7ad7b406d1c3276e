import { loadClusterConfig, type ClusterConfig } from '../cluster/config';
import { ClusterContext } from '../cluster/context';
import { resolveFlavor } from '../cluster/flavor/resolve';
import { SyncWatcher } from '../cluster/sync';
import type { FlavorSummary } from '../domain/flavor';
import type { SegmentRow } from '../domain/segment';

interface Cached {
  fingerprint: string;
  context: Promise<ClusterContext>;
  detectedAt: number;
}

/** How long a detected flavour is trusted: a cluster upgraded under a running worker is noticed within this. */
export const FLAVOR_TTL_MS = 60_000;

/**
 * What every activity needs: the worker-side configuration of a cluster, read afresh each time (an edited clusters
 * file takes effect without a restart, SSH settings included), its flavour, and executors on its hosts.
 */
export class ActivityContext {
  private readonly clusters = new Map<string, Cached>();
  /** Contexts of an earlier configuration or flavour: running activities may still use their executors. */
  private readonly retired: Array<Promise<ClusterContext>> = [];
  private readonly watchers = new Map<string, SyncWatcher>();

  constructor(readonly clustersFile: string) {}

  cluster(name: string): Promise<ClusterContext> {
    const cfg = loadClusterConfig(name, this.clustersFile);
    const fingerprint = JSON.stringify(cfg);
    const cached = this.clusters.get(name);
    if (cached?.fingerprint === fingerprint) {
      if (Date.now() - cached.detectedAt < FLAVOR_TTL_MS) return cached.context;
      const context = this.detectedAgain(cfg, cached.context);
      const entry = { fingerprint, context, detectedAt: Date.now() };
      this.clusters.set(name, entry);
      // Not detected (the coordinator down): the context stays the one in use, its flavour due to be detected again.
      context.catch(() => {
        if (this.clusters.get(name) === entry) this.clusters.set(name, { ...cached, detectedAt: -Infinity });
      });
      return context;
    }
    if (cached) this.retired.push(cached.context);
    const context = ClusterContext.resolve(cfg);
    this.clusters.set(name, { fingerprint, context, detectedAt: Date.now() });
    // A coordinator that was down is asked again next time.
    context.catch(() => {
      if (this.clusters.get(name)?.context === context) this.clusters.delete(name);
    });
    return context;
  }

  /**
   * The same configuration, its flavour detected again: the same flavour keeps the same context, its SSH connections
   * and kept sessions open. A new context each minute had every host logged in to again, and left the old one open
   * until the worker stopped (activities started before may still use it: it cannot be closed under them).
   */
  private async detectedAgain(cfg: ClusterConfig, current: Promise<ClusterContext>): Promise<ClusterContext> {
    const [kept, summary] = await Promise.all([current.catch(() => undefined), resolveFlavor(cfg)]);
    if (kept && sameFlavor(kept.summary, summary)) return kept;
    if (kept) this.retired.push(current);
    return new ClusterContext(cfg, summary);
  }

  /** The worker's one watcher of the cluster's mirrors waiting for sync. */
  syncWatcher(name: string): SyncWatcher {
    let w = this.watchers.get(name);
    if (!w) {
      w = new SyncWatcher(() => this.cluster(name));
      this.watchers.set(name, w);
    }
    return w;
  }

  /** The catalog as it is now, read over the worker's kept session (a step re-reads it before every write). */
  segments(ctx: ClusterContext): Promise<SegmentRow[]> {
    return ctx.segments();
  }

  /** Contexts of earlier configurations or flavours still held open (tests). */
  get retiredCount(): number {
    return this.retired.length;
  }

  async close(): Promise<void> {
    await Promise.all([...this.watchers.values()].map((w) => w.close()));
    this.watchers.clear();
    const all = [...this.clusters.values()].map((c) => c.context).concat(this.retired);
    this.clusters.clear();
    this.retired.length = 0;
    const contexts = new Set((await Promise.all(all.map((p) => p.catch(() => undefined)))).filter((c) => c !== undefined));
    await Promise.all([...contexts].map((c) => c.close()));
  }
}

const sameFlavor = (a: FlavorSummary, b: FlavorSummary) => a.name === b.name && a.title === b.title && a.differential === b.differential;
