"""What the roster tests share: `coedu` in a process of its own, a second (empty) city, the files' rows."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import sys
from pathlib import Path

import pytest

from tests.conftest import _admin, database_url
from tests.processes import process_env
from tests.roster.helpers import Ran

COEDU = [sys.executable, "-m", "api.cli"]


@pytest.fixture
async def second_database(backing, template_database):
    """An empty city beside the test's own database: what a fresh deployment imports into."""
    name = f"coedu_test_{secrets.token_hex(6)}"
    admin = await _admin(backing.admin_url)
    await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    yield database_url(backing.admin_url, name)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture
def coedu(settings, tmp_path):
    """`coedu ...` in a process of its own (the event loop keeps serving the in-process server meanwhile)."""
    async def run(*args: str, database: str | None = None, env: dict[str, str] | None = None,
                  expect: int | None = 0) -> Ran:
        target = dataclasses.replace(settings, database_url=database or settings.database_url)
        process = await asyncio.create_subprocess_exec(
            *COEDU, *args, env=process_env(target, tmp_path, "cli", env), cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), timeout=300)
        result = Ran(process.returncode or 0, out.decode(), err.decode())
        if expect is not None:
            assert result.returncode == expect, result.stdout + result.stderr + _reports(tmp_path)
        return result
    return run


def _reports(folder: Path) -> str:
    return "".join(path.read_text(encoding="utf-8-sig") for path in folder.glob("roster-report-*.csv"))


@pytest.fixture
async def demo_bundle(coedu, tmp_path) -> Path:
    """The demo's people, seeded into the test's database and exported as OneRoster."""
    await coedu("seed", "demo")
    await coedu("roster", "export", str(tmp_path / "bundle"))
    return tmp_path / "bundle"
