"""Sample data: the demo a newcomer tries the apps with, and the city at full scale for benchmarks.

``seed(DEMO | CITY, seed_number)`` loads everything in one transaction into a database that has
no schools yet; the same seed number gives the same schools, people and events.
"""

from __future__ import annotations

import datetime as dt

from tortoise import connections

from services.progress import Progress
from services.seed.generate import CITY, DEMO, Generated, Generator, Scale
from services.seed.load import Copier

__all__ = ["CITY", "DEMO", "Generated", "Scale", "SeedError", "seed"]


class SeedError(Exception):
    """The database cannot take sample data (it has some already)."""


async def seed(scale: Scale, seed_number: int, *, progress: Progress | None = None) -> Generated:
    client = connections.get("default")
    if (await client.execute_query_dict("SELECT EXISTS (SELECT 1 FROM school) AS seeded"))[0]["seeded"]:
        raise SeedError("the database already has schools; seed an empty one")
    districts = [(r["id"], r["code"], r["name"]) for r in await client.execute_query_dict(
        "SELECT id, code, name FROM district ORDER BY position")]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    show = progress is not None
    report = progress or Progress("seed", enabled=False)
    async with client.acquire_connection() as connection, connection.transaction():
        copier = Copier(connection, report, scale.expected_rows)
        generated = await Generator(scale, seed_number, copier, now).run(districts)
    # Statistics for the planner, and the visibility map for index-only scans: rows loaded by COPY
    # are not known all-visible until a vacuum, and every "index-only" read would visit the heap.
    tables = [table for table, count in copier.counts.items() if count]
    vacuum = Progress("vacuum (analyze)", len(tables), unit="tables", enabled=show)
    for table in tables:
        await client.execute_query(f'VACUUM (ANALYZE) "{table}"')
        vacuum.advance()
    vacuum.close()
    return generated
