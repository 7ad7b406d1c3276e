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

/** The flavour from the coordinator's version(): Greenplum 7, Cloudberry, a Greenplum we refuse, or plain PostgreSQL. */
export function detectFlavor(version: string, cluster = 'this cluster'): DetectedFlavor {
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
  const pg = /^PostgreSQL ([\d.]+)/.exec(version)?.[1] ?? version.slice(0, 40);
  return { name: 'postgres', title: `PostgreSQL ${pg} tools (no Greenplum rules)` };
}
