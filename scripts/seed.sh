#!/usr/bin/env bash
# Loads reference data (sql/data/*.csv, the project's copy of the shipped
# data) and development seed data. Every step is an upsert: safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5544} PGUSER=${PGUSER:-cso_owner}
export PGPASSWORD=${PGPASSWORD:-${CSO_OWNER_PASSWORD:-cso_owner_dev}} PGDATABASE=${PGDATABASE:-${CSO_DB_NAME:-cso}}
for f in sql/seed/[0-9][0-9]_*.sql; do
  [ -e "$f" ] || continue
  psql -X -q -v ON_ERROR_STOP=1 --single-transaction -f "$f" >/dev/null
done
echo "seed: reference and development data loaded"
