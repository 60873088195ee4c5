"""The scheduling rules of a home visit, as pure functions of their inputs (unit-tested alone)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.clock import PROGRAMME_ZONE
from services.errors import Checks

MAX_SLOTS = 5
MIN_MINUTES, MAX_MINUTES = 30, 180
MAX_DAYS_AHEAD = 60
DAY_STARTS, DAY_ENDS = dt.time(8, 0), dt.time(21, 0)
#: No teacher has two confirmed visits closer than this: half of it is held on each side of a visit.
TRAVEL_BUFFER = dt.timedelta(minutes=30)
MISSED_AFTER = dt.timedelta(hours=48)
REMINDERS = (dt.timedelta(hours=24), dt.timedelta(hours=2))
MAX_COMPANIONS = 4


@dataclass(frozen=True, order=True)
class Window:
    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def blocked(self) -> tuple[dt.datetime, dt.datetime]:
        """The time a confirmed visit holds in its teachers' calendars, travel buffer included."""
        half = TRAVEL_BUFFER / 2
        return self.starts_at - half, self.ends_at + half


def check_slots(checks: Checks, field: str, slots: list[Window], now: dt.datetime) -> list[Window]:
    """Every violated rule of every slot becomes its own error; returns the slots that pass."""
    if not slots:
        checks.invalid(field, "required")
        return []
    if len(slots) > MAX_SLOTS:
        checks.invalid(field, "too_many_items", max=MAX_SLOTS)
        return []
    good = []
    for index, slot in enumerate(slots):
        name = f"{field}[{index}]"
        errors = len(checks.errors)
        minutes = (slot.ends_at - slot.starts_at).total_seconds() / 60
        if not MIN_MINUTES <= minutes <= MAX_MINUTES:
            checks.invalid(name, "slot_length", min=MIN_MINUTES, max=MAX_MINUTES)
        if slot.starts_at <= now:
            checks.invalid(name, "slot_in_past")
        elif slot.starts_at > now + dt.timedelta(days=MAX_DAYS_AHEAD):
            checks.invalid(name, "slot_too_far", days=MAX_DAYS_AHEAD)
        start = slot.starts_at.astimezone(PROGRAMME_ZONE)
        end = slot.ends_at.astimezone(PROGRAMME_ZONE)
        if start.time() < DAY_STARTS or end.date() != start.date() or end.time() > DAY_ENDS:
            checks.invalid(name, "slot_hours")
        if len(checks.errors) == errors:
            good.append(slot)
    return good
