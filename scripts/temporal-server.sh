#!/usr/bin/env bash
# Temporal's own server on PostgreSQL with SQL visibility, and its Web UI, without Docker: the topology of
# docker-compose.yml built from the pinned Go modules (README, "Production topology").
#   build                    builds the pinned server, SQL tool and UI server into .tools/ (skipped when built)
#   start DIR [BASE_PORT]    PostgreSQL, schemas, server, namespace and search attributes, UI; state in DIR
#   stop DIR                 ends them; DIR keeps the history for the next start
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/temporal-server"
cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  build) exec bash "$HERE/build.sh" "$@" ;;
  start) exec bash "$HERE/start.sh" "$@" ;;
  stop) exec bash "$HERE/stop.sh" "$@" ;;
  help | --help | -h) sed -n '2,7s/^# \{0,1\}//p' "$0" ;;
  *) sed -n '2,7s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
