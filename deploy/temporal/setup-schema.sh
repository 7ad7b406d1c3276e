#!/bin/sh
# One-shot (temporal-schema service, and scripts/temporal-server/start.sh): creates Temporal's two databases and
# brings their schemas to the version the server's own schema files describe. Safe to rerun: create fails harmlessly
# on an existing database, setup-schema -v 0.0 is a no-op on an initialised one, update-schema applies only what is
# missing. The admin-tools image has the SQL tool on PATH and the schema files in /etc/temporal/schema; outside it,
# TEMPORAL_SQL_TOOL and TEMPORAL_SCHEMA_DIR say where they are.
set -eu
SQL_TOOL="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"
SCHEMA_DIR="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema}"
PG="--plugin postgres12 --ep ${POSTGRES_SEEDS} -u ${POSTGRES_USER} -p ${DB_PORT}"
if command -v nc >/dev/null; then
  until nc -z "${POSTGRES_SEEDS}" "${DB_PORT}"; do echo "waiting for ${POSTGRES_SEEDS}:${DB_PORT}"; sleep 1; done
fi
for db in temporal temporal_visibility; do
  dir=temporal
  [ "$db" = temporal_visibility ] && dir=visibility
  "$SQL_TOOL" $PG --db "$db" create-database || true
  "$SQL_TOOL" $PG --db "$db" setup-schema -v 0.0
  "$SQL_TOOL" $PG --db "$db" update-schema -d "$SCHEMA_DIR/postgresql/v12/$dir/versioned"
done
echo "temporal schemas ready"
