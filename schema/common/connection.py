"""Relay connections: ``first``/``after``, edges, nodes, pageInfo and a lazy totalCount.

Cursors are keyset positions (services.paging), sealed so that clients see
an opaque string and cannot forge or read one (they hold row ids).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

import orjson
import strawberry

from schema.common.errors import ApiError
from services import runtime
from services.crypto import DecryptionError
from services.messages import Language
from services.paging import MAX_PAGE, Page, Position

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


def encode_cursor(position: Position) -> str:
    """A page position, sealed: opaque to clients (it holds row ids) and tamper-proof."""
    values = [_tagged(value) for value in position]
    sealed = runtime.current().crypto.sealer.seal(orjson.dumps(values).decode(), table="cursor", column="position",
                                                  row=_NO_ROW)
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def decode_cursor(cursor: str | None, language: Language) -> Position | None:
    """The position ``cursor`` stands for (None when absent); INVALID_INPUT for anything else."""
    if cursor is None:
        return None
    try:
        sealed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        text = runtime.current().crypto.sealer.open(sealed, table="cursor", column="position", row=_NO_ROW)
        values = orjson.loads(text) if text is not None else None
        if isinstance(values, list):
            return tuple(_untagged(value) for value in values)
    except (binascii.Error, ValueError, TypeError, DecryptionError):
        pass
    raise ApiError("INVALID_INPUT", "invalid_cursor", language)


_NO_ROW = uuid.UUID(int=0)


def _tagged(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": value.hex}
    return value


def _untagged(value: Any) -> Any:
    if isinstance(value, dict):
        if "t" in value:
            return dt.datetime.fromisoformat(value["t"])
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        if "u" in value:
            return uuid.UUID(hex=value["u"])
        raise ValueError("not a cursor value")
    return value


def page_window(first: int, after: str | None, language: Language) -> tuple[int, Position | None]:
    """Validated (first, position after which the page starts) of a connection's arguments."""
    if not 0 <= first <= MAX_PAGE:
        raise ApiError("INVALID_INPUT", "invalid_first", language, max=MAX_PAGE)
    return first, decode_cursor(after, language)


@strawberry.type(description="A page of a list.")
class Connection(Generic[T]):
    _page: strawberry.Private[Page[Any]]
    _wrap: strawberry.Private[Callable[[Any], T]]

    @strawberry.field(description="Items of this page with their cursors.")
    def edges(self) -> list[Edge[T]]:
        return [Edge(cursor=encode_cursor(position), node=self._wrap(row))
                for row, position in zip(self._page.items, self._page.positions, strict=True)]

    @strawberry.field(description="Items of this page.")
    def nodes(self) -> list[T]:
        return [self._wrap(row) for row in self._page.items]

    @strawberry.field(description="Where this page sits in the list.")
    def page_info(self) -> PageInfo:
        end = encode_cursor(self._page.positions[-1]) if self._page.positions else None
        return PageInfo(has_next_page=self._page.has_next, end_cursor=end)

    @strawberry.field(description="Number of items in the whole list (what the viewer may see of it).")
    async def total_count(self) -> int:
        return await self._page.count()


def connection(page: Page[Any], wrap: Callable[[Any], T]) -> Connection[T]:
    return Connection(_page=page, _wrap=wrap)
