#!/usr/bin/env bash
# `make test`: a throw-away PostgreSQL on a free port, the sanitizer build of
# the server, unit tests, then HTTP integration tests against the real binary.
# Stops everything it started. Last line: `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TMP=$(mktemp -d /tmp/cso-test.XXXXXX)
chmod 755 "$TMP"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export PGPORT=$(free_port) PGDIR=$TMP/pg PG_FSYNC=off PG_SYNC_COMMIT=off
cleanup() {
  PGPORT=$PGPORT PGDIR=$PGDIR scripts/pg.sh stop >/dev/null 2>&1
  [ -n "${KEEP_TEST_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

if ! { scripts/pg.sh start && scripts/migrate.sh && scripts/seed.sh; } >"$TMP/setup.log" 2>&1; then
  cat "$TMP/setup.log"
  echo "0 passed, 1 failed"
  exit 1
fi

# Test-only keys, made fresh for each run and never committed.
openssl genrsa -out "$TMP/rsa_private.pem" 2048 2>/dev/null
openssl rsa -in "$TMP/rsa_private.pem" -pubout -out "$TMP/rsa_public.pem" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$TMP/ec_private.pem" 2>/dev/null
openssl ec -in "$TMP/ec_private.pem" -pubout -out "$TMP/ec_public.pem" 2>/dev/null

passed=0 failed=0
tally() { # reads a runner's output, echoes it, adds its closing counts
  local out=$1 line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
  if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
  passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
  failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
}

echo "== contract: OpenAPI lint"
if scripts/lint-spec.sh >"$TMP/lint.out" 2>&1; then
  passed=$((passed + 1)); echo "ok spec lint"
else
  failed=$((failed + 1)); cat "$TMP/lint.out"; echo "FAIL spec lint"
fi

echo "== unit tests (ASan/UBSan)"
ASAN_OPTIONS=detect_leaks=1 build/san/unit-tests >"$TMP/unit.out" 2>&1
rc=$?
sed '$d' "$TMP/unit.out" | grep -vE '^ok ' || true
tally "$TMP/unit.out"
[ $rc -eq 0 ] || { grep -qE '^[0-9]+ passed' "$TMP/unit.out" && [ "$(grep -E '^[0-9]+ passed' "$TMP/unit.out" | cut -d' ' -f3)" != 0 ] || failed=$((failed + 1)); }

echo "== fuzz targets over their corpora (libFuzzer, no mutation)"
scripts/fuzz.sh regress >"$TMP/fuzz.out" 2>&1
sed '$d' "$TMP/fuzz.out" | grep -vE '^ok ' || true
tally "$TMP/fuzz.out"

echo "== integration tests (real server, real PostgreSQL)"
export CSO_TEST_TMP=$TMP CSO_ROOT=$ROOT
export CSO_SERVER_BIN=${CSO_SERVER_BIN:-$ROOT/build/san/cso-server} CSO_MINT_BIN=$ROOT/build/mint-token
/usr/bin/python3 tests/run.py "$@" 2>&1 | tee "$TMP/integration.out" | grep -vE '^(ok |[0-9]+ passed, )'
tally "$TMP/integration.out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
