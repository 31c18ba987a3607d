#!/usr/bin/env bash
# Installs what the build, the database and the tests need, if missing.
# Debian 12, as root. Quiet when everything is already there.
set -euo pipefail
need=()
for p in build-essential pkg-config libulfius-dev libjansson-dev libpq-dev libjwt-dev libssl-dev \
         libmicrohttpd-dev postgresql-15 postgresql-client-15 python3 python3-yaml openssl curl \
         clang-format clang libclang-rt-14-dev nodejs npm; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages: ${need[*]} (run as root, or install them)" >&2
    exit 1
  fi
  # node and npm may come from elsewhere (an image that ships its own); only
  # install Debian's when no node is on PATH at all.
  filtered=()
  for p in "${need[@]}"; do
    case "$p" in
      nodejs|npm) command -v "${p/nodejs/node}" >/dev/null 2>&1 || filtered+=("$p") ;;
      *) filtered+=("$p") ;;
    esac
  done
  if [ ${#filtered[@]} -gt 0 ]; then
    echo "deps: installing ${filtered[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${filtered[@]}" >/dev/null
  fi
fi
