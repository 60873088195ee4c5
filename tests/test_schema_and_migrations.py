"""The committed schema, the client contract and the migration history agree with the code."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector

from schema import schema
from schema.common.limits import MAX_COST
from services.db import tortoise_config
from tests.helpers import CLIENTS

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_is_the_served_schema():
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == schema.as_str() + "\n", "run `coedu export-schema > schema.graphql`"


def test_every_type_field_argument_and_enum_value_is_described():
    undescribed = []
    for name, graphql_type in schema._schema.type_map.items():
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
        errors = validate(schema._schema, parse(path.read_text(encoding="utf-8")), [QueryCost])
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
