#!/usr/bin/env bash
# `make run`: starts the project-local PostgreSQL, migrates, seeds, prints a
# ready-to-paste curl line per role, and serves in the foreground.
# Any setting already in the environment wins over the development default.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = stop ]; then
  [ -f .data/server.pid ] && kill "$(cat .data/server.pid)" 2>/dev/null || true
  rm -f .data/server.pid
  scripts/pg.sh stop
  echo "stopped"
  exit 0
fi
export PGPORT=${PGPORT:-5544}
export PORT=${PORT:-8080}
export DATABASE_URL=${DATABASE_URL:-postgresql://cso_app:${CSO_APP_PASSWORD:-cso_app_dev}@127.0.0.1:$PGPORT/cso}
export JWT_ALG=${JWT_ALG:-HS256}
if [ "$JWT_ALG" = HS256 ]; then
  # Development only: a fixed secret so tokens survive restarts of `make run`.
  export JWT_SECRET=${JWT_SECRET:-dev-only-secret-7f3a9c2e5b8d1f4a6c0e9b2d}
fi
export JWT_ISSUER=${JWT_ISSUER:-https://auth.dev.second-opinion.local}
export JWT_AUDIENCE=${JWT_AUDIENCE:-cso-api}
export LOG_LEVEL=${LOG_LEVEL:-info}

scripts/pg.sh start
scripts/migrate.sh
scripts/seed.sh

spec_id=$(scripts/pg.sh psql -tAc "SELECT id FROM specialists WHERE retired_at IS NULL ORDER BY id LIMIT 1" 2>/dev/null || true)
echo
echo "Serving on http://localhost:$PORT  (JWT $JWT_ALG, issuer $JWT_ISSUER, audience $JWT_AUDIENCE)"
echo "Tokens are valid for 12 hours. Paste one of these:"
for role in patient navigator specialist admin; do
  extra=()
  if [ "$role" = specialist ]; then
    [ -n "$spec_id" ] || spec_id=00000000-0000-4000-8000-000000000001
    extra=(--specialist-id "$spec_id")
  fi
  if tok=$(build/mint-token --role "$role" --sub "dev-$role-1" --ttl 43200 "${extra[@]}" 2>/dev/null); then
    echo "  $role:  curl -H 'Authorization: Bearer $tok' http://localhost:$PORT/v1/cases"
  else
    echo "  $role:  (set JWT_SECRET, or JWT_PRIVATE_KEY_FILE for $JWT_ALG, to mint tokens with build/mint-token)"
  fi
done
echo
mkdir -p .data
echo $$ > .data/server.pid
exec build/cso-server
