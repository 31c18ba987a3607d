#!/usr/bin/env bash
# libFuzzer targets in tests/fuzz (one per fuzz_<target>.c, seeds in
# tests/fuzz/corpus/<target>/):
#   scripts/fuzz.sh build     compile build/fuzz/fuzz_<target> (clang)
#   scripts/fuzz.sh regress   run every target once over each file of its
#                             committed corpus, no mutation (part of `make
#                             test`); prints ok/FAIL fuzz.<target> and ends
#                             with `N passed, N failed`
#   scripts/fuzz.sh run       fuzz each target for FUZZ_SECONDS (default 60)
#                             starting from its corpus (`make fuzz`). New
#                             inputs go to build/fuzz/corpus/<target>, a crash
#                             to build/fuzz/crashes/<target>-crash-<sha1>: copy
#                             it into tests/fuzz/corpus/<target>/ with the fix.
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZ_BUILD=build/fuzz
targets() { ls tests/fuzz/fuzz_*.c | sed -E 's|tests/fuzz/fuzz_(.*)\.c|\1|'; }

build() {
  if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang is not installed (scripts/deps.sh installs clang and libclang-rt-14-dev)" >&2
    return 1
  fi
  local flags
  mapfile -t flags < <(make -s --no-print-directory fuzz-flags 2>/dev/null)
  if [ ${#flags[@]} -ne 2 ]; then
    echo "fuzz: \`make fuzz-flags\` did not print the compile and link flags" >&2
    return 1
  fi
  # under `make fuzz` the parent's jobserver already sets the parallelism
  local jobs=()
  [ -n "${MAKEFLAGS:-}" ] || jobs=(-j"$(nproc 2>/dev/null || echo 2)")
  make --no-print-directory -f tests/fuzz/fuzz.mk "${jobs[@]}" FUZZ_BUILD=$FUZZ_BUILD \
    FUZZ_PKG_CFLAGS="${flags[0]}" FUZZ_LIBS="${flags[1]}"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1${CSO_ASAN_EXTRA:+:$CSO_ASAN_EXTRA}}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

regress() {
  local passed=0 failed=0 t out files
  if ! build >"$FUZZ_BUILD.log" 2>&1; then
    cat "$FUZZ_BUILD.log"
    echo "FAIL fuzz build"
    echo "0 passed, 1 failed"
    return 1
  fi
  for t in $(targets); do
    mapfile -t files < <(find "tests/fuzz/corpus/$t" -type f 2>/dev/null | sort)
    out=$FUZZ_BUILD/regress-$t.log
    if [ ${#files[@]} -eq 0 ]; then
      failed=$((failed + 1)); echo "FAIL fuzz.$t: no corpus in tests/fuzz/corpus/$t"; continue
    fi
    # Without libfaketime (scripts/test-shifted-clock.sh): libFuzzer's loop
    # hangs under it, and the corpora hold no dates.
    if env -u LD_PRELOAD "$FUZZ_BUILD/fuzz_$t" -timeout=10 -rss_limit_mb=2048 "${files[@]}" >"$out" 2>&1; then
      passed=$((passed + 1)); echo "ok fuzz.$t (${#files[@]} corpus inputs)"
    else
      failed=$((failed + 1)); echo "FAIL fuzz.$t"; grep -vE '^(Running|Executed|INFO:)' "$out" | tail -40
    fi
  done
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

run() {
  local secs=${FUZZ_SECONDS:-60} t rc=0 dict
  build || return 1
  mkdir -p "$FUZZ_BUILD/crashes"
  for t in $(targets); do
    mkdir -p "$FUZZ_BUILD/corpus/$t"
    dict=(); [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    echo "== fuzz.$t for ${secs}s"
    "$FUZZ_BUILD/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$FUZZ_BUILD/crashes/$t-" "${dict[@]}" \
      "$FUZZ_BUILD/corpus/$t" "tests/fuzz/corpus/$t" >"$FUZZ_BUILD/run-$t.log" 2>&1
    if [ $? -ne 0 ]; then
      rc=1
      grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*Test unit written)' "$FUZZ_BUILD/run-$t.log" | head -20
      echo "FAIL fuzz.$t (log: $FUZZ_BUILD/run-$t.log)"
    else
      echo "ok fuzz.$t: $(grep -E '^stat::number_of_executed_units' "$FUZZ_BUILD/run-$t.log" | awk '{print $2}') inputs," \
           "$(ls "$FUZZ_BUILD/corpus/$t" | wc -l) new in $FUZZ_BUILD/corpus/$t"
    fi
  done
  return $rc
}

case "${1:-}" in
  build) build ;;
  regress) regress ;;
  run) run ;;
  *) echo "usage: $0 build|regress|run" >&2; exit 2 ;;
esac
