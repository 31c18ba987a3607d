#!/usr/bin/env bash
# Installs the npm tools the contract checks use (pinned in tools/package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/../tools"
if [ ! -x node_modules/.bin/redocly ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
