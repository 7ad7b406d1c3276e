#!/usr/bin/env bash
# Builds Temporal's server, its SQL schema tool and the Web UI server from their Go modules at the pinned versions,
# into .tools/temporal-server/<version>/ (binaries, plus the schema and config templates `start` needs, copied out of
# the module so that nothing later depends on the module cache). Skips whatever is already built.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=pins.sh
. "$HERE/pins.sh"
log() { echo "[temporal-server build] $*"; }

TOOLS="$ROOT/.tools"
SERVER_DIR="$TOOLS/temporal-server/$TEMPORAL_SERVER_VERSION"
UI_DIR="$TOOLS/temporal-ui-server/$TEMPORAL_UI_VERSION"

command -v go >/dev/null || { log "Go is not installed: Go 1.21 or newer is needed (it fetches the toolchain the modules ask for); nothing built"; exit 1; }
# GOTOOLCHAIN, which fetches the Go the modules ask for, came with Go 1.21 (Debian 12's golang-go is 1.19).
gov="$(GOTOOLCHAIN=local go env GOVERSION)"
minor="$(echo "$gov" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
[ -n "$minor" ] && [ "$minor" -ge 21 ] || { log "$gov is too old to fetch the Go toolchain the modules ask for: Go 1.21 or newer is needed; nothing built"; exit 1; }
# Project-local Go caches: a build never touches the user's own, and a clean of .tools/ removes it all.
export GOMODCACHE="$TOOLS/go/mod" GOCACHE="$TOOLS/go/cache" GOPATH="$TOOLS/go/path"
# The server's go.mod asks for a newer Go than Debian's; `auto` fetches that toolchain through the Go module proxy.
export GOTOOLCHAIN=auto CGO_ENABLED=0
# -modcacherw: the module cache can be removed with rm -rf like any other cache.
export GOFLAGS="-buildvcs=false -modcacherw -trimpath"

if [ -f "$SERVER_DIR/.complete" ]; then
  log "Temporal server $TEMPORAL_SERVER_VERSION already built in ${SERVER_DIR#"$ROOT"/}"
else
  log "go install go.temporal.io/server cmd/server and cmd/tools/sql @v$TEMPORAL_SERVER_VERSION (a cold build takes minutes)"
  rm -rf "$SERVER_DIR"
  mkdir -p "$SERVER_DIR/bin"
  GOBIN="$SERVER_DIR/bin" go install "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION"
  module="$(go mod download -json "go.temporal.io/server@v$TEMPORAL_SERVER_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$module/schema/postgresql/v12" ] || { log "no schema/postgresql/v12 in $module"; exit 1; }
  mkdir -p "$SERVER_DIR/schema" "$SERVER_DIR/config"
  cp -r "$module/schema/postgresql" "$SERVER_DIR/schema/"
  cp "$module/config/development-postgres12.yaml" "$SERVER_DIR/config/"
  cp "$module/config/dynamicconfig/development-sql.yaml" "$SERVER_DIR/config/"
  chmod -R u+w "$SERVER_DIR"
  touch "$SERVER_DIR/.complete"
  log "built in ${SECONDS}s: $(du -sh "$SERVER_DIR/bin" | cut -f1) of binaries in ${SERVER_DIR#"$ROOT"/}"
fi

if [ -f "$UI_DIR/.complete" ]; then
  log "Temporal Web UI server $TEMPORAL_UI_VERSION already built in ${UI_DIR#"$ROOT"/}"
else
  # The module's zip carries the built UI (ui/assets/local, embedded by ui/embed.go): the binary serves the UI itself.
  log "go install github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION"
  rm -rf "$UI_DIR"
  mkdir -p "$UI_DIR/bin"
  GOBIN="$UI_DIR/bin" go install "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION"
  touch "$UI_DIR/.complete"
  log "built (${SECONDS}s since the build began): $(du -sh "$UI_DIR/bin" | cut -f1) in ${UI_DIR#"$ROOT"/}"
fi
