"""The shape every mutation shares: one ``input``, a payload with ``userErrors``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from schema.common.errors import UserError, payload_errors
from schema.common.ids import decode_id
from services.errors import Checks, ErrorCode, UserErrors

P = TypeVar("P")


async def run(info: strawberry.Info, payload: type[P], action: Callable[[], Awaitable[P]]) -> P:
    """Run the service call; expected failures become the payload's userErrors (nothing changed)."""
    try:
        return await action()
    except UserErrors as failure:
        return payload(user_errors=payload_errors(failure, info.context.language))  # type: ignore[call-arg]


class Ids:
    """Decodes the global ids of an input, collecting a NOT_FOUND for each bad one."""

    def __init__(self) -> None:
        self.checks = Checks()

    def get(self, value: str | None, type_name: str, field: str, *, required: bool = True) -> Any:
        if value is None:
            if required:
                self.checks.invalid(field, "required")
            return None
        row_id = decode_id(value, type_name)
        if row_id is None:
            self.checks.add(ErrorCode.NOT_FOUND, "not_found", field)
        return row_id

    def done(self) -> None:
        self.checks.raise_if_any()


def user_errors_field() -> list[UserError]:
    return strawberry.field(
        default_factory=list, description="Why nothing changed; empty when the mutation succeeded."
    )
