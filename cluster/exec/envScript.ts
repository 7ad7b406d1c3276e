import { ENV_SCRIPTS } from '../flavor';
import type { Executor, RunOptions, RunResult } from './executor';

// GPHOME is exported first: some releases' scripts derive it from BASH_SOURCE, older ones expect it set.
const SOURCE_ENV = String.raw`
GPHOME=$1; export GPHOME; shift
for f in ${ENV_SCRIPTS.join(' ')}; do
  if [ -f "$GPHOME/$f" ]; then . "$GPHOME/$f" || exit 127; exec "$@"; fi
done
echo "gprecover: no ${ENV_SCRIPTS.join(' or ')} in $GPHOME (the cluster's gpHome)" >&2
exit 127
`;

/**
 * Runs every command after sourcing the installation's environment script, as gpMgmt does over ssh
 * (". $GPHOME/greenplum_path.sh; cmd"): binaries of a Greenplum installation may not even load without it.
 */
export class EnvScriptExecutor implements Executor {
  readonly kind: Executor['kind'];
  readonly host: string;
  readonly maxConcurrency: number | undefined;

  constructor(
    private readonly inner: Executor,
    readonly gpHome: string,
  ) {
    this.kind = inner.kind;
    this.host = inner.host;
    this.maxConcurrency = inner.maxConcurrency;
  }

  run(argv: string[], opts?: RunOptions): Promise<RunResult> {
    return this.inner.run(['bash', '-c', SOURCE_ENV, 'gprecover-env', this.gpHome, ...argv], opts);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
