#!/usr/bin/env bash
# `make run`: starts the project-local PostgreSQL, migrates, seeds, prints a
# ready-to-paste curl line per role, and serves in the foreground.
# Any setting already in the environment wins over the development default.
# `scripts/run.sh stop` (make stop) stops the server and the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PIDFILE=.data/server.pid

# The pid file is only trusted if it still names our server binary: a stale
# file must never make us signal an unrelated process.
server_pid() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  # " (deleted)": the binary was rebuilt while it ran.
  case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in
    "$ROOT/build/cso-server" | "$ROOT/build/cso-server (deleted)") ;;
    *) return 1 ;;
  esac
  echo "$pid"
}

if [ "${1:-}" = stop ]; then
  if pid=$(server_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "stop: server $pid did not exit within 10 s; leaving PostgreSQL running" >&2
      exit 1
    fi
    echo "stopped the server ($pid)"
  fi
  rm -f "$PIDFILE"
  scripts/pg.sh stop
  echo "stopped PostgreSQL"
  exit 0
fi

if pid=$(server_pid); then
  echo "run: a server from this folder is already running (pid $pid); make stop first" >&2
  exit 1
fi

export PGPORT=${PGPORT:-5544}
export PORT=${PORT:-8080}
# Loopback only: a development server with a published secret and invented
# data must not be reachable from the network. Containers set 0.0.0.0.
export BIND_ADDRESS=${BIND_ADDRESS:-127.0.0.1}
export DATABASE_URL=${DATABASE_URL:-postgresql://cso_app:${CSO_APP_PASSWORD:-cso_app_dev}@127.0.0.1:$PGPORT/${CSO_DB_NAME:-cso}}
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

# Each role's curl line uses GET /v1/cases when that route exists for the
# role, else the first list route (no :params) the role may call, else
# /v1/cases with a note that it is not served yet.
declare -A path_for
while read -r role path; do path_for[$role]=$path; done < <(
  build/cso-server --routes | /usr/bin/python3 -c '
import json, sys
routes = [r for r in json.load(sys.stdin) if r["method"] == "GET" and ":" not in r["path"]]
for role in ("patient", "navigator", "specialist", "admin"):
    mine = [r["path"] for r in routes if role in r["roles"]]
    if mine:
        print(role, "/v1/cases" if "/v1/cases" in mine else mine[0])')

case $BIND_ADDRESS in
  127.0.0.1 | 0.0.0.0) host=localhost ;;
  *) host=$BIND_ADDRESS ;;
esac
echo
echo "Serving on http://$host:$PORT (listening on $BIND_ADDRESS) with JWT $JWT_ALG, issuer $JWT_ISSUER, audience $JWT_AUDIENCE"
echo "Tokens below are valid for 12 hours. Paste one of these:"
for role in patient navigator specialist admin; do
  extra=()
  if [ "$role" = specialist ]; then
    [ -n "$spec_id" ] || spec_id=00000000-0000-4000-8000-000000000001
    extra=(--specialist-id "$spec_id")
  fi
  path=${path_for[$role]:-/v1/cases} note=
  [ -n "${path_for[$role]:-}" ] || note="   # no GET route for $role is served yet"
  if tok=$(build/mint-token --role "$role" --sub "dev-$role-1" --ttl 43200 "${extra[@]}" 2>/dev/null); then
    echo "  $role: curl -H 'Authorization: Bearer $tok' http://$host:$PORT$path$note"
  else
    echo "  $role: (set JWT_PRIVATE_KEY_FILE to the private key of $JWT_ALG to mint tokens with build/mint-token)"
  fi
done
echo "Health: curl http://$host:$PORT/healthz   Stop: make stop"
echo
mkdir -p .data
echo $$ >"$PIDFILE"
exec build/cso-server
