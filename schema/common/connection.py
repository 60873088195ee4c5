"""Relay connections: ``first``/``after``, edges, nodes, pageInfo and a lazy totalCount."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from schema.common.errors import ApiError
from services.messages import Language
from services.paging import MAX_PAGE, Page

T = TypeVar("T")

First = Annotated[int, strawberry.argument(description="Page size: 0 to 100 items.")]
After = Annotated[str | None, strawberry.argument(description="Cursor of the item to continue after.")]


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Indicates more items follow this page.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item of this page.")


@strawberry.type(description="An item of a list, with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque position of this item; pass as `after`.")
    node: T = strawberry.field(description="The item.")


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, language: Language) -> int:
    """Offset just past ``cursor`` (0 when absent)."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text[0] == "o" and text[1:].isdigit():
            return int(text[1:]) + 1
    except (binascii.Error, ValueError, UnicodeDecodeError, IndexError):
        pass
    raise ApiError("INVALID_INPUT", "invalid_cursor", language)


def page_window(first: int, after: str | None, language: Language) -> tuple[int, int]:
    """Validated (first, offset) of a connection's arguments."""
    if not 0 <= first <= MAX_PAGE:
        raise ApiError("INVALID_INPUT", "invalid_first", language, max=MAX_PAGE)
    return first, decode_cursor(after, language)


@strawberry.type(description="A page of a list.")
class Connection(Generic[T]):
    _page: strawberry.Private[Page[Any]]
    _wrap: strawberry.Private[Callable[[Any], T]]

    @strawberry.field(description="Items of this page with their cursors.")
    def edges(self) -> list[Edge[T]]:
        start = self._page.offset
        return [Edge(cursor=encode_cursor(start + i), node=self._wrap(row)) for i, row in enumerate(self._page.items)]

    @strawberry.field(description="Items of this page.")
    def nodes(self) -> list[T]:
        return [self._wrap(row) for row in self._page.items]

    @strawberry.field(description="Where this page sits in the list.")
    def page_info(self) -> PageInfo:
        count = len(self._page.items)
        end = encode_cursor(self._page.offset + count - 1) if count else None
        return PageInfo(has_next_page=self._page.has_next, end_cursor=end)

    @strawberry.field(description="Number of items in the whole list (what the viewer may see of it).")
    async def total_count(self) -> int:
        return await self._page.count()


def connection(page: Page[Any], wrap: Callable[[Any], T]) -> Connection[T]:
    return Connection(_page=page, _wrap=wrap)
