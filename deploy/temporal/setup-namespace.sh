#!/bin/sh
# One-shot (temporal-setup service, and scripts/temporal-server/start.sh): the namespace and the custom search
# attributes gprecover writes (workflows/searchAttributes.ts). Without them every recovery fails at its first
# upsertSearchAttributes. They are listed in search-attributes beside this script, unless SEARCH_ATTRIBUTES
# ("Name=Type ...") says otherwise.
set -eu
SEARCH_ATTRIBUTES="${SEARCH_ATTRIBUTES:-$(grep -v '^#' "$(dirname "$0")/search-attributes")}"
SEARCH_ATTRIBUTES="$(echo $SEARCH_ATTRIBUTES)"
NS="${TEMPORAL_NAMESPACE:-default}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -ge 60 ] && { echo "Temporal at $TEMPORAL_ADDRESS is not healthy after 60 s"; exit 1; }
  sleep 1
done
temporal operator namespace describe --namespace "$NS" >/dev/null 2>&1 \
  || temporal operator namespace create --namespace "$NS" --retention "${TEMPORAL_RETENTION:-30d}"
# A new namespace reaches the server's namespace cache some seconds after it is created.
tries=0
until existing="$(temporal operator search-attribute list --namespace "$NS" 2>&1)"; do
  tries=$((tries + 1))
  [ "$tries" -ge 60 ] && { echo "namespace $NS not usable after 60 s: $existing"; exit 1; }
  sleep 1
done
for pair in $SEARCH_ATTRIBUTES; do
  name="${pair%%=*}"
  type="${pair#*=}"
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "search attribute $name already registered"
  else
    temporal operator search-attribute create --namespace "$NS" --name "$name" --type "$type"
  fi
done
echo "namespace $NS ready with search attributes: $SEARCH_ATTRIBUTES"
