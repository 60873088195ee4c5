"""The shape every mutation shares: one ``input``, a payload with ``userErrors``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from schema.common.errors import UserError, payload_errors
from services import unit_of_work
from services.errors import UserErrors

P = TypeVar("P")


async def run(info: strawberry.Info, payload: Callable[..., P], action: Callable[[], Awaitable[P]]) -> P:
    """Run the service call; expected failures become the payload's userErrors (nothing changed)."""
    if info.context.loaders is not None:
        info.context.loaders.forget()  # an earlier mutation of the same request may have loaded rows this one changes
    try:
        async with unit_of_work.step():
            return await action()
    except UserErrors as failure:
        return payload(user_errors=payload_errors(failure, info.context.language))


def user_errors_field() -> list[UserError]:
    return strawberry.field(
        default_factory=list, description="Why nothing changed; empty when the mutation succeeded."
    )
