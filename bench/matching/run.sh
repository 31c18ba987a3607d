#!/usr/bin/env bash
# Matching benchmark: GET /v1/cases/{id}/matches through the real HTTP
# endpoint against a directory of SPECIALISTS (default 50,000) specialists.
#
#   bench/matching/run.sh                  # defaults below
#   SPECIALISTS=50000 DURATION=30 bench/matching/run.sh
#
# Starts its own PostgreSQL (scripts/pg.sh, temporary PGDIR and PGPORT),
# migrates, loads the seeds, grows the directory with the seed's generator
# (sql/seed/dev/03_directory.sql with -v specialist_count=N), creates a dozen
# cases through POST /v1/cases, starts the release build and drives the
# endpoint with wrk (installed with apt-get if missing):
#   1. one connection, one request at a time: the latency of a single request;
#   2. CONNECTIONS connections on THREADS wrk threads: throughput under load.
# Prints wrk's latency distribution and one RESULT line per run, and writes
# them to bench/results/matching-<date>.txt. Stops everything it started.
#
# Settings (environment):
#   SPECIALISTS=50000  DURATION=30 (seconds per run)  WARMUP=5
#   CONNECTIONS=8  THREADS=2  LIMIT=10 (matches per request)
#   PG_FSYNC=on PG_SYNC_COMMIT=on (PostgreSQL durability; production default)
#   HTTP_THREADS, DB_POOL_SIZE  passed to the server as usual
#   BENCH_KEEP=1  keep the temporary folder (logs, data)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SPECIALISTS=${SPECIALISTS:-50000}
DURATION=${DURATION:-30}
WARMUP=${WARMUP:-5}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-2}
LIMIT=${LIMIT:-10}
export PG_FSYNC=${PG_FSYNC:-on} PG_SYNC_COMMIT=${PG_SYNC_COMMIT:-on}

log() { printf '%s matching-bench: %s\n' "$(date +%T)" "$*" >&2; }

if ! command -v wrk >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "matching-bench: install wrk (apt-get install wrk)" >&2; exit 1; }
  log "installing wrk"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
make --no-print-directory build >/dev/null

TMP=$(mktemp -d /tmp/cso-bench-matching.XXXXXX)
chmod 755 "$TMP"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export PGPORT=$(free_port) PGDIR=$TMP/pg
PORT=$(free_port)
SERVER_PID=
cleanup() {
  set +e
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  scripts/pg.sh stop >/dev/null 2>&1
  [ -n "${BENCH_KEEP:-}" ] && log "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT

log "PostgreSQL on port $PGPORT (fsync=$PG_FSYNC, synchronous_commit=$PG_SYNC_COMMIT)"
{ scripts/pg.sh start && scripts/migrate.sh && scripts/seed.sh; } >"$TMP/setup.log" 2>&1 ||
  { cat "$TMP/setup.log"; exit 1; }
export PGHOST=127.0.0.1 PGUSER=cso_owner PGPASSWORD=${CSO_OWNER_PASSWORD:-cso_owner_dev} PGDATABASE=cso
psql_owner() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
log "seeding $SPECIALISTS specialists"
t0=$(date +%s)
psql_owner --single-transaction -v specialist_count="$SPECIALISTS" -f sql/seed/dev/03_directory.sql
psql_owner -c "VACUUM ANALYZE institutions, specialists, specialist_cancer_types, specialist_payers"
log "seeded in $(( $(date +%s) - t0 ))s: $(psql_owner -tAc "SELECT count(*) FROM specialists") specialists," \
    "$(psql_owner -tAc "SELECT count(*) FROM specialist_cancer_types") cancer-type links"

export PORT BIND_ADDRESS=127.0.0.1
export DATABASE_URL="postgresql://cso_app:${CSO_APP_PASSWORD:-cso_app_dev}@127.0.0.1:$PGPORT/cso"
export JWT_ALG=HS256 JWT_SECRET=$(openssl rand -hex 32) JWT_ISSUER=https://auth.bench.local JWT_AUDIENCE=cso-bench
export LOG_LEVEL=warn RATE_LIMIT_PER_MINUTE=0
build/cso-server >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
build/mint-token --role navigator --sub bench-navigator --ttl 7200 >"$TMP/token"
TOKEN=$(cat "$TMP/token")

# A dozen cases: common and rare cancer types, cities across the country,
# with and without telehealth and travel limits, one without a location.
#   cancer_type lat lon telehealth_ok max_travel_km preferred_language
cat >"$TMP/case-specs" <<'SPECS'
breast 29.71 -95.40 true 300 es
nsclc 41.88 -87.63 true null en
prostate 33.75 -84.39 false 500 en
colorectal 47.61 -122.33 true 200 en
aml 42.36 -71.06 true null en
glioblastoma 39.74 -104.99 true 800 en
soft_tissue_sarcoma 25.76 -80.19 true null es
myeloma 33.45 -112.07 false 300 en
melanoma 44.98 -93.27 true 150 en
neuroblastoma 39.95 -75.17 true null en
ovarian 34.05 -118.24 true 100 zh
pancreatic null null true 200 en
SPECS
: >"$TMP/cases"
while read -r type lat lon tele travel lang; do
  if [ "$lat" = null ]; then location=null; else location="{\"lat\": $lat, \"lon\": $lon}"; fi
  body=$(cat <<JSON
{"patient": {"name": "Bench Patient", "date_of_birth": "1961-05-04", "sex": "female",
             "location": $location, "preferred_language": "$lang"},
 "diagnosis": {"cancer_type": "$type", "stage": {"unknown": true}},
 "request": {"reasons": ["confirm_diagnosis"], "urgency": "routine"},
 "preferences": {"telehealth_ok": $tele, "max_travel_km": $travel, "languages": ["$lang"]}}
JSON
)
  curl -fsS -X POST "http://127.0.0.1:$PORT/v1/cases" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "$body" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' >>"$TMP/cases"
done <"$TMP/case-specs"
log "$(wc -l <"$TMP/cases") cases; every one answers:"
while read -r id; do
  n=$(curl -fsS "http://127.0.0.1:$PORT/v1/cases/$id/matches?limit=$LIMIT" -H "Authorization: Bearer $TOKEN" |
      /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["criteria"]["cancer_type"], len(d["items"]), "matches, top score", d["items"][0]["score"] if d["items"] else "-")')
  log "  $n"
done <"$TMP/cases"

URL="http://127.0.0.1:$PORT"
SCRIPT=bench/matching/matches.lua
mkdir -p bench/results
OUT=bench/results/matching-$(date +%Y%m%d-%H%M%S).txt
{
  echo "# GET /v1/cases/{id}/matches?limit=$LIMIT, $SPECIALISTS specialists, $(nproc) cores, $(date -u +%FT%TZ)"
  echo "# PostgreSQL fsync=$PG_FSYNC synchronous_commit=$PG_SYNC_COMMIT; server HTTP_THREADS=${HTTP_THREADS:-8} DB_POOL_SIZE=${DB_POOL_SIZE:-8}"
} | tee "$OUT"
log "warm-up ${WARMUP}s"
wrk -t1 -c2 -d"${WARMUP}s" -s "$SCRIPT" "$URL" -- "$TMP/cases" "$TMP/token" "$LIMIT" >/dev/null
# CPU time the service spent (the server and every process of its
# PostgreSQL cluster), in clock ticks: divided by the requests it gives the
# CPU cost of one match, which other load on the machine does not inflate
# the way it inflates latency.
POSTMASTER=$(head -1 "$PGDIR/data/postmaster.pid")
TICKS_PER_S=$(getconf CLK_TCK)
ticks() { # CPU ticks of the given processes
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}
server_ticks() { ticks "$SERVER_PID"; }
postgres_ticks() { ticks "$POSTMASTER" $(pgrep -P "$POSTMASTER"); }
for run in "1 1" "$THREADS $CONNECTIONS"; do
  set -- $run
  log "wrk -t$1 -c$2 -d${DURATION}s --latency"
  echo "## wrk -t$1 -c$2 -d${DURATION}s --latency" | tee -a "$OUT"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
  server_before=$(server_ticks)
  postgres_before=$(postgres_ticks)
  wrk -t"$1" -c"$2" -d"${DURATION}s" --latency -s "$SCRIPT" "$URL" -- "$TMP/cases" "$TMP/token" "$LIMIT" \
    >"$TMP/wrk.out"
  cat "$TMP/wrk.out" | tee -a "$OUT"
  server_spent=$(( $(server_ticks) - server_before ))
  postgres_spent=$(( $(postgres_ticks) - postgres_before ))
  requests=$(sed -n 's/^RESULT requests=\([0-9]*\).*/\1/p' "$TMP/wrk.out")
  awk -v s="$server_spent" -v p="$postgres_spent" -v hz="$TICKS_PER_S" -v n="$requests" \
    'BEGIN { printf "CPU ms_per_request=%.2f server=%.2f postgres=%.2f (%d requests)\n",
             (s + p) * 1000 / hz / n, s * 1000 / hz / n, p * 1000 / hz / n, n }' |
    tee -a "$OUT"
  echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
done
if grep -qE 'non2xx=[1-9]|socket_errors=[1-9]' "$OUT"; then
  log "errors during the runs (see $OUT and $TMP/server.log)"
  BENCH_KEEP=1
  exit 1
fi
log "written to $OUT"
