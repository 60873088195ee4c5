#!/bin/sh
# The two PostgreSQL roles of a deployment, made once on an empty data volume (the
# postgres image runs /docker-entrypoint-initdb.d/*.sh as its superuser):
#   coedu_owner  owns the database; the migrations run as it (COEDU_MIGRATION_DATABASE_URL).
#                Not a superuser, so the superuser creates here the extensions the migrations
#                use (earthdistance is not a trusted extension); theirs are then no-ops.
#   coedu_app    the server's login (DATABASE_URL), a member of coedu_runtime, which the
#                migrations grant only what the server needs (on audit_event: INSERT, SELECT).
set -eu
: "${COEDU_DB_OWNER_PASSWORD:?set it in docker/.env (coedu generate-keys --compose docker)}"
: "${COEDU_DB_APP_PASSWORD:?set it in docker/.env (coedu generate-keys --compose docker)}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
     -v owner_password="$COEDU_DB_OWNER_PASSWORD" -v app_password="$COEDU_DB_APP_PASSWORD" <<'SQL'
CREATE ROLE coedu_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE coedu_runtime NOLOGIN;
CREATE ROLE coedu_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password' IN ROLE coedu_runtime;
CREATE DATABASE coedu OWNER coedu_owner;
REVOKE ALL ON DATABASE coedu FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE coedu TO coedu_runtime;
\connect coedu
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;
SQL
