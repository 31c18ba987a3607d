#!/usr/bin/env bash
# `make bench` (and `make soak`): the service against PostgreSQL doing the same
# SQL alone, on this machine. See bench/README.md.
#
# Starts its own PostgreSQL (scripts/pg.sh in a temporary folder), seeds
# realistic volume, starts the release build, drives the HTTP API with wrk and
# Lua scripts sending signed JWTs for many subjects and roles, measures the
# limit with pgbench on the same statements, the HTTP ceiling with nginx, and
# writes bench/results/bench-latest.md (soak-latest.md for make soak). Stops
# everything it started.
#
# Settings (environment):
#   BENCH_DURATION=10 BENCH_WARMUP=5      seconds per measurement
#   BENCH_CONNECTIONS="16 64 512"         wrk connections (keep-alive)
#   BENCH_SCENARIOS="get_case ..."        subset of bench/scenarios.txt (default: all)
#   BENCH_SOAK=0|1 BENCH_SOAK_SECONDS=300 add the soak (mixed, 512 connections)
#   BENCH_SOAK_ONLY=1                     only start-up and the soak (make soak)
#   BENCH_RS256=1                         also run GET /v1/cases/{id} with RS256 tokens
#   BENCH_KEEP=1                          keep the temporary folder (logs, data)
#   BENCH_SETUP_ONLY=1                    seed and mint only, keep the folder (for bench/ab.sh)
#   DB_POOL_SIZE, HTTP_THREADS, ...       passed to the server as usual
#   PG_FSYNC=on PG_SYNC_COMMIT=on         PostgreSQL durability (production default)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-5}
CONNS=${BENCH_CONNECTIONS:-16 64 512}
SOAK=${BENCH_SOAK:-0}
SOAK_ONLY=${BENCH_SOAK_ONLY:-0}
[ "$SOAK_ONLY" = 1 ] && SOAK=1
SOAK_SECONDS=${BENCH_SOAK_SECONDS:-300}
RS256=${BENCH_RS256:-1}
export PG_FSYNC=${PG_FSYNC:-on} PG_SYNC_COMMIT=${PG_SYNC_COMMIT:-on}
PG_MAX_CONNECTIONS=600
PG_MAX_WAL_SIZE=${PG_MAX_WAL_SIZE:-8GB}
PG_CHECKPOINT_TIMEOUT=${PG_CHECKPOINT_TIMEOUT:-30min}
OUT_DIR=$ROOT/bench/results

log() { printf '%s bench: %s\n' "$(date +%T)" "$*" >&2; }

# --- tools --------------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v pgbench >/dev/null || need+=(postgresql-client-15)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "bench: missing ${need[*]} (install them, or run as root)" >&2; exit 1; }
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x build/cso-server ] && [ -x build/mint-token ] || { echo "bench: run make build first" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n 4096

# --- temporary world ------------------------------------------------------------
TMP=$(mktemp -d /tmp/cso-bench.XXXXXX)
chmod 755 "$TMP"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export PGPORT=$(free_port) PGDIR=$TMP/pg
PORT=$(free_port)
NGINX_PORT=$(free_port)
SERVER_PID=
cleanup() {
  set +e
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [ -f "$TMP/nginx/nginx.pid" ] && kill "$(cat "$TMP/nginx/nginx.pid")" 2>/dev/null
  scripts/pg.sh stop >/dev/null 2>&1
  if [ -n "${BENCH_KEEP:-}" ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
RESULTS=$TMP/results.jsonl
: >"$RESULTS"
record() { printf '%s\n' "$1" >>"$RESULTS"; }

# --- PostgreSQL -------------------------------------------------------------------
log "PostgreSQL on port $PGPORT (fsync=$PG_FSYNC, synchronous_commit=$PG_SYNC_COMMIT)"
scripts/pg.sh start >/dev/null
# pgbench at 512 clients (the wrk concurrency) needs the connections.
# The WAL of the seed and of the write scenarios would otherwise trigger a
# checkpoint every minute or so (max_wal_size 1GB), at a different moment in
# each service row and its limit; a write-heavy deployment raises it too.
cat >>"$PGDIR/data/postgresql.conf" <<CONF
max_connections = $PG_MAX_CONNECTIONS
max_wal_size = $PG_MAX_WAL_SIZE
checkpoint_timeout = $PG_CHECKPOINT_TIMEOUT
CONF
runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$PGDIR/data" -m fast -w restart \
  -l "$PGDIR/postgres.log" >/dev/null
scripts/migrate.sh >/dev/null
scripts/seed.sh >/dev/null
OWNER_URL=postgresql://cso_owner:${CSO_OWNER_PASSWORD:-cso_owner_dev}@127.0.0.1:$PGPORT/cso
APP_PW=${CSO_APP_PASSWORD:-cso_app_dev}
export DATABASE_URL=postgresql://cso_app:$APP_PW@127.0.0.1:$PGPORT/cso
owner_psql() { psql -X -q -v ON_ERROR_STOP=1 "$OWNER_URL" "$@"; }
log "seeding volume (bench/seed.sql)"
t0=$(date +%s)
if [ -f sql/generate/directory.sql ] && [ -f sql/seed/dev/03_directory.sql ]; then
  # the project's own generator of a realistic directory, at 50,000 specialists
  owner_psql --single-transaction -v specialist_count=50000 -f sql/seed/dev/03_directory.sql >/dev/null
fi
owner_psql -f bench/seed.sql >/dev/null
log "seeded in $(( $(date +%s) - t0 )) s"
# Measure a settled database, not the tail of the bulk load: statistics and
# visibility maps built, the seed's dirty pages written and flushed, so that
# no autovacuum, checkpoint or kernel write-back of the seed lands in the
# first scenarios (the first row, GET at 16 connections, had a p99 of 12.1 ms
# against 8.0 ms for the same measurement at the end of the run).
t0=$(date +%s)
runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h "$PGDIR/sock" -p "$PGPORT" -d cso \
  -c 'VACUUM (ANALYZE)' -c CHECKPOINT
sync
log "vacuumed, checkpointed and synced in $(( $(date +%s) - t0 )) s"
owner_psql -tAc "SELECT 'cases ' || count(*) FROM cases UNION ALL SELECT 'specialists ' || count(*) FROM specialists
                 UNION ALL SELECT 'payers ' || count(*) FROM payers UNION ALL SELECT 'documents ' || count(*) FROM documents
                 UNION ALL SELECT 'medications ' || count(*) FROM medications" | tr '\n' ' ' >&2; echo >&2

mkdir -p "$TMP/exports"
owner_psql -c "\\copy (SELECT id, patient_sub, cancer_type, status FROM cases WHERE patient_sub LIKE 'bench-p-%') TO '$TMP/exports/cases.tsv'"
owner_psql -c "\\copy (SELECT txid::text, id FROM events ORDER BY id LIMIT 90000) TO '$TMP/exports/events.tsv'"
owner_psql -c "\\copy (SELECT case_id, specialist_id FROM assignments WHERE status = 'accepted') TO '$TMP/exports/assigned.tsv'"
owner_psql -c "\\copy (SELECT id FROM payers WHERE retired_at IS NULL AND kind <> 'self_pay' AND name LIKE 'Bench %') TO '$TMP/exports/payers.tsv'"

# --- keys and tokens --------------------------------------------------------------
export JWT_ISSUER=https://auth.bench.second-opinion.local JWT_AUDIENCE=cso-api-bench
HS_SECRET=$(openssl rand -hex 32)
echo "$HS_SECRET" >"$TMP/hs_secret"
openssl genrsa -out "$TMP/rsa_private.pem" 2048 2>/dev/null
openssl rsa -in "$TMP/rsa_private.pem" -pubout -out "$TMP/rsa_public.pem" 2>/dev/null
log "minting tokens"
JWT_ALG=HS256 JWT_SECRET=$HS_SECRET /usr/bin/python3 bench/tools/prepare.py --mint build/mint-token \
  --exports "$TMP/exports" --out "$TMP/data/hs256" >&2
if [ "$RS256" = 1 ]; then
  JWT_ALG=RS256 JWT_PRIVATE_KEY_FILE=$TMP/rsa_private.pem /usr/bin/python3 bench/tools/prepare.py \
    --mint build/mint-token --exports "$TMP/exports" --out "$TMP/data/rs256" >&2
fi
if [ -n "${BENCH_SETUP_ONLY:-}" ]; then
  BENCH_KEEP=1
  log "world ready in $TMP (for bench/ab.sh)"
  exit 0
fi
build/cso-server --statements >"$TMP/statements.json"
build/cso-server --routes >"$TMP/routes.json"

# --- nginx: the HTTP ceiling --------------------------------------------------------
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path $TMP/nginx;
  proxy_temp_path $TMP/nginx;
  fastcgi_temp_path $TMP/nginx;
  uwsgi_temp_path $TMP/nginx;
  scgi_temp_path $TMP/nginx;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
CONF
"$NGINX" -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" -e "$TMP/nginx/error.log"

# --- the server -------------------------------------------------------------------
# The per-subject rate limit runs on every request as in production, but is set
# above what the staff-only scenarios (events, coverage: 205 navigator and admin
# subjects) put on each subject at full speed, 10-25 req/s; the production
# default, 600 a minute, is sized for people and would turn the ceiling into 429s.
export PORT BIND_ADDRESS=127.0.0.1 LOG_LEVEL=${LOG_LEVEL:-info}
export RATE_LIMIT_PER_MINUTE=${RATE_LIMIT_PER_MINUTE:-6000}
server_env() { # alg
  if [ "$1" = RS256 ]; then
    echo "JWT_ALG=RS256 JWT_PUBLIC_KEY_FILE=$TMP/rsa_public.pem"
  else
    echo "JWT_ALG=HS256 JWT_SECRET=$HS_SECRET"
  fi
}
start_server() { # alg -> sets SERVER_PID and STARTUP_MS (call directly, not in $(...))
  local out
  port_free || { echo "bench: port $PORT is in use; refusing to share it" >&2; exit 1; }
  out=$(env $(server_env "$1") /usr/bin/python3 bench/tools/startready.py "$PORT" "$TMP/server.log" -- \
        "$ROOT/build/cso-server")
  SERVER_PID=${out%% *}
  STARTUP_MS=${out##* }
}
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    while kill -0 "$SERVER_PID" 2>/dev/null; do sleep 0.05; done
    SERVER_PID=
  fi
}

# Start-up to ready, three times, with migrations applied and the pool opening.
startup=()
for i in 1 2 3; do
  start_server HS256
  startup+=("$STARTUP_MS")
  stop_server
done
log "start-up to ready: ${startup[*]} ms"
record "{\"kind\":\"startup\",\"ms\":[$(IFS=,; echo "${startup[*]}")]}"
start_server HS256
POOL=$(grep -o 'db pool [0-9]*' "$TMP/server.log" | tail -1 | awk '{print $3}')
THREADS=$(grep -o 'http threads [0-9]*' "$TMP/server.log" | tail -1 | awk '{print $3}')
log "server pid $SERVER_PID on port $PORT (db pool $POOL, http threads $THREADS)"

# --- measuring ------------------------------------------------------------------------
rss_sampler() { # pid outfile: VmRSS in KiB every 200 ms until stopped
  local k v u
  while kill -0 "$1" 2>/dev/null; do
    while read -r k v u; do [ "$k" = VmRSS: ] && echo "$v"; done <"/proc/$1/status" 2>/dev/null
    sleep 0.2
  done >"$2"
}
max_of() { sort -n "$1" | tail -1; }

# wrk against url with script; warm-up, then the measured run with the RSS
# sampler. Prints the BENCH_RESULT JSON with rss_peak_kib added.
run_wrk() { # url lua conns data seconds
  local url=$1 lua=$2 c=$3 data=$4 secs=$5 threads=2 out rss
  [ "$c" -lt 2 ] && threads=1
  BENCH_LUA=$ROOT/bench/lua wrk -t"$threads" -c"$c" -d"${WARMUP}s" --timeout 5s -s "bench/lua/$lua" \
    "$url" -- "$data" >/dev/null 2>&1 || true
  rss=$TMP/rss.$$
  local sampler=
  : >"$rss"
  if [ -n "$SERVER_PID" ]; then rss_sampler "$SERVER_PID" "$rss" & sampler=$!; fi
  out=$(BENCH_LUA=$ROOT/bench/lua wrk -t"$threads" -c"$c" -d"${secs}s" --timeout 5s --latency \
        -s "bench/lua/$lua" "$url" -- "$data" 2>&1)
  if [ -n "$sampler" ]; then kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; fi
  echo "wrk -t$threads -c$c -d${secs}s --timeout 5s --latency -s bench/lua/$lua $url -- \$DATA  # after a ${WARMUP}s warm-up" >>"$TMP/commands.txt"
  local line
  line=$(grep '^BENCH_RESULT ' <<<"$out" | tail -1 | cut -d' ' -f2-)
  [ -n "$line" ] || { echo "$out" >&2; echo '{"requests":0,"rps":0,"p50_us":0,"p99_us":0,"p999_us":0,"errors":{"connect":1}}'; return; }
  /usr/bin/python3 - "$line" "$(max_of "$rss" 2>/dev/null || echo 0)" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); r["rss_peak_kib"] = int(sys.argv[2] or 0)
r["errors_detail"] = r.pop("errors"); r["errors"] = sum(r["errors_detail"].values())
print(json.dumps(r))
PY
}

# pgbench on the scenario's statements; prints {"tps", p50_us, p99_us, ...}.
run_pgbench() { # scenario conns templates...
  local name=$1 c=$2; shift 2
  local dir=$TMP/pgb/$name args=() tpl specs=()
  for tpl in "$@"; do specs+=("bench/pgbench/${tpl}"); done
  mkdir -p "$dir"
  if [ ! -f "$dir/args" ]; then
    # Few scripts: each is prepared (and custom-planned five times) per
    # connection, as each statement is on each pooled connection of the server.
    local k=$(( 18 / $# ))
    /usr/bin/python3 bench/tools/pgbgen.py --statements "$TMP/statements.json" --data "$TMP/data/hs256" \
      --out "$dir" --scripts "$k" "${specs[@]}" >"$dir/args" || return 1
  fi
  mapfile -t args <"$dir/args"
  local j=2; [ "$c" -lt 2 ] && j=1
  local total=$(( WARMUP + DURATION ))
  rm -f "$dir"/log.*
  local out
  out=$(PGPASSWORD=$APP_PW pgbench -n -M prepared -c "$c" -j "$j" -T "$total" -l --log-prefix="$dir/log" \
        -h 127.0.0.1 -p "$PGPORT" -U cso_app "${args[@]}" cso 2>&1) || { echo "$out" | tail -5 >&2; return 1; }
  echo "PGPASSWORD=... pgbench -n -M prepared -c $c -j $j -T $total -l -h 127.0.0.1 -p \$PGPORT -U cso_app \$(bench/tools/pgbgen.py ... $*) cso  # counted: the last $DURATION s" >>"$TMP/commands.txt"
  local failed
  failed=$(grep -oE 'number of failed transactions: [0-9]+' <<<"$out" | head -1 | awk '{print $5}')
  /usr/bin/python3 - "${failed:-0}" "$(/usr/bin/python3 bench/tools/pgblat.py "$DURATION" "$dir"/log.*)" <<'PY'
import json, sys
r = json.loads(sys.argv[2]); r["failed"] = int(sys.argv[1])
print(json.dumps(r))
PY
}

has_route() { # "METHOD /path"
  /usr/bin/python3 - "$TMP/routes.json" "$1" <<'PY'
import json, sys
m, p = sys.argv[2].split(" ", 1)
sys.exit(0 if any(r["method"] == m and r["path"] == p for r in json.load(open(sys.argv[1]))) else 1)
PY
}

selected() { [ -z "${BENCH_SCENARIOS:-}" ] || [[ " $BENCH_SCENARIOS " == *" $1 "* ]]; }

run_scenario() { # name route lua templates alg [label, recorded as the JWT column; default alg]
  local name=$1 lua=$3 templates=$4 alg=$5 label=${6:-$5} c r lim at lc
  read -ra tpls <<<"$templates"
  for c in $CONNS; do
    log "$name ($label) at $c connections"
    r=$(run_wrk "http://127.0.0.1:$PORT" "$lua" "$c" "$TMP/data/${alg,,}" "$DURATION")
    record "$(/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.update(kind="service",scenario=sys.argv[2],alg=sys.argv[3],conns=int(sys.argv[4])); print(json.dumps(r))' "$r" "$name" "$label" "$c")"
    log "  service: $(cut -c1-160 <<<"$r")"
    [ "$alg" = HS256 ] && [ "$templates" != "-" ] || continue
    # The limit right after the service, at the wrk concurrency and at the
    # pool size, so that the machine's other load is as alike as it can be.
    for at in conns pool; do
      lc=$c
      if [ "$at" = pool ]; then
        [ "$POOL" = "$c" ] && continue # the same measurement
        lc=$POOL
      fi
      if lim=$(run_pgbench "$name" "$lc" "${tpls[@]}"); then
        record "$(/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.update(kind="limit",scenario=sys.argv[2],conns=int(sys.argv[3]),at=sys.argv[4]); print(json.dumps(r))' "$lim" "$name" "$c" "$at")"
        log "  limit @$lc: $lim"
      else
        log "  limit @$lc: n/a (see above)"
      fi
    done
  done
}

PG_SETTINGS=$(owner_psql -tAc "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
  FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'work_mem')")
export PG_SETTINGS
record "$(/usr/bin/python3 - "$DURATION" "$WARMUP" "$POOL" "$THREADS" "$PG_FSYNC" "$PG_SYNC_COMMIT" "$PG_MAX_CONNECTIONS" <<'PY'
import json, os, platform, subprocess, sys, datetime
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
pgv = subprocess.run(["pgbench", "--version"], capture_output=True, text=True).stdout.split()[-1]
print(json.dumps(dict(kind="meta", started=datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
    git=git, nproc=os.cpu_count(), cpu=cpu, mem_gib=round(mem / 1048576, 1), kernel=platform.release(),
    loadavg=open("/proc/loadavg").read().split()[:3], duration=int(sys.argv[1]), warmup=int(sys.argv[2]),
    pool=sys.argv[3], threads=sys.argv[4], fsync=sys.argv[5], sync_commit=sys.argv[6],
    max_connections=sys.argv[7], pg_version=pgv, pg_settings=os.environ.get("PG_SETTINGS"),
    rate_limit=os.environ.get("RATE_LIMIT_PER_MINUTE"))))
PY
)"

# --- scenarios ------------------------------------------------------------------------
[ "$SOAK_ONLY" = 1 ] && BENCH_SCENARIOS=soak-only RS256=0
while IFS='|' read -r name route lua templates; do
  name=$(echo $name); route=$(echo $route); lua=$(echo $lua); templates=$(echo $templates)
  [ -z "$name" ] || [[ $name == \#* ]] && continue
  selected "$name" || continue
  if ! has_route "$route"; then
    log "$name: skipped, this build has no $route"
    record "{\"kind\":\"skipped\",\"scenario\":\"$name\",\"route\":\"$route\"}"
    continue
  fi
  for t in $templates; do
    [ "$t" = - ] || [ -f "bench/pgbench/${t%@*}" ] || { log "$name: no bench/pgbench/${t%@*}; limit not measured"; templates=-; }
  done
  if [ "$name" = health ]; then
    run_scenario health "$route" "$lua" - -
    for c in $CONNS; do
      log "nginx ceiling at $c connections"
      r=$(SERVER_PID= run_wrk "http://127.0.0.1:$NGINX_PORT" health.lua "$c" "$TMP/data/hs256" "$DURATION")
      record "$(/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.update(kind="ceiling",scenario="nginx",conns=int(sys.argv[2])); print(json.dumps(r))' "$r" "$c")"
      log "  nginx: $(cut -c1-160 <<<"$r")"
    done
    continue
  fi
  run_scenario "$name" "$route" "$lua" "$templates" HS256
done <bench/scenarios.txt

# --- soak -----------------------------------------------------------------------------
if [ "$SOAK" = 1 ]; then
  log "soak: mixed at 512 connections for $SOAK_SECONDS s"
  BENCH_LUA=$ROOT/bench/lua wrk -t2 -c512 -d"${WARMUP}s" --timeout 5s -s bench/lua/mixed.lua \
    "http://127.0.0.1:$PORT" -- "$TMP/data/hs256" >/dev/null 2>&1 || true
  rss_start=$(awk '/^VmRSS:/{print $2}' "/proc/$SERVER_PID/status")
  r=$(DURATION=$SOAK_SECONDS WARMUP=1 run_wrk "http://127.0.0.1:$PORT" mixed.lua 512 "$TMP/data/hs256" "$SOAK_SECONDS")
  rss_end=$(awk '/^VmRSS:/{print $2}' "/proc/$SERVER_PID/status")
  # RSS every 30 s of the soak (samples are 200 ms apart): growth that
  # levels off is the allocator warming up, growth that keeps on is a leak.
  series=$(awk 'NR % 150 == 1 {printf "%s%d", (n++ ? "," : ""), $1}' "$TMP/rss.$$")
  record "$(/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(json.dumps(dict(kind="soak",scenario="mixed",conns=512,seconds=int(sys.argv[2]),rps=r["rps"],errors=r["errors"],rss_start_kib=int(sys.argv[3]),rss_end_kib=int(sys.argv[4]),rss_peak_kib=r["rss_peak_kib"],rss_every_30s_kib=[int(x) for x in sys.argv[5].split(",") if x])))' "$r" "$SOAK_SECONDS" "$rss_start" "$rss_end" "$series")"
  log "  soak: RSS $rss_start KiB -> $rss_end KiB; $(cut -c1-160 <<<"$r")"
fi

# --- RS256 ----------------------------------------------------------------------------
# Pairs, per connection count: a fresh HS256 server, then a fresh RS256 one, back
# to back, so that both meet the same database (the audit table grows with every
# GET of the run) and the same moment's machine; the ratio compares each pair.
if [ "$RS256" = 1 ] && selected get_case; then
  all_conns=$CONNS
  for c in $all_conns; do
    CONNS=$c
    stop_server
    start_server HS256
    run_scenario get_case "GET /v1/cases/:id" get_case.lua - HS256 HS256-pair
    stop_server
    start_server RS256
    run_scenario get_case "GET /v1/cases/:id" get_case.lua - RS256
  done
  CONNS=$all_conns
fi
stop_server

# --- report ---------------------------------------------------------------------------
touch "$TMP/commands.txt"
/usr/bin/python3 - "$RESULTS" "$TMP/commands.txt" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
cmds = [l.rstrip("\n") for l in open(sys.argv[2])]
for r in recs:
    if r["kind"] == "meta":
        r["commands"] = ["make bench   # = bench/run.sh; make soak adds the 5-minute soak"] + sorted(set(cmds), key=cmds.index)
open(sys.argv[1], "w").write("".join(json.dumps(r) + "\n" for r in recs))
PY
mkdir -p "$OUT_DIR"
stamp=$(date -u +%Y%m%d-%H%M%S)
kind=bench; [ "$SOAK_ONLY" = 1 ] && kind=soak
cp "$RESULTS" "$OUT_DIR/$kind-$stamp.jsonl"
/usr/bin/python3 bench/tools/report.py "$RESULTS" >"$OUT_DIR/$kind-latest.md"
cp "$OUT_DIR/$kind-latest.md" "$OUT_DIR/$kind-$stamp.md"
cat "$OUT_DIR/$kind-latest.md"
log "wrote bench/results/$kind-latest.md and bench/results/$kind-$stamp.{md,jsonl}"
