#!/usr/bin/env bash
# Installs what the build, the database and the tests need, if missing.
# Debian 12, as root. Quick and silent when everything is already there.
set -euo pipefail

# build:    compiler, pkg-config and the -dev packages of the libraries
# database: the PostgreSQL 15 server binaries and psql (the cluster itself is
#           project-local; see scripts/pg.sh)
# tests:    python3 (stdlib only, plus python3-yaml for the contract tests),
#           openssl (test keys), curl, clang-format (format check),
#           node and npm (Redocly for the spec lint), ca-certificates (npm),
#           faketime (scripts/test-shifted-clock.sh)
PACKAGES=(build-essential pkg-config libulfius-dev libjansson-dev libpq-dev libjwt-dev libssl-dev
          libmicrohttpd-dev libcurl4-gnutls-dev postgresql-15 postgresql-client-15 python3 python3-yaml openssl curl
          clang-format clang libclang-rt-14-dev ca-certificates nodejs npm libhpdf-dev poppler-utils faketime)
NODE_MIN=18.17.0 # @redocly/cli 1.34.7 (tools/package-lock.json)

# One dpkg-query for the lot: this runs on every `make run`/`make test`.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null |
            awk '$2 == "ii" { print $1 }' || true)
need=()
for p in "${PACKAGES[@]}"; do
  grep -qx "$p" <<<"$installed" && continue
  # node and npm may come from elsewhere (NodeSource, nvm, an image that ships
  # its own); Debian's are only installed when there is no node or npm at all.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  need+=("$p")
done

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: missing packages: ${need[*]} (run as root on Debian 12, or install them)" >&2
    exit 1
  fi
  echo "deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # apt's chatter goes to a log that is shown only if something fails.
  log=$(mktemp /tmp/cso-deps.XXXXXX)
  trap 'rm -f "$log"' EXIT
  apt_get() {
    if ! apt-get "$@" >"$log" 2>&1; then
      cat "$log" >&2
      echo "deps: apt-get $* failed" >&2
      exit 1
    fi
  }
  apt_get update -qq
  # Installing postgresql-15 normally also creates and starts a system-wide
  # "main" cluster. The project runs its own cluster instead, so tell
  # postgresql-common not to create one (only on a first install: an existing
  # setting is left alone).
  if [[ " ${need[*]} " == *" postgresql-15 "* ]] && [ ! -d /etc/postgresql/15/main ]; then
    apt_get install -y -qq --no-install-recommends postgresql-common
    conf=/etc/postgresql-common/createcluster.conf
    if ! grep -qE '^\s*create_main_cluster' "$conf" 2>/dev/null; then
      echo "create_main_cluster = false" >>"$conf"
    fi
  fi
  apt_get install -y -qq --no-install-recommends "${need[@]}"
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "deps: node and npm are needed for the spec lint" >&2
  exit 1
fi
node_version=$(node -p 'process.versions.node')
if [ "$(printf '%s\n%s\n' "$NODE_MIN" "$node_version" | sort -V | head -1)" != "$NODE_MIN" ]; then
  echo "deps: node $node_version is too old for the spec lint (need >= $NODE_MIN)" >&2
  exit 1
fi
