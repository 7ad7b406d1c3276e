import { withCoordinator } from '../catalog';
import type { ClusterConfig } from '../config';
import { ClusterContext } from '../context';
import { detectFlavor } from './detect';
import { flavorSummary } from './index';

/**
 * Greenplum 7, Cloudberry or plain tools: the configured flavour, else what the coordinator's version() says (the
 * demo names the flavour it emulates in a setting). A coordinator that does not answer is a CoordinatorUnavailableError.
 */
export async function resolveClusterContext(cfg: ClusterConfig): Promise<ClusterContext> {
  if (cfg.flavor && cfg.flavor !== 'auto') return new ClusterContext(cfg, flavorSummary(cfg.flavor, `${cfg.flavor} (configured)`));
  const row = await withCoordinator(cfg, async (c) =>
    (await c.query(`SELECT version() AS version, current_setting('gprecover_demo.flavor', true) AS demo`)).rows[0]);
  const detected = detectFlavor(String(row.version), row.demo as string | null, cfg.name);
  return new ClusterContext(cfg, flavorSummary(detected.name, detected.title));
}
