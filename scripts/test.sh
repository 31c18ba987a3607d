#!/usr/bin/env bash
# `make test`: a throw-away PostgreSQL on a free port, the sanitizer build of
# the server, the spec lint and the format check, unit tests, then HTTP
# integration tests against the real binary. Stops everything it started.
# Last line: `N passed, N failed`. Arguments filter the integration tests by
# substring (scripts/test.sh test_auth).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)

# The run must not depend on the caller's shell: settings meant for
# `make run` (or another database) would change what the tests see.
unset PORT BIND_ADDRESS DATABASE_URL DB_POOL_SIZE DB_STATEMENT_TIMEOUT_MS DB_LOCK_TIMEOUT_MS JWT_ALG JWT_SECRET \
      JWT_PUBLIC_KEY_FILE JWT_PRIVATE_KEY_FILE JWT_ISSUER JWT_AUDIENCE MAX_BODY_BYTES \
      MAX_DOCUMENT_BYTES MAX_DOCUMENTS_PER_CASE HTTP_THREADS MAX_CONNECTIONS CONNECTION_TIMEOUT_S \
      RATE_LIMIT_PER_MINUTE LOG_LEVEL PGHOST PGHOSTADDR PGUSER PGPASSWORD PGDATABASE PGSERVICE \
      PGOPTIONS CSO_OWNER_PASSWORD CSO_APP_PASSWORD CSO_DB_NAME

TMP=$(mktemp -d /tmp/cso-test.XXXXXX)
chmod 755 "$TMP"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PGPORT=$(free_port) || exit 1
export PGPORT PGDIR=$TMP/pg PG_FSYNC=off PG_SYNC_COMMIT=off
export CSO_TEST_TMP=$TMP CSO_ROOT=$ROOT
export CSO_SERVER_BIN=${CSO_SERVER_BIN:-$ROOT/build/san/cso-server} CSO_MINT_BIN=$ROOT/build/mint-token

# Server processes the tests started carry CSO_TEST_TMP=$TMP; if the runner
# died without stopping them (a crash, a closed pipe), stop them here.
stop_leftover_servers() {
  local e pid
  for e in /proc/[0-9]*/environ; do
    pid=${e#/proc/}
    pid=${pid%/environ}
    case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in
      "$CSO_SERVER_BIN" | "$CSO_SERVER_BIN (deleted)") ;;
      *) continue ;;
    esac
    tr '\0' '\n' 2>/dev/null <"$e" | grep -qxF "CSO_TEST_TMP=$TMP" && kill -KILL "$pid" 2>/dev/null
  done
  return 0
}
runner=
cleanup() {
  if [ -n "$runner" ]; then kill "$runner" 2>/dev/null && wait "$runner" 2>/dev/null; fi
  stop_leftover_servers
  scripts/pg.sh stop >/dev/null 2>&1
  [ -n "${KEEP_TEST_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

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
tally() { # reads a runner's output, adds its closing counts (none: one failure)
  local out=$1 line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
  if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
  passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
  failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
}
check() { # name, command...: one test that passes when the command does
  local name=$1
  shift
  if "$@" >"$TMP/check.out" 2>&1; then
    passed=$((passed + 1))
    echo "ok $name"
  else
    failed=$((failed + 1))
    cat "$TMP/check.out"
    echo "FAIL $name"
  fi
}

echo "== static checks"
check "spec lint" scripts/lint-spec.sh
check "clang-format" make -s format-check
check "deploy config" /usr/bin/python3 scripts/check-deploy.py
check "no literal dates that expire (api/, tests/)" /usr/bin/python3 scripts/check-dates.py

echo "== unit tests (ASan/UBSan)"
ASAN_OPTIONS=detect_leaks=1${CSO_ASAN_EXTRA:+:$CSO_ASAN_EXTRA} build/san/unit-tests >"$TMP/unit.out" 2>&1
rc=$?
grep -vE '^(ok |[0-9]+ passed, [0-9]+ failed)' "$TMP/unit.out" || true
tally "$TMP/unit.out"
# A non-zero exit with no failed test counted (a leak report at exit, a
# crash after the summary) is a failure of its own.
if [ $rc -ne 0 ] && grep -qE '^[0-9]+ passed, 0 failed' "$TMP/unit.out"; then
  echo "FAIL unit-tests exited $rc"
  failed=$((failed + 1))
fi

echo "== fuzz targets over their corpora (libFuzzer, no mutation)"
scripts/fuzz.sh regress >"$TMP/fuzz.out" 2>&1
sed '$d' "$TMP/fuzz.out" | grep -vE '^ok ' || true
tally "$TMP/fuzz.out"

echo "== integration tests (real server, real PostgreSQL)"
/usr/bin/python3 tests/run.py "$@" >"$TMP/integration.out" 2>&1 &
runner=$!
tail -n +1 -f --pid=$runner "$TMP/integration.out" 2>/dev/null | grep --line-buffered -vE '^(ok |[0-9]+ passed, )'
wait $runner
tally "$TMP/integration.out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
