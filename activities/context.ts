import { loadClusterConfig } from '../cluster/config';
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
    // The same configuration and, detected again, the same flavour: the same context, its SSH connections and kept
    // sessions open. A new one each minute left the old one's open for good (retired contexts close with the worker)
    // and had every host logged in to again.
    const previous = cached?.fingerprint === fingerprint ? cached.context.catch(() => undefined) : undefined;
    const context = previous
      ? Promise.all([previous, resolveFlavor(cfg)]).then(([kept, summary]) => {
        if (!kept || !sameFlavor(kept.summary, summary)) return new ClusterContext(cfg, summary);
        const at = this.retired.indexOf(cached!.context);
        if (at >= 0) void this.retired.splice(at, 1);
        return kept;
      })
      : ClusterContext.resolve(cfg);
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
