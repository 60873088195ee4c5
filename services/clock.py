"""The programme's clock: it runs on Beijing time, whatever zone the servers run in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

#: Baotou keeps China Standard Time (no daylight saving); every schedule, weekday and date is read in it.
PROGRAMME_ZONE = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    """The programme's date now."""
    return dt.datetime.now(PROGRAMME_ZONE).date()


def local_label(moment: dt.datetime) -> str:
    """A moment as people read it in a notification: 12-03 19:00, local time."""
    return moment.astimezone(PROGRAMME_ZONE).strftime("%m-%d %H:%M")


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """A calendar year in the programme's zone, as UTC instants [start, end)."""
    start = dt.datetime(year, 1, 1, tzinfo=PROGRAMME_ZONE)
    return start.astimezone(dt.UTC), dt.datetime(year + 1, 1, 1, tzinfo=PROGRAMME_ZONE).astimezone(dt.UTC)
