import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { loadClusterConfig, type ClusterConfig } from '../cluster/config';
import { ExecutorPool } from '../cluster/exec/pool';
import { NON_RETRYABLE_ERRORS } from '../cluster/segment/errors';

/** What every activity needs: the worker-side cluster config and one executor pool per cluster. */
export class ActivityContext {
  private readonly pools = new Map<string, ExecutorPool>();

  constructor(readonly clustersFile: string) {}

  cluster(name: string): ClusterConfig {
    return loadClusterConfig(name, this.clustersFile);
  }

  pool(cfg: ClusterConfig): ExecutorPool {
    let pool = this.pools.get(cfg.name);
    if (!pool) {
      pool = new ExecutorPool(cfg);
      this.pools.set(cfg.name, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.closeAll()));
    this.pools.clear();
  }
}

/**
 * Errors that retrying cannot fix fail the activity at once, under their own name, for the workflow to decide.
 * Also heartbeats every 2 s unless the activity reports progress itself (heartbeat: false).
 */
export async function classified<T>(fn: () => Promise<T>, opts: { heartbeat?: boolean } = { heartbeat: true }): Promise<T> {
  // Short heartbeat timeouts let Temporal notice a dead worker in seconds; a long command still beats meanwhile.
  const ticker = opts.heartbeat ? setInterval(() => Context.current().heartbeat(), 2000) : undefined;
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Error && NON_RETRYABLE_ERRORS.includes(err.name)) {
      throw ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: true });
    }
    throw err;
  } finally {
    if (ticker) clearInterval(ticker);
  }
}
