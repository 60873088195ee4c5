"""The shape every mutation shares: one ``input``, a payload with ``userErrors``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

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


def payload_type(name: str, *, description: str, **fields: tuple[Any, str]) -> type:
    """A mutation payload: the given fields (each a type and its description, null on failure) and
    ``userErrors``. The class is made by a call, which a type checker cannot read as a type: a resolver
    returning one is annotated with it for strawberry and says ``# type: ignore[valid-type]``."""
    annotations: dict[str, object] = {}
    namespace: dict[str, object] = {"__annotations__": annotations}
    for field_name, (field_type, field_description) in fields.items():
        annotations[field_name] = field_type | None
        namespace[field_name] = strawberry.field(default=None, description=field_description)
    annotations["user_errors"] = list[UserError]
    namespace["user_errors"] = user_errors_field()
    return strawberry.type(type(name, (), namespace), description=description)
