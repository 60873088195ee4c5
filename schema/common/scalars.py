"""Times and dates as the contract has them: ISO 8601 with an offset, and plain calendar dates.

strawberry's own DateTime takes a time without an offset and hands the
resolvers a naive datetime, which then cannot be compared with the database's;
here a time without an offset is the client's mistake, refused at coercion as
BAD_USER_INPUT. Both scalars say which specification they follow
(``@specifiedBy``), so that code generators type them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})")


def parse_date_time(value: object) -> dt.datetime:
    if not isinstance(value, str) or not _DATE_TIME.fullmatch(value):
        raise StrawberryInputCoercionError(
            "DateTime is an ISO 8601 date and time with a UTC offset, like 2026-12-10T10:00:00+08:00.")
    try:
        return dt.datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError as error:
        raise StrawberryInputCoercionError("DateTime is not a real moment (the date or time is out of range).") \
            from error


def parse_date(value: object) -> dt.date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise StrawberryInputCoercionError("Date is an ISO 8601 calendar date, like 2026-12-10.")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise StrawberryInputCoercionError("Date is not a real day of the calendar.") from error


DateTime = strawberry.scalar(
    name="DateTime",
    description="A moment: ISO 8601 date and time with a UTC offset (2026-12-10T10:00:00+08:00). "
                "The server stores UTC and answers in UTC.",
    specified_by_url="https://scalars.graphql.org/andimarek/date-time",
    serialize=lambda value: value.isoformat(),
    parse_value=parse_date_time,
)

Date = strawberry.scalar(
    name="Date",
    description="A calendar date, ISO 8601 (2026-12-10), read in Asia/Shanghai where it matters.",
    specified_by_url="https://scalars.graphql.org/andimarek/local-date",
    serialize=lambda value: value.isoformat(),
    parse_value=parse_date,
)

#: For the schema's ``scalar_map``: every datetime and date field and argument uses these.
SCALARS: Mapping[object, ScalarDefinition] = {dt.datetime: DateTime, dt.date: Date}
