#!/usr/bin/env bash
# Lints api/openapi.yaml with Redocly CLI (installed into tools/ from npm).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh
tools/node_modules/.bin/redocly lint --format=stylish api/openapi.yaml 2>&1 | grep -vE '^\s*$'
