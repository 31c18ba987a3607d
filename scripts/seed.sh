#!/usr/bin/env bash
# Loads the reference data every deployment needs (sql/seed/*.sql: cancer
# types, specialties, the NCI-designated centers, from the project's copy of
# the shipped CSVs in sql/data/) and, unless SEED_DEVELOPMENT=0, the invented
# development and test data (sql/seed/dev/*.sql: payers, plans, members, other
# hospitals and specialists). Production sets SEED_DEVELOPMENT=0 (the
# Dockerfile's migrate image does). Every step is an upsert: safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5544} PGUSER=${PGUSER:-cso_owner}
export PGPASSWORD=${PGPASSWORD:-${CSO_OWNER_PASSWORD:-cso_owner_dev}} PGDATABASE=${PGDATABASE:-${CSO_DB_NAME:-cso}}
SEED_DEVELOPMENT=${SEED_DEVELOPMENT:-1}
files=(sql/seed/[0-9][0-9]_*.sql)
[ "$SEED_DEVELOPMENT" = 1 ] && files+=(sql/seed/dev/[0-9][0-9]_*.sql)
for f in "${files[@]}"; do
  [ -e "$f" ] || continue
  psql -X -q -v ON_ERROR_STOP=1 --single-transaction -f "$f" >/dev/null
done
if [ "$SEED_DEVELOPMENT" = 1 ]; then
  echo "seed: reference and development data loaded"
else
  echo "seed: reference data loaded (SEED_DEVELOPMENT=0: no development data)"
fi
