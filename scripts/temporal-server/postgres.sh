# Sourced by start.sh and stop.sh: Temporal's own PostgreSQL 15 (persistence and SQL visibility), one instance per
# state directory. Not a Greenplum cluster. Listens on 127.0.0.1 only, trust authentication for loopback clients.
PG_BIN="${GPRECOVER_PG_BIN:-/usr/lib/postgresql/15/bin}"

# initdb and the postmaster refuse to run as root; as root they run as the postgres OS user, as the demo cluster does.
as_pg_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_init() {
  local data="$1" port="$2"
  [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL 15 is not installed in $PG_BIN: run scripts/setup.sh"; return 1; }
  mkdir -p "$data"
  [ "$(id -u)" = 0 ] && chown postgres: "$data"
  chmod 700 "$data"
  as_pg_owner "$PG_BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
  # Temporal's four services each keep their own pool (maxConns 20 + 2 per store): above the default 100.
  cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data'
max_connections = 200
CONF
}

pg_start() {
  local data="$1" log="$2"
  touch "$log"
  [ "$(id -u)" = 0 ] && chown postgres: "$log"
  as_pg_owner "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
}

pg_stop() {
  local data="$1"
  [ -f "$data/postmaster.pid" ] || return 0
  as_pg_owner "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
}
