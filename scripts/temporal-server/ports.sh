# Sourced by start.sh and stop.sh: every port of one instance of this tier, derived from one base port, so that
# two instances (or a dev server on Temporal's defaults, 7233/8233) never meet. The frontend is the base itself and
# the UI is the base + 1000, the link gprecover prints when TEMPORAL_UI_URL is unset (client: frontend port + 1000).
ports_from_base() {
  local b="$1"
  FRONTEND_PORT=$b
  FRONTEND_HTTP_PORT=$((b + 1))
  HISTORY_PORT=$((b + 2))
  MATCHING_PORT=$((b + 3))
  WORKER_PORT=$((b + 4))
  FRONTEND_MEMBERSHIP_PORT=$((b + 5))
  HISTORY_MEMBERSHIP_PORT=$((b + 6))
  MATCHING_MEMBERSHIP_PORT=$((b + 7))
  WORKER_MEMBERSHIP_PORT=$((b + 8))
  PPROF_PORT=$((b + 9))
  METRICS_PORT=$((b + 10))
  PG_PORT=$((b + 11))
  UI_PORT=$((b + 1000))
  ALL_PORTS="$FRONTEND_PORT $FRONTEND_HTTP_PORT $HISTORY_PORT $MATCHING_PORT $WORKER_PORT $FRONTEND_MEMBERSHIP_PORT \
$HISTORY_MEMBERSHIP_PORT $MATCHING_MEMBERSHIP_PORT $WORKER_MEMBERSHIP_PORT $PPROF_PORT $METRICS_PORT $PG_PORT $UI_PORT"
}

# Something listening on 127.0.0.1:$1, or on every address.
port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
