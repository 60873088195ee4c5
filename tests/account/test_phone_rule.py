"""The one rule every phone goes through (sign-in, invitations, guardians linked by hand or by
the roster sync): a mainland mobile number, as libphonenumber knows the allocated ranges."""

from __future__ import annotations

import pytest

from services.identity.phones import mask, normalise


@pytest.mark.parametrize(("raw", "expected"), [
    ("13900000011", "13900000011"),
    ("139 0000 0011", "13900000011"),
    ("139-0000-0011", "13900000011"),
    ("+86 139 0000 0011", "13900000011"),
    ("008613900000011", "13900000011"),
    ("8613900000011", "13900000011"),
    ("１３９００００００１１", "13900000011"),  # full-width digits, as Chinese keyboards type them
    ("19912345678", "19912345678"),
    ("16612345678", "16612345678"),
])
def test_mainland_mobile_numbers_come_out_as_eleven_digits(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize("raw", [
    "", "123", "1390000001", "139000000111",
    "12345678901",  # no 12x range exists
    "14012345678",  # 140–144: machine-to-machine SIMs, not people
    "0471-1234567",  # a Baotou landline
    "+85291234567", "+1 650 253 0000",  # Hong Kong, abroad
    "13900000011x", "139 0000 0011 ext 5", "139\x0000000011", "²13900000011", "++8613900000011",
    "1" * 40,
])
def test_anything_else_is_no_mobile_number(raw):
    assert normalise(raw) is None


def test_a_masked_number_keeps_the_first_three_and_last_four_digits():
    assert mask("13900000011") == "139****0011"
