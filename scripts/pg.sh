#!/usr/bin/env bash
# A project-local PostgreSQL 15 cluster: no system service, loopback and a
# unix socket only, run as the `postgres` user (PostgreSQL refuses root).
#   scripts/pg.sh start|stop|reset|migrate|seed|status|psql
# PGDIR (default .data/pg) and PGPORT (default 5544) choose the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=/usr/lib/postgresql/15/bin
PGPORT=${PGPORT:-5544}
PGDIR=${PGDIR:-$ROOT/.data/pg}
OWNER_PW=${CSO_OWNER_PASSWORD:-cso_owner_dev}
APP_PW=${CSO_APP_PASSWORD:-cso_app_dev}
DBNAME=${CSO_DB_NAME:-cso}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The postgres user must be able to reach the data folder. A clone under a
# private home (such as /root) is not reachable, so the cluster then lives in
# /var/tmp and .data/pg points at it.
resolve_dir() {
  mkdir -p "$(dirname "$PGDIR")"
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$(dirname "$PGDIR")" 2>/dev/null; then
    local alt="/var/tmp/cso-pg-$(printf '%s' "$PGDIR" | sha1sum | cut -c1-12)"
    mkdir -p "$alt"
    [ -L "$PGDIR" ] || { rm -rf "$PGDIR"; ln -s "$alt" "$PGDIR"; }
    PGDIR=$alt
  fi
  mkdir -p "$PGDIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDIR"
  return 0
}

psql_super() { as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$PGDIR/sock" -p "$PGPORT" -U postgres "$@"; }
psql_owner() {
  PGPASSWORD=$OWNER_PW psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U cso_owner -d "$DBNAME" "$@"
}

init() {
  resolve_dir
  if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
    as_pg mkdir -p "$PGDIR/data" "$PGDIR/sock"
    as_pg "$BIN/initdb" -D "$PGDIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$PGDIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGDIR/sock'
max_connections = 200
shared_buffers = 256MB
fsync = ${PG_FSYNC:-on}
synchronous_commit = ${PG_SYNC_COMMIT:-on}
log_min_messages = warning
logging_collector = off
CONF
  fi
}

start() {
  init
  if ! as_pg "$BIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
    as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w -t 60 -o "-p $PGPORT" start >/dev/null
  fi
  bootstrap
}

bootstrap() {
  psql_super -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cso_owner') THEN
    CREATE ROLE cso_owner LOGIN PASSWORD '$OWNER_PW';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cso_app') THEN
    CREATE ROLE cso_app LOGIN PASSWORD '$APP_PW';
  END IF;
END \$\$;
SQL
  if ! psql_super -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'" | grep -q 1; then
    psql_super -d postgres -c "CREATE DATABASE $DBNAME OWNER cso_owner"
  fi
  psql_super -d "$DBNAME" -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC; ALTER SCHEMA public OWNER TO cso_owner"
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
