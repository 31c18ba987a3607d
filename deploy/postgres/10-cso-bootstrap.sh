#!/bin/bash
# Runs once, when the postgres container initialises an empty volume
# (/docker-entrypoint-initdb.d): creates the service's roles and database
# with sql/bootstrap.sql, the same file scripts/pg.sh uses for the
# project-local cluster. Passwords come from the container's environment.
set -eo pipefail
: "${CSO_OWNER_PASSWORD:?CSO_OWNER_PASSWORD must be set}"
: "${CSO_APP_PASSWORD:?CSO_APP_PASSWORD must be set}"
psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_pw="$CSO_OWNER_PASSWORD" -v app_pw="$CSO_APP_PASSWORD" -v dbname="${CSO_DB_NAME:-cso}" \
  -f /cso/bootstrap.sql
