#!/usr/bin/env bash
# Applies sql/migrations/NNN_*.sql in order, each in one transaction with its
# record in schema_migrations. A migration already applied whose file has
# changed stops the run: migrations are never edited once landed.
# Connects as the schema owner: PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE
# or the defaults of the project-local cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5544} PGUSER=${PGUSER:-cso_owner}
export PGPASSWORD=${PGPASSWORD:-${CSO_OWNER_PASSWORD:-cso_owner_dev}} PGDATABASE=${PGDATABASE:-${CSO_DB_NAME:-cso}}
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
q -c "SET client_min_messages = warning" -c "CREATE TABLE IF NOT EXISTS schema_migrations (
        version text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
applied=0
for f in sql/migrations/[0-9][0-9][0-9]_*.sql; do
  v=$(basename "$f" .sql)
  sum=$(sha256sum "$f" | cut -d' ' -f1)
  have=$(q -tA -c "SELECT checksum FROM schema_migrations WHERE version = '$v'")
  if [ -n "$have" ]; then
    if [ "$have" != "$sum" ]; then
      echo "migrate: $v was changed after it was applied (checksum differs); add a new migration instead" >&2
      exit 1
    fi
    continue
  fi
  q --single-transaction -f "$f" -c "INSERT INTO schema_migrations (version, checksum) VALUES ('$v', '$sum')"
  applied=$((applied + 1))
done
echo "migrate: $applied applied, $(q -tA -c 'SELECT count(*) FROM schema_migrations') in total"
