import { loadClusterConfig } from '../cluster/config';
import { ClusterContext } from '../cluster/context';
import { SyncWatcher } from '../cluster/sync';
import type { SegmentRow } from '../domain/segment';

interface Cached {
  fingerprint: string;
  context: Promise<ClusterContext>;
  detectedAt: number;
}

/** How long a detected flavour is trusted: a cluster upgraded under a running worker is noticed within this. */
const FLAVOR_TTL_MS = 60_000;

/**
 * What every activity needs: the worker-side configuration of a cluster, read afresh each time (an edited clusters
 * file takes effect without a restart, SSH settings included), its flavour, and executors on its hosts.
 */
export class ActivityContext {
  private readonly clusters = new Map<string, Cached>();
  /** Contexts of an earlier configuration: running activities may still use their executors. */
  private readonly retired: Array<Promise<ClusterContext>> = [];
  private readonly watchers = new Map<string, SyncWatcher>();

  constructor(readonly clustersFile: string) {}

  cluster(name: string): Promise<ClusterContext> {
    const cfg = loadClusterConfig(name, this.clustersFile);
    const fingerprint = JSON.stringify(cfg);
    const cached = this.clusters.get(name);
    if (cached?.fingerprint === fingerprint && Date.now() - cached.detectedAt < FLAVOR_TTL_MS) return cached.context;
    if (cached) this.retired.push(cached.context);
    const context = ClusterContext.resolve(cfg);
    this.clusters.set(name, { fingerprint, context, detectedAt: Date.now() });
    // A coordinator that was down is asked again next time.
    context.catch(() => {
      if (this.clusters.get(name)?.context === context) this.clusters.delete(name);
    });
    return context;
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

  async close(): Promise<void> {
    await Promise.all([...this.watchers.values()].map((w) => w.close()));
    this.watchers.clear();
    const all = [...this.clusters.values()].map((c) => c.context).concat(this.retired);
    this.clusters.clear();
    this.retired.length = 0;
    await Promise.all(all.map((p) => p.then((c) => c.close(), () => undefined)));
  }
}
