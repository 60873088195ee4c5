"""Real PostgreSQL and Redis for every test.

With DATABASE_URL / REDIS_URL set (CI's second run) the tests use those
servers; otherwise they start embedded ones, as a fresh machine would. Each
test gets its own database, copied from a template migrated once per run, and
its own Redis key prefix, so nothing depends on test order.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import asyncpg
import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from redis.asyncio import Redis
from redis.exceptions import RedisError

from api.app import create_app
from api.embedded import EmbeddedPostgres, EmbeddedRedis
from api.serving import uvicorn_config
from api.settings import Keys, Settings
from services import db
from tests.helpers import Api
from tests.processes import ServerProcess


@dataclass(frozen=True)
class Backing:
    admin_url: str
    redis_url: str


def database_url(admin_url: str, name: str) -> str:
    parts = urlparse(admin_url)
    return urlunparse(parts._replace(path=f"/{name}"))


async def _admin(admin_url: str) -> asyncpg.Connection:
    parts = urlparse(admin_url)
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    return await asyncpg.connect(
        host=query.get("host") or parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password, database=parts.path.lstrip("/") or "postgres",
    )


@pytest.fixture(scope="session")
def backing() -> Iterator[Backing]:
    # Outside pytest's basetemp: another pytest run prunes old basetemps, and would delete the
    # data directory under a running server.
    home = Path(tempfile.mkdtemp(prefix="coedu-tests-"))
    postgres = redis = None
    admin_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    if not admin_url:
        (home / "pg").mkdir()
        postgres = EmbeddedPostgres(home / "pg" / "data", delete_on_stop=True)
        admin_url = postgres.url("postgres")
    if not redis_url:
        redis = EmbeddedRedis(home / "redis")
        redis_url = redis.url
    yield Backing(admin_url, redis_url)
    if redis:
        redis.stop()
    if postgres:
        postgres.stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
async def template_database(backing: Backing) -> AsyncIterator[str]:
    """A database migrated to head once per run; each test copies it."""
    name = f"coedu_template_{secrets.token_hex(4)}"
    admin = await _admin(backing.admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await db.migrate(database_url(backing.admin_url, name))
    yield name
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture
async def database(backing: Backing, template_database: str) -> AsyncIterator[str]:
    name = f"coedu_test_{secrets.token_hex(6)}"
    admin = await _admin(backing.admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
        yield database_url(backing.admin_url, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(
        signing_key=Ed25519PrivateKey.generate(),
        previous_verifying_keys=(),
        encryption_keys={"t1": secrets.token_bytes(32)},
        current_encryption_key="t1",
        index_key=secrets.token_bytes(32),
    )


@pytest.fixture
def settings(request: pytest.FixtureRequest, database: str, backing: Backing, keys: Keys, tmp_path: Path) -> Settings:
    redis_url = backing.redis_url
    if request.node.get_closest_marker("private_redis"):
        redis_url = request.getfixturevalue("private_redis").url
    return Settings(
        environment="development",
        data_dir=tmp_path,
        database_url=database,
        redis_url=redis_url,
        redis_prefix=f"test{uuid.uuid4().hex[:10]}:",
        keys=keys,
        password_hashing="fast",
        request_timeout_s=10,
        migrate_on_start=True,
    )


class RunningServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        #: Why the app gave up on a background loop (it asks to stop serving, as `coedu serve` would).
        self.gave_up: list[str] = []
        self.app = create_app(settings, on_fatal=self._give_up)
        self.server = uvicorn.Server(uvicorn_config(self.app, settings, host="127.0.0.1", port=0))
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> str:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"127.0.0.1:{port}"

    def _give_up(self, reason: str) -> None:
        self.gave_up.append(reason)
        self.server.should_exit = True

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task


async def _clear_prefix(redis_url: str, prefix: str) -> None:
    client = Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
    except (OSError, RedisError):
        pass  # a test that stopped its private Redis leaves nothing to clear
    finally:
        await client.aclose()


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[str]:
    """The real server on a free port, in this process (so tests can also reach the services)."""
    running = RunningServer(settings)
    address = await running.start()
    yield address
    await running.stop()
    await _clear_prefix(settings.redis_url or "", settings.redis_prefix)


@pytest.fixture
async def api(server: str) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=30) as client:
        yield Api(client, server)


@pytest.fixture
async def world(server: str):
    from tests.helpers import build_world

    return await build_world()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A Redis of this test alone, so the test can really stop it."""
    redis = EmbeddedRedis(tmp_path / "private-redis")
    yield redis
    redis.stop()


@pytest.fixture
def private_postgres(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL of this test alone, so the test can really restart or stop it."""
    postgres = EmbeddedPostgres(tmp_path / "private-postgres" / "data", delete_on_stop=True)
    yield postgres
    postgres.stop()


@pytest.fixture
async def private_postgres_settings(settings: Settings, private_postgres: EmbeddedPostgres) -> Settings:
    """The test's settings, on a database of the test's own PostgreSQL (migrated when a server starts)."""
    admin = await asyncpg.connect(host=private_postgres.socket_dir, user="postgres", database="postgres")
    try:
        await admin.execute('CREATE DATABASE "coedu"')
    finally:
        await admin.close()
    return dataclasses.replace(settings, database_url=private_postgres.url("coedu"))


@pytest.fixture
async def server_processes(settings: Settings, tmp_path: Path, server: str):
    """Start extra server processes on the test's database: ``await server_processes("a", "b")``,
    or with more environment: ``await server_processes("a", env={"COEDU_FAILPOINTS": ...})``."""
    started: list[ServerProcess] = []

    async def start(*names: str, env: dict[str, str] | None = None) -> list[ServerProcess]:
        processes = [ServerProcess(settings, tmp_path, name, extra_env=env) for name in names]
        started.extend(processes)
        return [await p.ready() for p in processes]

    yield start
    for process in started:
        process.stop()
