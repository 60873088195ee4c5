"""The programme's clock: it runs on Beijing time, whatever zone the servers run in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from services.errors import ErrorCode, UserErrors

#: Baotou keeps China Standard Time (no daylight saving); every schedule, weekday and date is read in it.
PROGRAMME_ZONE = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    """The programme's date now."""
    return dt.datetime.now(PROGRAMME_ZONE).date()


def local_label(moment: dt.datetime) -> str:
    """A moment as people read it in a notification: 12-03 19:00, local time."""
    return moment.astimezone(PROGRAMME_ZONE).strftime("%m-%d %H:%M")


#: The calendar years the programme's figures can be asked for.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """A calendar year in the programme's zone, as UTC instants [start, end); a year outside
    FIRST_YEAR..LAST_YEAR is the caller's mistake (INVALID_INPUT on ``year``)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise UserErrors.one(ErrorCode.INVALID_INPUT, "out_of_range", "year", min=FIRST_YEAR, max=LAST_YEAR)
    start = dt.datetime(year, 1, 1, tzinfo=PROGRAMME_ZONE)
    return start.astimezone(dt.UTC), dt.datetime(year + 1, 1, 1, tzinfo=PROGRAMME_ZONE).astimezone(dt.UTC)
