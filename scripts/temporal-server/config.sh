# Sourced by start.sh: the Temporal server's and the UI server's config files, made from the pinned module's own
# config/development-postgres12.yaml with every address moved to this instance's ports (ports.sh).

# $1: the template copied out of the module by build.sh; $2: the output file; $3: the dynamic config file.
write_server_config() {
  local template="$1" out="$2" dynamic="$3"
  sed -e "s/127\.0\.0\.1:5432/127.0.0.1:$PG_PORT/" \
      -e 's/^\(\s*user:\) "temporal"/\1 "postgres"/' \
      -e 's/^\(\s*password:\) "temporal"/\1 ""/' \
      -e "s/^\(\s*grpcPort:\) 7233$/\1 $FRONTEND_PORT/" \
      -e "s/^\(\s*httpPort:\) 7243$/\1 $FRONTEND_HTTP_PORT/" \
      -e "s/^\(\s*membershipPort:\) 6933$/\1 $FRONTEND_MEMBERSHIP_PORT/" \
      -e "s/^\(\s*grpcPort:\) 7234$/\1 $HISTORY_PORT/" \
      -e "s/^\(\s*membershipPort:\) 6934$/\1 $HISTORY_MEMBERSHIP_PORT/" \
      -e "s/^\(\s*grpcPort:\) 7235$/\1 $MATCHING_PORT/" \
      -e "s/^\(\s*membershipPort:\) 6935$/\1 $MATCHING_MEMBERSHIP_PORT/" \
      -e "s/^\(\s*grpcPort:\) 7239$/\1 $WORKER_PORT/" \
      -e "s/^\(\s*membershipPort:\) 6939$/\1 $WORKER_MEMBERSHIP_PORT/" \
      -e "s/^\(\s*port:\) 7936$/\1 $PPROF_PORT/" \
      -e "s/127\.0\.0\.1:8000/127.0.0.1:$METRICS_PORT/" \
      -e "s/\"localhost:7233\"/\"127.0.0.1:$FRONTEND_PORT\"/" \
      -e "s#^\(\s*filepath:\) \"config/dynamicconfig/development-sql.yaml\"#\1 \"$dynamic\"#" \
      -e 's#file:///tmp/temporal_archival/development#file://'"$STATE_DIR"'/archival/history#' \
      -e 's#file:///tmp/temporal_vis_archival/development#file://'"$STATE_DIR"'/archival/visibility#' \
      "$template" >"$out"
  # A template of another server version that moved a line would leave a default port behind: refuse rather than
  # start a server that collides with a dev server on 7233.
  local left
  left="$(grep -nE '(\b|:)(5432|7233|7234|7235|7239|7243|6933|6934|6935|6939|7936|8000)\b|"temporal"$|development-sql' "$out" \
    | grep -v 'databaseName' || true)"
  if [ -n "$left" ]; then
    echo "the config template $template has lines this script does not know how to move:"
    echo "$left"
    return 1
  fi
}

write_ui_config() {
  local out="$1" namespace="$2"
  cat >"$out" <<YAML
# Written by scripts/temporal-server/start.sh for this instance.
temporalGrpcAddress: 127.0.0.1:$FRONTEND_PORT
host: 127.0.0.1
port: $UI_PORT
enableUi: true
defaultNamespace: $namespace
refreshInterval: 1m
disableNewsFetch: true
notifyOnNewVersion: false
cors:
  # Plain HTTP on loopback: a Secure CSRF cookie would never come back from the browser.
  cookieInsecure: true
  allowOrigins:
    - http://127.0.0.1:$UI_PORT
    - http://localhost:$UI_PORT
YAML
}
