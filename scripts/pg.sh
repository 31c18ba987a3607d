#!/usr/bin/env bash
# A project-local PostgreSQL 15 cluster: no system service, loopback and a
# unix socket only, run as the `postgres` user (PostgreSQL refuses root).
#   scripts/pg.sh start|stop|status|reset|migrate|seed|psql [psql args]
# PGDIR (default .data/pg) and PGPORT (default 5544) choose the cluster.
# CSO_OWNER_PASSWORD, CSO_APP_PASSWORD and CSO_DB_NAME override the
# development role passwords and database name.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=/usr/lib/postgresql/15/bin
PGPORT=${PGPORT:-5544}
PGDIR=${PGDIR:-$ROOT/.data/pg}
OWNER_PW=${CSO_OWNER_PASSWORD:-cso_owner_dev}
APP_PW=${CSO_APP_PASSWORD:-cso_app_dev}
DBNAME=${CSO_DB_NAME:-cso}

# Runs a command as the cluster's owner, from a directory it can enter (a
# clone under /root is not one; initdb and pg_ctl complain about the cwd).
as_pg() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# The postgres user must be able to reach the data folder, and the socket
# path must fit in a sockaddr_un (107 bytes). When the clone lives under a
# private home (such as /root) or very deep, the cluster lives in /var/tmp
# instead and .data/pg is a symbolic link to it.
resolve_dir() {
  if [ -L "$PGDIR" ]; then
    PGDIR=$(readlink -f "$PGDIR")
  else
    mkdir -p "$(dirname "$PGDIR")"
    local sock="$PGDIR/sock/.s.PGSQL.$PGPORT"
    if { [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$(dirname "$PGDIR")" 2>/dev/null; } ||
       [ ${#sock} -gt 100 ]; then
      if [ -e "$PGDIR" ] && [ -n "$(ls -A "$PGDIR" 2>/dev/null)" ]; then
        echo "pg: $PGDIR is not reachable by the postgres user; move it away or fix the permissions" >&2
        exit 1
      fi
      local alt
      alt="/var/tmp/cso-pg-$(printf '%s' "$PGDIR" | sha1sum | cut -c1-12)"
      mkdir -p "$alt"
      chmod 700 "$alt"
      rmdir "$PGDIR" 2>/dev/null || true
      ln -s "$alt" "$PGDIR"
      PGDIR=$alt
    fi
  fi
  mkdir -p "$PGDIR"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGDIR"; fi
}

psql_super() { as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$PGDIR/sock" -p "$PGPORT" -U postgres "$@"; }
psql_owner() {
  PGPASSWORD=$OWNER_PW psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U cso_owner -d "$DBNAME" "$@"
}

# A cluster is complete once initdb, the settings below, the first start and
# the bootstrap (roles and database) have all succeeded; start() then writes
# this marker into the data folder. A data folder without the marker and
# without a database of its own is what an interrupted first run leaves
# (initdb or the first start killed half-way): it never held any data, and
# init() creates it again. Clusters made before the marker existed have the
# database, so they count as complete; nothing here ever removes one that does.
READY=cso-cluster-ready

# A database beyond the three initdb makes (template1, template0, postgres
# have OIDs below 16384; every database created later has one at or above).
has_own_database() {
  local d n
  for d in "$PGDIR"/data/base/*; do
    n=${d##*/}
    if [ -d "$d" ] && [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 16384 ]; then return 0; fi
  done
  return 1
}

is_complete() { [ -f "$PGDIR/data/$READY" ] || has_own_database; }

discard_incomplete() {
  echo "pg: $PGDIR/data is the remains of an interrupted first run (initdb or the first start did" \
    "not finish; it holds no database of its own): creating the cluster again" >&2
  # A half-made cluster that did get started is still running: stop it first.
  if [ -f "$PGDIR/data/postmaster.pid" ]; then
    as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    local pid
    pid=$(head -n 1 "$PGDIR/data/postmaster.pid" 2>/dev/null || true)
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
       [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$BIN/postgres" ]; then
      echo "pg: PostgreSQL $pid still runs on $PGDIR/data; stop it, then run this again" >&2
      exit 1
    fi
  fi
  rm -rf "${PGDIR:?}/data" "$PGDIR/sock"
}

init() {
  resolve_dir
  if [ -e "$PGDIR/data" ] && ! is_complete; then discard_incomplete; fi
  if [ ! -e "$PGDIR/data" ]; then
    as_pg mkdir -p "$PGDIR/data" "$PGDIR/sock"
    as_pg "$BIN/initdb" -D "$PGDIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >/dev/null
    # The socket trusts local connections, so only its owner may use it;
    # everyone else (the service, the tests, psql) uses TCP with a password.
    as_pg tee -a "$PGDIR/data/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGDIR/sock'
unix_socket_permissions = 0700
max_connections = 200
shared_buffers = 128MB
fsync = ${PG_FSYNC:-on}
synchronous_commit = ${PG_SYNC_COMMIT:-on}
full_page_writes = ${PG_FSYNC:-on}
log_min_messages = warning
logging_collector = off
CONF
  fi
}

start() {
  init
  if ! as_pg "$BIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
    if ! as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w -t 60 -o "-p $PGPORT" \
         start >/dev/null; then
      echo "pg: PostgreSQL did not start; the end of $PGDIR/postgres.log:" >&2
      tail -n 15 "$PGDIR/postgres.log" >&2 || true
      exit 1
    fi
  fi
  bootstrap
  [ -f "$PGDIR/data/$READY" ] || as_pg touch "$PGDIR/data/$READY"
}

# Roles and database (sql/bootstrap.sql), fed on stdin because the postgres
# user may not be able to read the clone.
bootstrap() {
  psql_super -d postgres -v owner_pw="$OWNER_PW" -v app_pw="$APP_PW" -v dbname="$DBNAME" \
    <"$ROOT/sql/bootstrap.sql" >/dev/null
}

stop() {
  resolve_dir
  if [ -f "$PGDIR/data/PG_VERSION" ]; then
    as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) resolve_dir; as_pg "$BIN/pg_ctl" -D "$PGDIR/data" status ;;
  reset)
    stop
    resolve_dir
    rm -rf "${PGDIR:?}/data" "$PGDIR/sock" "$PGDIR/postgres.log"
    start
    PGPORT=$PGPORT scripts/migrate.sh
    PGPORT=$PGPORT scripts/seed.sh
    ;;
  migrate) PGPORT=$PGPORT scripts/migrate.sh ;;
  seed) PGPORT=$PGPORT scripts/seed.sh ;;
  psql) shift; psql_owner "$@" ;;
  *) echo "usage: $0 start|stop|status|reset|migrate|seed|psql" >&2; exit 2 ;;
esac
