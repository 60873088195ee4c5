"""Expose the domain's enums with descriptions on the type and every value."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types.enum import has_enum_definition


def describe_enum(python_enum: type[Enum], *, name: str, description: str, values: dict[str, str]) -> None:
    """Make the domain's enum a GraphQL enum, in place (``strawberry.enum`` marks the class itself): a
    module then names it by a plain alias (``Role = enums.Role``), which a type checker reads as the type."""
    missing = {member.name for member in python_enum} - set(values)
    if missing:
        raise ValueError(f"{name}: values without a description: {sorted(missing)}")
    exposed = strawberry.enum(python_enum, name=name, description=description)
    assert has_enum_definition(exposed)
    for value in exposed.__strawberry_definition__.values:
        value.description = values[value.name]
