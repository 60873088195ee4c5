"""How the domain says no.

Expected failures the user can act on are ``UserErrors`` (the API turns them
into a payload's ``userErrors``); a caller who is not signed in or may not run
an operation gets ``Unauthenticated`` or ``Forbidden`` (top-level errors).
Messages are keys into ``services.messages``, translated at the edge.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from dataclasses import field as dataclass_field


class ErrorCode(enum.StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    INVALID_STATE = "INVALID_STATE"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    RATE_LIMITED = "RATE_LIMITED"


@dataclass(frozen=True)
class FieldError:
    code: ErrorCode
    message: str  # a key of services.messages.CATALOG
    field: str | None = None
    params: dict[str, object] = dataclass_field(default_factory=dict)


class DomainError(Exception):
    pass


class UserErrors(DomainError):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(", ".join(f"{e.code}:{e.message}" for e in errors))
        self.errors = errors

    @classmethod
    def one(cls, code: ErrorCode, message: str, field: str | None = None, **params: object) -> UserErrors:
        return cls([FieldError(code, message, field, params)])

    @classmethod
    def not_found(cls, field: str) -> UserErrors:
        """The object named by ``field`` does not exist, or the actor may not see it: the same answer."""
        return cls.one(ErrorCode.NOT_FOUND, "not_found", field)


class Unauthenticated(DomainError):
    pass


class Forbidden(DomainError):
    pass


class Checks:
    """Collects every validation failure of an input, so the client sees them all at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, code: ErrorCode, message: str, field: str | None = None, **params: object) -> None:
        self.errors.append(FieldError(code, message, field, params))

    def invalid(self, field: str, message: str, **params: object) -> None:
        self.add(ErrorCode.INVALID_INPUT, message, field, **params)

    def text(self, field: str, value: str | None, *, max_length: int, min_length: int = 1,
             required: bool = True) -> str | None:
        """Validate free text: trimmed, bounded, no control characters. Returns the cleaned value."""
        if value is None:
            if required:
                self.invalid(field, "required")
            return None
        cleaned = value.strip()
        if any(ord(ch) < 32 and ch not in "\n\t" for ch in cleaned):
            self.invalid(field, "control_characters")
            return None
        if len(cleaned) < min_length:
            self.invalid(field, "required" if not cleaned else "too_short", min=min_length)
            return None
        if len(cleaned) > max_length:
            self.invalid(field, "too_long", max=max_length)
            return None
        return cleaned

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise UserErrors(self.errors)
