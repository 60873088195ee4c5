"""Mainland China mobile numbers: validation, normalisation, masking."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"1[3-9]\d{9}")


def normalise(raw: str) -> str | None:
    """The 11-digit number, or None when it is not a mainland mobile number.

    Accepts spaces, dashes and a +86 / 0086 / 86 country prefix.
    """
    digits = re.sub(r"[\s\-()]", "", raw or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    return digits if _MOBILE.fullmatch(digits) else None


def mask(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"
