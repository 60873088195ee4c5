"""The committed schema, the client contract and the migration history agree with the code."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import pytest
from graphql import parse
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector

from schema import schema
from schema.common.engine_internals import graphql_schema
from schema.common.limits import MAX_COST
from services.db import tortoise_config
from tests.helpers import CLIENTS

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_is_the_served_schema():
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == schema.as_str() + "\n", "run `coedu export-schema > schema.graphql`"


def test_every_type_field_argument_and_enum_value_is_described():
    undescribed = []
    for name, graphql_type in graphql_schema(schema).type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not graphql_type.description:
            undescribed.append(name)
        for field_name, field in (getattr(graphql_type, "fields", None) or {}).items():
            if not field.description:
                undescribed.append(f"{name}.{field_name}")
            for arg_name, arg in (getattr(field, "args", None) or {}).items():
                if not arg.description:
                    undescribed.append(f"{name}.{field_name}({arg_name})")
        for value_name, value in (getattr(graphql_type, "values", None) or {}).items():
            if not value.description:
                undescribed.append(f"{name}.{value_name}")
    assert undescribed == []


def test_every_contract_operation_fits_the_cost_limit():
    from graphql import validate

    from schema.common.limits import QueryCost

    for path in sorted((CLIENTS / "operations").glob("*.graphql")):
        errors = validate(graphql_schema(schema), parse(path.read_text(encoding="utf-8")), [QueryCost])
        assert errors == [], (path.name, [e.message for e in errors], MAX_COST)


async def test_models_and_migrations_agree(database):
    config = tortoise_config(database)
    apps = config["apps"]
    async with tortoise_cli_context(config) as context:
        changes = await MigrationAutodetector(context.apps, apps).changes()
    assert [w.name for w in changes] == [], "run `tortoise makemigrations` and commit the migration"


async def test_the_audit_trail_is_append_only(database):
    import asyncpg

    connection = await asyncpg.connect(database.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute("INSERT INTO audit_event (id, action, subject_type) "
                                 "VALUES (gen_random_uuid(), 'SIGN_IN', 'User')")
        for statement in ("UPDATE audit_event SET action = 'EXPORT'", "DELETE FROM audit_event",
                          "TRUNCATE audit_event"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await connection.execute(statement)
        assert await connection.fetchval("SELECT count(*) FROM audit_event") == 1
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def _database_before(backing, keys, migration: str):
    """A new database migrated up to ``migration`` with the process's keys installed: a raw connection
    to write old rows with, and ``upgrade()``, which runs the rest of the migrations and connects the ORM."""
    import secrets

    import asyncpg
    from tortoise import connections
    from tortoise.migrations.api.migrate import migrate as tortoise_migrate

    from api.app import build_runtime, redis_client
    from api.settings import Settings
    from services import db, runtime
    from tests.conftest import _admin, database_url

    name = f"coedu_migrate_{secrets.token_hex(4)}"
    admin = await _admin(backing.admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = database_url(backing.admin_url, name)
    previous = runtime._current
    client = redis_client(backing.redis_url)
    try:
        await tortoise_migrate(config=tortoise_config(url, pool_size=2, statement_timeout_ms=0),
                               target=f"coedu.{migration}")
        await connections.close_all()
        settings = Settings(database_url=url, redis_url=backing.redis_url, keys=keys, password_hashing="fast")
        runtime.install(build_runtime(settings, client))
        raw = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        upgraded = False

        async def upgrade() -> None:
            nonlocal upgraded
            await raw.close()
            await db.migrate(url)
            await db.init(url, pool_size=2)
            upgraded = True

        try:
            yield raw, upgrade
        finally:
            await raw.close()
            if upgraded:
                await db.close()
    finally:
        runtime._current = previous
        await client.aclose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _old_student(raw) -> tuple:
    """(user, school, student) written as the old schema had them."""
    district = await raw.fetchval("SELECT id FROM district LIMIT 1")
    unique = uuid.uuid4().hex[:12]
    user = await raw.fetchval("INSERT INTO app_user (id, display_name, phone_index, phone_sealed, phone_masked)"
                              " VALUES (gen_random_uuid(), '家长', $1, '\\x00', '138****0000') RETURNING id", unique)
    school = await raw.fetchval(
        "INSERT INTO school (id, district_id, name, stage, is_family_education_pilot) VALUES "
        "(gen_random_uuid(), $1, $2, 'PRIMARY', false) RETURNING id", district, f"旧学校{unique}")
    school_class = await raw.fetchval("INSERT INTO school_class (id, school_id, grade, name) VALUES "
                                      "(gen_random_uuid(), $1, 3, '三年级1班') RETURNING id", school)
    student = await raw.fetchval(
        "INSERT INTO student (id, display_name, gender, birth_date, student_number_index, "
        "student_number_sealed, school_class_id, school_id) VALUES (gen_random_uuid(), '旧学生', 'FEMALE', "
        "'2017-01-01', $3, '\\x00', $1, $2) RETURNING id", school_class, school, unique)
    return user, school, student


async def test_the_free_text_migration_seals_what_was_written_in_clear(backing, keys):
    """Rows written before migration 0012 (plain topic, purpose, reasons ...) come out sealed, bound
    to their row, with the keys the process runs with."""
    from tortoise import connections

    async with _database_before(backing, keys, "0011_push_device_language") as (raw, upgrade):
        user, school, student = await _old_student(raw)
        visit = await raw.fetchval(
            "INSERT INTO home_visit (id, student_id, school_id, lead_teacher_id, purpose, address_sealed, "
            "end_reason, record_topics, status, round) VALUES (gen_random_uuid(), $1, $2, $3, '了解孩子睡眠情况', "
            "'\\x00', '家里有事', '[\"睡眠\"]', 'DECLINED', 1) RETURNING id", student, school, user)
        await upgrade()
        from services.home_visits.models import HomeVisit
        from services.home_visits.service import unseal

        row = await HomeVisit.get(id=visit)
        assert unseal(row.purpose_sealed, "purpose", visit) == "了解孩子睡眠情况"
        assert unseal(row.end_reason_sealed, "end_reason", visit) == "家里有事"
        assert unseal(row.record_topics_sealed, "record_topics", visit) == '["睡眠"]'
        columns = await connections.get("default").execute_query_dict(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'home_visit'")
        assert {"purpose", "end_reason", "record_topics", "feedback_comment"}.isdisjoint(
            {c["column_name"] for c in columns})


async def test_addresses_on_file_move_from_each_link_to_the_guardians_household(backing, keys):
    """Before 0014 an address was kept per guardianship; after it, one per guardian: the primary
    link's, else the oldest link's, sealed again bound to its new row."""
    from tortoise import connections

    from services import runtime
    from services.organisation.home_addresses import unseal

    async with _database_before(backing, keys, "0013_runtime_role") as (raw, upgrade):
        sealer = runtime.current().crypto.sealer
        guardian, _, first = await _old_student(raw)
        _, _, second = await _old_student(raw)
        for student, primary, text, age in ((first, False, "旧地址", 2), (second, True, "主要地址", 1)):
            link = uuid.uuid4()
            await raw.execute(
                "INSERT INTO guardianship (id, student_id, guardian_id, relationship, is_primary, home_address_sealed,"
                " created_at) VALUES ($1, $2, $3, 'MOTHER', $4, $5, now() - make_interval(days => $6))", link, student,
                guardian, primary, sealer.seal(text, table="guardianship", column="home_address", row=link), age)
        await upgrade()
        rows = await connections.get("default").execute_query_dict(
            "SELECT id, guardian_id, address_sealed, shared_with_co_guardians FROM home_address")
        assert [(r["guardian_id"], unseal(r["address_sealed"], r["id"]), r["shared_with_co_guardians"]) for r in rows] \
            == [(guardian, "主要地址", False)]
        columns = await connections.get("default").execute_query_dict(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'guardianship'")
        assert "home_address_sealed" not in {c["column_name"] for c in columns}
