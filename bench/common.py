"""What every benchmark needs: real PostgreSQL and Redis, a fresh migrated database, shared keys,
the domain ready in this process, and `coedu serve` processes to measure."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.app import build_runtime, redis_client
from api.embedded import EmbeddedPostgres, EmbeddedRedis
from api.settings import Keys, Settings
from services import db, runtime
from services.seed import CITY, DEMO, seed
from services.seed.load import Progress
from tests.processes import ServerProcess

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class BenchEnvironment:
    settings: Settings
    workdir: Path

    def server(self, name: str, command: list[str] | None = None) -> ServerProcess:
        return ServerProcess(self.settings, self.workdir, name, command)


async def seeded(quick: bool, seed_number: int) -> dict[str, Any]:
    """The city (the demo, ``quick``) seeded into the environment's database; what a results file
    says about it: when, at which scale, how many rows in how long."""
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    generated = await seed(DEMO if quick else CITY, seed_number, progress=Progress("seed"))
    return {"when": when, "scale": "demo" if quick else "city",
            "seed": {"rows": sum(generated.counts.values()), "seconds": time.monotonic() - started}}


@contextlib.asynccontextmanager
async def environment() -> AsyncIterator[BenchEnvironment]:
    """DATABASE_URL / REDIS_URL if set (a fresh database is created next to the one named), else
    embedded servers in a temporary directory."""
    workdir = Path(tempfile.mkdtemp(prefix="coedu-bench-"))
    postgres = redis = None
    admin_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    if not admin_url:
        postgres = EmbeddedPostgres(workdir / "postgres", delete_on_stop=True)
        admin_url = postgres.url("postgres")
    if not redis_url:
        redis = EmbeddedRedis(workdir / "redis")
        redis_url = redis.url
    name = f"coedu_bench_{secrets.token_hex(4)}"
    from tests.conftest import _admin, database_url

    admin = await _admin(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = database_url(admin_url, name)
    settings = Settings(
        data_dir=workdir, database_url=url, redis_url=redis_url, redis_prefix=f"bench{uuid.uuid4().hex[:8]}:",
        keys=Keys(Ed25519PrivateKey.generate(), (), {"b1": secrets.token_bytes(32)}, "b1", secrets.token_bytes(32)),
        password_hashing="fast",
    )
    client = redis_client(redis_url)
    runtime.install(build_runtime(settings, client))
    await db.migrate(url)
    await db.init(url, pool_size=10)
    try:
        yield BenchEnvironment(settings, workdir)
    finally:
        await db.close()
        await client.aclose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
        if redis:
            redis.stop()
        if postgres:
            postgres.stop()


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 0.50),
        "p90": percentile(values, 0.90),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
        "max": max(values) if values else float("nan"),
        "mean": statistics.fmean(values) if values else float("nan"),
    }



def run_seeded(doc: str | None, main: Callable[[bool, int], Awaitable[dict[str, Any]]],
               results: str, heading: Callable[[dict[str, Any]], str]) -> None:
    """A benchmark's command line: ``--quick`` (the demo's size) and ``--seed``; its Markdown
    (``heading`` of the outcome) printed, and with the outcome as JSON written to
    bench/results/<results>.md and .json unless quick."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args()
    outcome = asyncio.run(main(options.quick, options.seed))
    text = heading(outcome)
    sys.stdout.write(text)
    if not options.quick:
        (RESULTS / f"{results}.md").write_text(text, encoding="utf-8")
        (RESULTS / f"{results}.json").write_text(json.dumps(outcome, indent=2, default=str), encoding="utf-8")
