#!/bin/sh
# One-shot (temporal-schema service): creates Temporal's two databases in the `postgresql` service and brings their
# schemas to the version the admin-tools image ships. Safe to rerun: create fails harmlessly on an existing database,
# setup-schema -v 0.0 is a no-op on an initialised one, update-schema applies only what is missing.
set -eu
PG="--plugin postgres12 --ep ${POSTGRES_SEEDS} -u ${POSTGRES_USER} -p ${DB_PORT}"
until nc -z "${POSTGRES_SEEDS}" "${DB_PORT}"; do echo "waiting for ${POSTGRES_SEEDS}:${DB_PORT}"; sleep 1; done
for db in temporal temporal_visibility; do
  dir=temporal
  [ "$db" = temporal_visibility ] && dir=visibility
  temporal-sql-tool $PG --db "$db" create || true
  temporal-sql-tool $PG --db "$db" setup-schema -v 0.0
  temporal-sql-tool $PG --db "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$dir/versioned"
done
echo "temporal schemas ready"
