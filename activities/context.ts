import { readSegments, withCoordinator } from '../cluster/catalog';
import { loadClusterConfig, type ClusterConfig } from '../cluster/config';
import { ClusterContext } from '../cluster/context';
import { detectFlavor, flavorSummary } from '../cluster/flavor';
import type { SegmentRow } from '../domain/segment';

interface Cached {
  fingerprint: string;
  context: Promise<ClusterContext>;
  detectedAt: number;
}

/** How long a detected flavour is trusted: a cluster upgraded under a running worker is noticed within this. */
const FLAVOR_TTL_MS = 60_000;

/** Greenplum 7, Cloudberry or plain tools: the configured flavour, else what the coordinator's version() says. */
async function resolveFlavor(cfg: ClusterConfig): Promise<ClusterContext> {
  if (cfg.flavor && cfg.flavor !== 'auto') return new ClusterContext(cfg, flavorSummary(cfg.flavor, `${cfg.flavor} (configured)`));
  const row = await withCoordinator(cfg, async (c) =>
    (await c.query(`SELECT version() AS version, current_setting('gprecover_demo.flavor', true) AS demo`)).rows[0]);
  const detected = detectFlavor(String(row.version), row.demo as string | null, cfg.name);
  return new ClusterContext(cfg, flavorSummary(detected.name, detected.title));
}

/**
 * What every activity needs: the worker-side configuration of a cluster, read afresh each time (an edited clusters
 * file takes effect without a restart, SSH settings included), its flavour, and executors on its hosts.
 */
export class ActivityContext {
  private readonly clusters = new Map<string, Cached>();
  /** Contexts of an earlier configuration: running activities may still use their executors. */
  private readonly retired: Array<Promise<ClusterContext>> = [];

  constructor(readonly clustersFile: string) {}

  cluster(name: string): Promise<ClusterContext> {
    const cfg = loadClusterConfig(name, this.clustersFile);
    const fingerprint = JSON.stringify(cfg);
    const cached = this.clusters.get(name);
    if (cached?.fingerprint === fingerprint && Date.now() - cached.detectedAt < FLAVOR_TTL_MS) return cached.context;
    if (cached) this.retired.push(cached.context);
    const context = resolveFlavor(cfg);
    this.clusters.set(name, { fingerprint, context, detectedAt: Date.now() });
    // A coordinator that was down is asked again next time.
    context.catch(() => {
      if (this.clusters.get(name)?.context === context) this.clusters.delete(name);
    });
    return context;
  }

  async segments(ctx: ClusterContext): Promise<SegmentRow[]> {
    return withCoordinator(ctx.cfg, readSegments);
  }

  async close(): Promise<void> {
    const all = [...this.clusters.values()].map((c) => c.context).concat(this.retired);
    this.clusters.clear();
    this.retired.length = 0;
    await Promise.all(all.map((p) => p.then((c) => c.close(), () => undefined)));
  }
}
