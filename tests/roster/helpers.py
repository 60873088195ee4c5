"""The roster tests' reading of what `coedu` printed and wrote."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import asyncpg


@dataclasses.dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def changes(result: Ran) -> dict[str, int]:
    """The counts an import prints: `  created.student   400`."""
    return {line.split()[0]: int(line.split()[1].replace(",", "")) for line in result.stdout.splitlines()
            if line.startswith("  ") and len(line.split()) == 2}


async def count(url: str, sql: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(sql)
    finally:
        await connection.close()


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def write_rows(path: Path, table: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)


