#!/usr/bin/env bash
# Installs the npm tools the contract checks use (pinned in tools/package-lock.json).
# Reinstalls only when the lock file's content changes (not its mtime, which
# every clone and checkout resets).
set -euo pipefail
cd "$(dirname "$0")/../tools"
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/redocly ] || [ "$(cat node_modules/.cso-lock-sha256 2>/dev/null)" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" >node_modules/.cso-lock-sha256
fi
