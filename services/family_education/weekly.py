"""Weekly windows in local time, as availability and opening hours are given: an ISO weekday
(1 = Monday … 7 = Sunday) and two ``HH:MM`` times, the end after the start."""

from __future__ import annotations

import datetime as dt
import re

from services.errors import Checks

_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def parse_time(value: str) -> dt.time | None:
    match = _TIME.fullmatch(value or "")
    return dt.time(int(match.group(1)), int(match.group(2))) if match else None


def check_window(checks: Checks, at: str, weekday: int, start: str, end: str, *, start_name: str,
                 end_name: str) -> tuple[dt.time | None, dt.time | None]:
    """The window's times, every broken rule recorded under ``at`` (e.g. ``slots[2]``)."""
    opens, closes = parse_time(start), parse_time(end)
    if not 1 <= weekday <= 7:
        checks.invalid(f"{at}.weekday", "out_of_range", min=1, max=7)
    if opens is None:
        checks.invalid(f"{at}.{start_name}", "invalid_time")
    if closes is None or (opens is not None and closes <= opens):
        checks.invalid(f"{at}.{end_name}", "invalid_time")
    return opens, closes
