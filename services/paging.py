"""Offset pages over filtered queries: the rows of one page and, only if asked, the total."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.queryset import QuerySet

T = TypeVar("T")

MAX_PAGE = 100


@dataclass
class Page(Generic[T]):
    items: list[T]
    offset: int
    has_next: bool
    count: Callable[[], Awaitable[int]]


async def fetch(query: QuerySet[Any], *, first: int, offset: int) -> Page[Any]:
    """One page of ``query`` (already filtered to what the viewer may see, already ordered)."""
    rows = await query.offset(offset).limit(first + 1) if first > 0 else []
    total_query = query.count()

    async def count() -> int:
        return await total_query

    return Page(list(rows[:first]), offset, len(rows) > first, count)


def fixed(items: list[T], *, first: int, offset: int, total: int | None = None) -> Page[T]:
    """A page cut from rows already loaded (a batched loader fetched first + 1 of them)."""
    window = items[:first]

    async def count() -> int:
        return total if total is not None else offset + len(items)

    return Page(window, offset, len(items) > first, count)
