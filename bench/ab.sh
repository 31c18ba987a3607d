#!/usr/bin/env bash
# Before/after comparison of server builds or settings on one seeded world,
# interleaved (A B A B ...) so that a noisy, shared machine drifts on both
# alike. Needs a world kept by `BENCH_KEEP=1 bench/run.sh` (its folder).
#
#   bench/ab.sh WORLD SCENARIO CONNS ROUNDS 'A-label=ENV... BINARY' 'B-label=ENV... BINARY' ...
#   e.g. bench/ab.sh /tmp/cso-bench.x get_case 64 3 \
#          'before=/tmp/base/cso-server' 'after=build/cso-server' \
#          'pool16=DB_POOL_SIZE=16 HTTP_THREADS=16 build/cso-server'
# Prints one line per run and per variant the medians of req/s, p50, p99 and
# the server's CPU time per request (user + system, from /proc/PID/stat): the
# last is the figure that other load on the machine disturbs least.
set -euo pipefail
cd "$(dirname "$0")/.."
WORLD=$1 SCENARIO=$2 CONNS=$3 ROUNDS=$4
shift 4
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-5}
export PGDIR=$WORLD/pg
export PGPORT=$(awk '/^port = /{p=$3} END{print p}' "$PGDIR/data/postgresql.conf")
scripts/pg.sh start >/dev/null
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SECRET=$(cat "$WORLD/hs_secret")
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
  scripts/pg.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
OUT=$(mktemp)
for round in $(seq "$ROUNDS"); do
  for variant in "$@"; do
    label=${variant%%=*}
    spec=${variant#*=}
    read -ra words <<<"$spec"
    bin=${words[-1]}
    unset 'words[-1]'
    # a variant with JWT_ALG=RS256 gets the world's RSA key and RS256 tokens
    alg=HS256 data=$WORLD/data/hs256
    [[ " ${words[*]} " == *" JWT_ALG=RS256 "* ]] && alg=RS256 data=$WORLD/data/rs256
    out=$(env JWT_ALG=HS256 JWT_SECRET=$SECRET JWT_PUBLIC_KEY_FILE=$WORLD/rsa_public.pem \
          RATE_LIMIT_PER_MINUTE=${RATE_LIMIT_PER_MINUTE:-6000} "${words[@]}" \
          PORT=$PORT BIND_ADDRESS=127.0.0.1 \
          JWT_ISSUER=https://auth.bench.second-opinion.local JWT_AUDIENCE=cso-api-bench \
          DATABASE_URL=postgresql://cso_app:${CSO_APP_PASSWORD:-cso_app_dev}@127.0.0.1:$PGPORT/cso \
          /usr/bin/python3 bench/tools/startready.py "$PORT" "$WORLD/ab-server.log" -- "$bin")
    SERVER_PID=${out%% *}
    BENCH_LUA=$PWD/bench/lua wrk -t2 -c"$CONNS" -d"${WARMUP}s" --timeout 5s -s "bench/lua/$SCENARIO.lua" \
      "http://127.0.0.1:$PORT" -- "$data" >/dev/null 2>&1 || true
    cpu0=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
    r=$(BENCH_LUA=$PWD/bench/lua wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 5s -s "bench/lua/$SCENARIO.lua" \
      "http://127.0.0.1:$PORT" -- "$data" | grep '^BENCH_RESULT' | cut -d' ' -f2-)
    cpu1=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
    r=$(/usr/bin/python3 -c 'import json,sys,os; r=json.loads(sys.argv[1]); r["cpu_us_per_req"]=round((int(sys.argv[3])-int(sys.argv[2]))*1e6/os.sysconf("SC_CLK_TCK")/max(1,r["requests"]),1); print(json.dumps(r))' "$r" "$cpu0" "$cpu1")
    kill "$SERVER_PID"; while kill -0 "$SERVER_PID" 2>/dev/null; do sleep 0.05; done; SERVER_PID=
    echo "$label $r" | tee -a "$OUT" | cut -c1-200
  done
done
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys, statistics, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, _, js = line.partition(" ")
    runs[label].append(json.loads(js))
for label, rs in runs.items():
    errs = sum(sum(r["errors"].values()) for r in rs)
    print(f"{label}: median {statistics.median(r['rps'] for r in rs):.0f} req/s, "
          f"p50 {statistics.median(r['p50_us'] for r in rs) / 1000:.2f} ms, "
          f"p99 {statistics.median(r['p99_us'] for r in rs) / 1000:.2f} ms, "
          f"server CPU {statistics.median(r['cpu_us_per_req'] for r in rs):.0f} us/request, errors {errs}, runs {len(rs)}")
PY
rm -f "$OUT"
