"""The Relay ``Node`` interface and ``node(id:)`` resolution.

Each node type registers how to load one of its objects *as the viewer may
see it*; a missing object, a forbidden one and a malformed id all give null.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from schema.common.ids import from_global_id, to_global_id


@strawberry.interface(description="An object with an opaque global id; any of them can be fetched with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global id of the object.")


NodeLoader = Callable[[Any, uuid.UUID], Awaitable[Any | None]]
_LOADERS: dict[str, NodeLoader] = {}


def node_loader(type_name: str) -> Callable[[NodeLoader], NodeLoader]:
    """Register how ``node(id:)`` loads a ``type_name`` for the viewer (``info.context``)."""

    def register(load: NodeLoader) -> NodeLoader:
        _LOADERS[type_name] = load
        return load

    return register


async def resolve_node(context: Any, global_id: str) -> Any | None:
    decoded = from_global_id(global_id)
    if decoded is None:
        return None
    type_name, row_id = decoded
    load = _LOADERS.get(type_name)
    return await load(context, row_id) if load else None


def gid(type_name: str, row_id: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(to_global_id(type_name, row_id))
