"""Bulk loading: rows go to PostgreSQL with COPY in batches, inside one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.progress import Progress

BATCH = 20_000


class Copier:
    """Buffers rows per table and COPYs them on one asyncpg connection. Tables are declared
    parents first; every flush writes all of them in that order, so no row arrives before the
    rows it refers to."""

    def __init__(self, connection: Any, progress: Progress, expected_rows: int = 0) -> None:
        self._connection = connection
        self._progress = progress
        self._expected = expected_rows
        self._columns: dict[str, Sequence[str]] = {}
        self._buffers: dict[str, list[tuple[Any, ...]]] = {}
        self._buffered = 0
        self.counts: dict[str, int] = {}

    def table(self, name: str, columns: Sequence[str]) -> None:
        self._columns[name] = columns
        self._buffers[name] = []
        self.counts[name] = 0

    async def add(self, name: str, row: tuple[Any, ...]) -> None:
        self._buffers[name].append(row)
        self._buffered += 1
        if self._buffered >= BATCH:
            await self.flush()

    async def flush(self) -> None:
        for name, rows in self._buffers.items():
            if rows:
                await self._connection.copy_records_to_table(name, records=rows, columns=list(self._columns[name]))
                self.counts[name] += len(rows)
                self._buffers[name] = []
        self._buffered = 0
        self._progress.set(sum(self.counts.values()), self._expected)

    async def close(self) -> None:
        await self.flush()
        self._progress.close("\n".join(f"  {table:<28} {count:>10,}" for table, count in self.counts.items()))
