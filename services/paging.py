"""Keyset pages over ordered lists: stable while the list grows or shrinks between pages.

A page ends at a position: the sort key of its last row (the ordering's
values, ending with the id). The next page is the rows strictly after that
position in the same order, so a row inserted or deleted meanwhile moves
nothing that was not yet seen: no row repeated, none skipped. (Offsets were:
an alert raised between two pages of a counsellor's queue repeated an item.)
"""

from __future__ import annotations

import operator
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from services.errors import ErrorCode, UserErrors

T = TypeVar("T")

MAX_PAGE = 100
#: Where a page ended: the values of its ordering for the last row seen.
Position = tuple[Any, ...]


def _not_this_list() -> UserErrors:
    """A cursor of another list: the client's mistake, as an unreadable cursor is."""
    return UserErrors.one(ErrorCode.INVALID_INPUT, "invalid_cursor", "after")


@dataclass
class Page(Generic[T]):
    items: list[T]
    #: the position of each item, for its cursor
    positions: list[Position]
    has_next: bool
    count: Callable[[], Awaitable[int]]

    def keep(self, items: Sequence[Any]) -> Page[Any]:
        """The page with each item replaced (an item mapped to None dropped, with its position)."""
        kept = [(item, position) for item, position in zip(items, self.positions, strict=True) if item is not None]
        return Page([item for item, _ in kept], [position for _, position in kept], self.has_next, self.count)


def _value(row: Any, path: str) -> Any:
    for part in path.split("__"):
        row = getattr(row, part)
    return row


def position_of(row: Any, order: Sequence[str]) -> Position:
    return tuple(_value(row, spec.lstrip("-")) for spec in order)


def _check(order: Sequence[str], position: Position) -> None:
    if len(position) != len(order) or any(value is None for value in position):
        raise _not_this_list()


def _after(order: Sequence[str], position: Position) -> Q:
    """Rows strictly after ``position`` in ``order``: (a > x) or (a = x and b > y) or ..."""
    _check(order, position)
    clauses = []
    for index, spec in enumerate(order):
        name = spec.lstrip("-")
        equal = {order[j].lstrip("-"): position[j] for j in range(index)}
        clauses.append(Q(**equal, **{f"{name}__{'lt' if spec.startswith('-') else 'gt'}": position[index]}))
    return reduce(operator.or_, clauses)


async def fetch(query: QuerySet[Any], *, order: Sequence[str], first: int, after: Position | None) -> Page[Any]:
    """One page of ``query`` (already filtered to what the viewer may see) in ``order``, which must
    end with a unique field (the id) and name no nullable one."""
    total_query = query.count()
    window = query.filter(_after(order, after)) if after is not None else query
    rows = list(await window.order_by(*order).limit(first + 1)) if first > 0 else []

    async def count() -> int:
        return await total_query

    return page_of(rows, first=first, key=lambda row: position_of(row, order), count=count)


def page_of(rows: Sequence[T], *, first: int, key: Callable[[T], Position], count: Callable[[], Awaitable[int]]
            ) -> Page[T]:
    """The page of up to ``first + 1`` rows read in order: the first ``first``, and whether more follow."""
    items = list(rows[:first])
    return Page(items, [key(item) for item in items], len(rows) > first, count)


# Pages read by a statement written out (a hot screen's), over columns named in SQL: "-e.enrolled_at"
# orders by e.enrolled_at descending, as the query builder's order does.


def order_sql(order: Sequence[str]) -> str:
    return ", ".join(f"{spec[1:]} DESC" if spec.startswith("-") else spec for spec in order)


def after_sql(order: Sequence[str], position: Position | None, values: list[Any]) -> str:
    """The condition of ``_after`` in SQL, its values appended to ``values`` (the statement's
    parameters so far); TRUE without a position."""
    if position is None:
        return "TRUE"
    _check(order, position)
    start = len(values) + 1
    values.extend(position)
    clauses = []
    for index, spec in enumerate(order):
        equal = [f"{order[j].lstrip('-')} = ${start + j}" for j in range(index)]
        beyond = f"{spec.lstrip('-')} {'<' if spec.startswith('-') else '>'} ${start + index}"
        clauses.append(f"({' AND '.join([*equal, beyond])})")
    return f"({' OR '.join(clauses)})"


def fixed(items: Sequence[T], *, key: Callable[[T], Position], first: int, after: Position | None) -> Page[T]:
    """A page of rows already loaded whole, in ascending ``key`` order (a class's students)."""
    ordered = sorted(items, key=key)
    if after is not None:
        try:
            ordered = [item for item in ordered if key(item) > after]
        except TypeError as error:  # values of another list's ordering
            raise _not_this_list() from error
    window = ordered[:first]
    total = len(items)

    async def count() -> int:
        return total

    return Page(list(window), [key(item) for item in window], len(ordered) > first, count)
