#!/usr/bin/env bash
# Builds the demo cluster's server module (demo/gpdemo/gpdemo.c: gp_role, gp_dbid, and Greenplum's refusal of
# non-utility sessions on segments) against the PostgreSQL 15 server headers. The headers come from Debian's
# postgresql-server-dev-15 when it is installed, else that package (and the Kerberos headers it includes) is
# downloaded with apt-get and unpacked under .tools/ without its compiler dependencies.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SRC=demo/gpdemo/gpdemo.c
OUT=.tools/gpdemo/gpdemo.so
if [ -f "$OUT" ] && [ "$OUT" -nt "$SRC" ]; then exit 0; fi
log() { echo "[setup] $*"; }
command -v gcc >/dev/null || { log "gcc is missing: the demo cluster's server module cannot be built (apt-get install gcc)"; exit 1; }

INC=/usr/include/postgresql/15/server
FLAGS=()
if [ ! -f "$INC/postgres.h" ] || ! echo '#include <gssapi/gssapi.h>' | gcc -E -x c - >/dev/null 2>&1; then
  DEV=.tools/pg-server-dev
  if [ ! -f "$DEV/usr/include/postgresql/15/server/postgres.h" ]; then
    log "apt-get download postgresql-server-dev-15 libkrb5-dev krb5-multidev (headers only, into $DEV)"
    mkdir -p "$DEV/debs"
    get() { (cd "$DEV/debs" && apt-get download postgresql-server-dev-15 libkrb5-dev krb5-multidev) >/dev/null 2>&1; }
    get || { [ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null && get; } || { log "could not download the PostgreSQL 15 server headers"; exit 1; }
    for deb in "$DEV"/debs/*.deb; do dpkg-deb -x "$deb" "$DEV"; done
  fi
  INC="$DEV/usr/include/postgresql/15/server"
  FLAGS=(-I"$DEV/usr/include" -I"$DEV/usr/include/mit-krb5")
fi
mkdir -p .tools/gpdemo
gcc -fPIC -shared -O2 -Wall -I"$INC" "${FLAGS[@]}" "$SRC" -o "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
chmod 755 .tools .tools/gpdemo
chmod 644 "$OUT"
log "built $OUT"
