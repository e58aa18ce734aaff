#!/bin/sh
# Temporal's schema on Postgres, by Temporal's own admin tools (temporalio/admin-tools): the `temporal` and
# `temporal_visibility` databases are created if missing, set up at version 0.0 on first use, then brought to the
# versions this admin-tools release ships. Safe to run on every start: each step is a no-op when done.
set -eu
SQL="temporal-sql-tool --plugin postgres12 --ep ${POSTGRES_SEEDS} -p ${DB_PORT} -u ${POSTGRES_USER} --pw ${POSTGRES_PWD}"
SCHEMA=/etc/temporal/schema/postgresql/v12
for db in temporal temporal_visibility; do
  # `create` fails when the database exists; setup-schema and update-schema below fail loudly on anything real.
  $SQL --db "$db" create 2>/dev/null || echo "database $db exists"
done
$SQL --db temporal setup-schema -v 0.0
$SQL --db temporal update-schema -d "$SCHEMA/temporal/versioned"
$SQL --db temporal_visibility setup-schema -v 0.0
$SQL --db temporal_visibility update-schema -d "$SCHEMA/visibility/versioned"
echo "temporal schema up to date"
