-- The service's database roles and database. Run as a superuser, connected
-- to the `postgres` database, before any migration: by scripts/pg.sh for the
-- project-local cluster, and by deploy/postgres/10-cso-bootstrap.sh in the
-- postgres container. Idempotent. psql variables: owner_pw, app_pw, dbname.
--
-- cso_owner owns the schema and runs migrations and seeds; the service
-- connects as cso_app, which gets only the privileges the migrations grant
-- (for instance, no UPDATE or DELETE on the audit trail).
SELECT format('CREATE ROLE cso_owner LOGIN PASSWORD %L', :'owner_pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cso_owner') \gexec
SELECT format('CREATE ROLE cso_app LOGIN PASSWORD %L', :'app_pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cso_app') \gexec
-- The environment is the source of truth for the passwords.
ALTER ROLE cso_owner LOGIN PASSWORD :'owner_pw';
ALTER ROLE cso_app LOGIN PASSWORD :'app_pw';

SELECT format('CREATE DATABASE %I OWNER cso_owner ENCODING %L TEMPLATE template0', :'dbname', 'UTF8')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'dbname') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'dbname') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO cso_owner, cso_app', :'dbname') \gexec

\connect :dbname
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO cso_owner;
