"""The scheduling rules, alone."""

from __future__ import annotations

import datetime as dt

import pytest

from services.clock import PROGRAMME_ZONE
from services.errors import Checks
from services.home_visits.rules import Window, check_slots

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=PROGRAMME_ZONE)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 28, tzinfo=PROGRAMME_ZONE) + dt.timedelta(days=day, hours=hour, minutes=minute)


@pytest.mark.parametrize(("window", "message"), [
    (Window(at(1, 10), at(1, 10, 29)), "slot_length"),
    (Window(at(1, 10), at(1, 13, 1)), "slot_length"),
    (Window(at(0, 11), at(0, 12)), "slot_in_past"),
    (Window(at(61, 10), at(61, 11)), "slot_too_far"),
    (Window(at(1, 7, 59), at(1, 9)), "slot_hours"),
    (Window(at(1, 20, 30), at(1, 21, 1)), "slot_hours"),
    (Window(at(1, 20, 30), at(2, 9)), "slot_length"),
])
def test_a_slot_breaking_a_rule_is_refused(window, message):
    checks = Checks()
    assert check_slots(checks, "slots", [window], NOW) == []
    assert [e.message for e in checks.errors][0] == message
    assert checks.errors[0].field == "slots[0]"


@pytest.mark.parametrize("window", [
    Window(at(1, 8), at(1, 8, 30)),
    Window(at(1, 18), at(1, 21)),
    Window(at(60, 10), at(60, 11)),
])
def test_slots_at_the_edges_pass(window):
    checks = Checks()
    assert check_slots(checks, "slots", [window], NOW) == [window]
    assert checks.errors == []


def test_utc_input_is_judged_in_local_time():
    # 01:00 UTC is 09:00 in Baotou
    utc = Window(dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC), dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC))
    assert check_slots(Checks(), "slots", [utc], NOW) == [utc]


def test_the_travel_buffer_is_half_on_each_side():
    window = Window(at(1, 10), at(1, 11))
    assert window.blocked == (at(1, 9, 45), at(1, 11, 15))
    follower = Window(at(1, 11, 30), at(1, 12))
    assert follower.blocked[0] == window.blocked[1]  # exactly 30 minutes apart: adjacent, not overlapping
