"""Expose the domain's enums with descriptions on the type and every value."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry


def described_enum(python_enum: type[Enum], *, name: str, description: str, values: dict[str, str]) -> Any:
    missing = {member.name for member in python_enum} - set(values)
    if missing:
        raise ValueError(f"{name}: values without a description: {sorted(missing)}")
    exposed = strawberry.enum(python_enum, name=name, description=description)
    for value in exposed.__strawberry_definition__.values:
        value.description = values[value.name]
    return exposed
