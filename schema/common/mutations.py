"""The shape every mutation shares: one ``input``, a payload with ``userErrors``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from schema.common.errors import UserError, payload_errors
from services.errors import UserErrors

P = TypeVar("P")


async def run(info: strawberry.Info, payload: type[P], action: Callable[[], Awaitable[P]]) -> P:
    """Run the service call; expected failures become the payload's userErrors (nothing changed)."""
    try:
        return await action()
    except UserErrors as failure:
        return payload(user_errors=payload_errors(failure, info.context.language))  # type: ignore[call-arg]


def user_errors_field() -> list[UserError]:
    return strawberry.field(
        default_factory=list, description="Why nothing changed; empty when the mutation succeeded."
    )
