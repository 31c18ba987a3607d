#!/usr/bin/env bash
# The whole suite with the clock moved: scripts/test.sh under libfaketime, so
# the server, PostgreSQL, the unit tests and the Python tests all see the same
# shifted "now" (default: a year ahead). It finds what a literal date in a test
# or an example would break on a later day. Usage:
#   scripts/test-shifted-clock.sh [DAYS] [test filter ...]
# `make test-shifted-clock` builds first. Needs Debian's faketime (installed by
# scripts/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
days=${1:-365}
[ $# -gt 0 ] && shift
command -v faketime >/dev/null || { echo "faketime is not installed (apt-get install faketime)" >&2; exit 1; }
# The sanitizer runtime wants to be first among the loaded libraries; with
# libfaketime preloaded it is second, which is harmless here.
export CSO_ASAN_EXTRA=verify_asan_link_order=0
export ASAN_OPTIONS=verify_asan_link_order=0 # for the binaries the tests run directly
# (scripts/fuzz.sh replays the fuzz corpora without libfaketime: libFuzzer's
# loop hangs under it, and the corpora hold no dates.)
echo "clock moved by +${days} days: $(faketime -f "+${days}d" date -u +%Y-%m-%dT%H:%MZ)"
exec faketime -f "+${days}d" scripts/test.sh "$@"
