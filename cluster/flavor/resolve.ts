import type { FlavorSummary } from '../../domain/flavor';
import { withCoordinator } from '../catalog';
import type { ClusterConfig } from '../config';
import { detectFlavor } from './detect';
import { FLAVOR_TITLES, flavorSummary } from './index';

/**
 * Greenplum 7, Cloudberry or plain tools: the configured flavour, else what the coordinator's version() says. A
 * coordinator that does not answer is a CoordinatorUnavailableError.
 */
export async function resolveFlavor(cfg: ClusterConfig): Promise<FlavorSummary> {
  if (cfg.flavor && cfg.flavor !== 'auto') return flavorSummary(cfg.flavor, `${FLAVOR_TITLES[cfg.flavor]} (configured)`);
  const version = await withCoordinator(cfg, async (c) => String((await c.query('SELECT version() AS version')).rows[0].version));
  const detected = detectFlavor(version, cfg.name);
  return flavorSummary(detected.name, detected.title);
}
