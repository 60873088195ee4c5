"""Least privilege: the server runs as a member of ``coedu_runtime``, the migrations as the owner.

The runtime role reads and writes the application's tables and nothing more:
it owns none of them (so it cannot alter a table or disable its triggers),
and on the audit trail it may only insert and select, so that the append-only
trigger is not the last line of defence. Tables made by later migrations get
the same grants (default privileges of the role that migrates: always migrate
as that one role, the owner). The login role the server uses is made by the
deployment (docker/postgres-init.sh) as a member of this one, with its own
password.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("coedu", "0012_sealed_free_text")]

    operations = [
        ops.RunSQL(
            sql=[
                """
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'coedu_runtime') THEN
                    IF NOT (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
                      -- One role for everything (a database user that may not make roles): the
                      -- server then runs as the owner, as before; the deployment's init makes the role.
                      RAISE NOTICE 'no coedu_runtime role and no right to make it: grants skipped';
                      RETURN;
                    END IF;
                    CREATE ROLE coedu_runtime NOLOGIN;
                  END IF;
                  GRANT USAGE ON SCHEMA public TO coedu_runtime;
                  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO coedu_runtime;
                  GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO coedu_runtime;
                  REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM coedu_runtime;
                  REVOKE INSERT, UPDATE, DELETE ON tortoise_migrations FROM coedu_runtime;
                  ALTER DEFAULT PRIVILEGES IN SCHEMA public
                    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO coedu_runtime;
                  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO coedu_runtime;
                END $$
                """,
            ],
            reverse_sql=[
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM coedu_runtime",
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES "
                "FROM coedu_runtime",
                "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM coedu_runtime",
                "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM coedu_runtime",
                "REVOKE USAGE ON SCHEMA public FROM coedu_runtime",
            ],
        ),
    ]
