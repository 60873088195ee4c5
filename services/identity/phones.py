"""Mainland China mobile numbers: validation, normalisation, masking.

Validation is libphonenumber's (the ``phonenumbers`` port): it knows which prefixes are allocated
to mobile networks (140–144 are machine-to-machine, 12x none at all), which a pattern would not.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberType

_CHINA = 86
#: What may stand between the digits; libphonenumber alone would also take letters and an extension.
_SEPARATORS = re.compile(r"[\s\-()]")
_MOBILE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def normalise(raw: str) -> str | None:
    """The 11-digit number, or None when it is not a mainland mobile number.

    Accepts spaces, dashes, brackets and a +86 / 0086 / 86 country prefix.
    """
    plain = _SEPARATORS.sub("", raw or "")
    if not plain.removeprefix("+").isdecimal() or len(plain) > 17:
        return None
    if len(plain) == 11 and plain.isascii() and plain[0] == "1":
        # How nearly every number is written: parsing it would only find the same (a roster sync
        # checks 400,000 of them).
        number = PhoneNumber(country_code=_CHINA, national_number=int(plain))
    else:
        try:
            number = phonenumbers.parse(plain, "CN")
        except NumberParseException:
            return None
    national = str(number.national_number)
    if number.country_code != _CHINA or len(national) != 11 or number.italian_leading_zero:
        return None
    # The type of a number that fits no range of its region is UNKNOWN: this is also the validity check.
    return national if phonenumbers.number_type(number) in _MOBILE else None


def mask(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"
