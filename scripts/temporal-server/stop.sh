#!/usr/bin/env bash
# stop DIR: ends what start.sh started in DIR (UI server, Temporal server, PostgreSQL); the data stays for the next start.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/postgres.sh"
. "$HERE/processes.sh"
log() { echo "[temporal-server] $*"; }

[ $# -ge 1 ] || { echo "usage: scripts/temporal-server.sh stop DIR"; exit 2; }
[ -d "$1" ] || { log "no state directory $1: nothing to stop"; exit 0; }
STATE_DIR="$(cd "$1" && pwd)"

# Each was started as its own process group leader (setsid): the group is ended, then killed if it lingers.
stop_group() {
  local name="$1" pidfile="$STATE_DIR/run/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if group_alive "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      group_alive "$pid" || break
      sleep 0.2
    done
    if group_alive "$pid"; then
      log "$name (pid $pid) still alive after 20 s: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

stop_group ui
stop_group server
if [ -f "$STATE_DIR/pgdata/postmaster.pid" ]; then
  pg_stop "$STATE_DIR/pgdata"
  log "stopped PostgreSQL of $STATE_DIR"
fi
