import type { FlavorName } from '../../domain/flavor';
import { InvalidRequestError } from '../../domain/failures';

/** A coordinator that reports a Greenplum we do not speak (6, or an unknown major). */
export class UnsupportedClusterError extends InvalidRequestError {
  override name = 'UnsupportedClusterError';
}

export interface DetectedFlavor {
  name: FlavorName;
  title: string;
}

// PG_VERSION_STR of Greenplum and Cloudberry: "PostgreSQL 12.12 (Greenplum Database 7.1.0 build commit:…) on …",
// "PostgreSQL 14.4 (Cloudberry Database 1.6.0 build …)", "PostgreSQL 14.4 (Apache Cloudberry 2.0.0 build …)".
const PRODUCT = /\((Greenplum Database|Cloudberry Database|Apache Cloudberry) (\d+)\.(\d+)(?:\.(\d+))?[^)]*\)/;

const SUPPORTED = 'gprecover speaks Greenplum 7 and Apache Cloudberry';

/**
 * The flavour from the coordinator's version() and, on a plain PostgreSQL coordinator, the demo cluster's
 * `gprecover_demo.flavor` setting (the demo emulates Greenplum on PostgreSQL 15 and says which one).
 */
export function detectFlavor(version: string, demoFlavor?: string | null, cluster = 'this cluster'): DetectedFlavor {
  const m = PRODUCT.exec(version);
  if (m) {
    const [, product, major, minor, patch] = m;
    const release = [major, minor, patch].filter((p) => p !== undefined).join('.');
    if (product === 'Greenplum Database') {
      if (major === '7') return { name: 'gp7', title: `Greenplum ${release}` };
      throw new UnsupportedClusterError(
        `cluster '${cluster}' runs Greenplum ${release}, which gprecover does not support (${SUPPORTED}); use that release's own gprecoverseg`,
      );
    }
    return { name: 'cloudberry', title: `${product} ${release}` };
  }
  const demo = demoFlavor?.trim();
  if (demo === 'gp7') return { name: 'gp7', title: 'Greenplum 7 (demo cluster on PostgreSQL 15)' };
  if (demo === 'cloudberry') return { name: 'cloudberry', title: 'Apache Cloudberry (demo cluster on PostgreSQL 15)' };
  if (demo === 'gp6') {
    throw new UnsupportedClusterError(
      `cluster '${cluster}' runs Greenplum 6 (demo), which gprecover does not support (${SUPPORTED}); use that release's own gprecoverseg`,
    );
  }
  const pg = /^PostgreSQL ([\d.]+)/.exec(version)?.[1] ?? version.slice(0, 40);
  return { name: 'postgres', title: `PostgreSQL ${pg} tools (no Greenplum rules)` };
}
