"""The programme's progress against its targets, for the city or one district, for a calendar year.

"One centre, ten district centres, a hundred instructors, a thousand teachers, ten thousand
homes", 70 pilot schools: the city's targets; a district's are its even share of them.

Alert figures are about children: a count from 1 to 4 is suppressed (null), and so is a median of
fewer than five acknowledgements, so that no child can be singled out from a district's figures.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import math
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from services import access, db
from services.access import Principal
from services.clock import PROGRAMME_ZONE, year_bounds
from services.column.queries import YEAR_REACH
from services.enums import AlertSeverity
from services.errors import Forbidden
from services.home_visits.queries import CoverageByDistrict, coverage
from services.notices.queries import NOTICE_FIGURES
from services.organisation.models import District

#: Targets of the city; a district's target is its share, rounded up.
CITY_TARGETS = {"pilot_schools": 70, "certified_instructors": 100, "service_stations": 150,
                "teachers_visiting": 1000, "families_visited": 10000}
#: Below this, a count of alerts could point at a child: it is not shown.
SMALLEST_SHOWN = 5


def suppress(count: int) -> int | None:
    """Counts from 1 to 4 are withheld; none and five or more are shown."""
    return None if 0 < count < SMALLEST_SHOWN else count


@dataclass(frozen=True)
class Figure:
    actual: int
    target: int


@dataclass(frozen=True)
class AlertHandling:
    raised: int | None
    acknowledged: int | None
    acknowledged_in_time: int | None
    median_minutes_to_acknowledge: float | None


@dataclass(frozen=True)
class NoticeFigures:
    sent: int
    #: confirmed receipts over receipts of notices asking for confirmation; None when there are none
    #: (or too few to show without pointing at a family)
    confirmation_rate: float | None


@dataclass(frozen=True)
class ColumnFigures:
    views: int | None
    completions: int | None


_STOCKS = """
SELECT (SELECT count(*) FROM school WHERE is_family_education_pilot AND ($1::uuid IS NULL OR district_id = $1))
           AS pilot_schools,
       (SELECT count(*) FROM service_station WHERE created_at < $3 AND ($1::uuid IS NULL OR district_id = $1))
           AS service_stations,
       -- certified and current on the year's last day (or today, for the year under way), not suspended
       (SELECT count(*) FROM instructor WHERE certified_on <= $2 AND expires_on >= $2 AND suspended_at IS NULL
           AND ($1::uuid IS NULL OR district_id = $1)) AS certified_instructors
"""

# A parent counts in a district through a child at one of its schools (guardian_district: migration 0009).
# The family courses only: teachers' guidance training is counted as trained teachers.
_COURSES = """
SELECT count(*) FILTER (WHERE enrolled_at >= $2 AND enrolled_at < $3) AS enrollments,
       count(*) FILTER (WHERE completed_at >= $2 AND completed_at < $3) AS completions
  FROM enrollment e
 WHERE e.course_id IN (SELECT id FROM course WHERE audience = 'PARENT')
   AND ($1::uuid IS NULL OR e.guardian_id IN (SELECT guardian_id FROM guardian_district WHERE district_id = $1))
"""

# A trained teacher of the year: a TEACHER-role holder at a school who completed a TEACHER course in it;
# counted once in each district they teach in, and once in the city.
_TRAINED_TEACHERS = """
WITH trained AS (
    SELECT DISTINCT e.guardian_id AS user_id
      FROM enrollment e
     WHERE e.completed_at >= $2 AND e.completed_at < $3
       AND e.course_id IN (SELECT id FROM course WHERE audience = 'TEACHER')
)
SELECT s.district_id, GROUPING(s.district_id) AS total, count(DISTINCT t.user_id) AS n
  FROM trained t JOIN role_assignment r ON r.user_id = t.user_id AND r.role = 'TEACHER'
  JOIN school s ON s.id = r.school_id
 WHERE $1::uuid IS NULL OR s.district_id = $1
 GROUP BY GROUPING SETS ((s.district_id), ())
"""

# Alerts count in the district of the child's school; "in time" is before the first level's deadline.
# The district is looked up per alert (a few thousand a year, by primary key): joined, the planner
# hashes every student of the city to find them.
_ALERTS = """
WITH raised AS (
    SELECT a.raised_at, a.acknowledged_at, a.acknowledge_within_minutes,
           (SELECT s.district_id FROM student st JOIN school s ON s.id = st.school_id
             WHERE st.id = a.student_id) AS district_id
      FROM wellbeing_alert a
     WHERE a.raised_at >= $2 AND a.raised_at < $3
)
SELECT district_id, GROUPING(district_id) AS total,
       count(*) AS raised,
       count(acknowledged_at) AS acknowledged,
       count(*) FILTER (WHERE acknowledged_at <= raised_at + make_interval(mins => acknowledge_within_minutes))
           AS in_time,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - raised_at) / 60)
           FILTER (WHERE acknowledged_at IS NOT NULL) AS median_minutes
  FROM raised
 WHERE $1::uuid IS NULL OR district_id = $1
 GROUP BY GROUPING SETS ((district_id), ())
"""

_OPEN_ALERTS = """
SELECT a.severity, count(*) AS n
  FROM wellbeing_alert a JOIN student st ON st.id = a.student_id JOIN school s ON s.id = st.school_id
 WHERE a.status <> 'RESOLVED' AND ($1::uuid IS NULL OR s.district_id = $1)
 GROUP BY a.severity
"""

def _last_day(year: int) -> dt.date:
    """The day stocks are counted on: the year's last, or today while the year is under way."""
    return min(dt.date(year, 12, 31), dt.datetime.now(PROGRAMME_ZONE).date())


async def dashboard_for(viewer: Principal, year: int, district_id: uuid.UUID | None) -> Dashboard | None:
    """The figures; None for a district that does not exist. City administrators see the city and
    every district, district administrators their own."""
    districts = await District.all().order_by("position")
    if district_id is not None and district_id not in {d.id for d in districts}:
        return None
    if not access.may_see_programme_figures(viewer, district_id):
        raise Forbidden()
    return Dashboard(year, district_id, districts)


T = TypeVar("T")


def _once(read: Callable[[Dashboard], Coroutine[Any, Any, T]]) -> Callable[[Dashboard], asyncio.Future[T]]:
    """An aggregate read at most once per dashboard however many figures need it, and only when one
    does. A task, so that figures resolved side by side share one read while the others run at once,
    each on a connection of its own."""
    name = read.__name__

    @functools.wraps(read)
    def shared(self: Dashboard) -> asyncio.Future[T]:
        if name not in self._reads:
            self._reads[name] = asyncio.ensure_future(read(self))
        return self._reads[name]

    return shared


class Dashboard:
    """The figures of the city or one district for a year, each group of them read from PostgreSQL
    when first awaited: every group is an aggregate over a year of a large table, and a screen that
    shows two figures should not wait for (nor the database work on) the other ten."""

    def __init__(self, year: int, district_id: uuid.UUID | None, districts: list[District]) -> None:
        self._district_id = district_id
        self._since, self._until = year_bounds(year)
        self._last_day = _last_day(year)
        self._year = year
        self._share = 1 if district_id is None else len(districts)
        self._reads: dict[str, asyncio.Future[Any]] = {}
        self._districts = [d for d in districts if district_id in (None, d.id)]

    @property
    def by_district(self) -> list[DistrictFigures]:
        """Each district's figures: the one asked for, or all of them. Made when asked, not kept: the
        figures refer to the dashboard, and a dashboard holding them would be a reference cycle."""
        return [DistrictFigures(district, self) for district in self._districts]

    async def pilot_schools(self) -> Figure:
        return self._figure((await self._stocks())["pilot_schools"], "pilot_schools")

    async def certified_instructors(self) -> Figure:
        return self._figure((await self._stocks())["certified_instructors"], "certified_instructors")

    async def service_stations(self) -> Figure:
        return self._figure((await self._stocks())["service_stations"], "service_stations")

    async def teachers_visiting(self) -> Figure:
        return self._figure((await self._coverage()).total.teachers_visiting, "teachers_visiting")

    async def families_visited(self) -> Figure:
        return self._figure((await self._coverage()).total.families_visited, "families_visited")

    async def home_visits_completed(self) -> int:
        return (await self._coverage()).total.visits_completed

    async def course_enrollments(self) -> int:
        return (await self._courses())["enrollments"]

    async def course_completions(self) -> int:
        return (await self._courses())["completions"]

    async def trained_teachers(self) -> int:
        return (await self._trained_teachers()).get(None, 0)

    @_once
    async def notices(self) -> NoticeFigures:
        row = (await self._rows(NOTICE_FIGURES))[0]
        asked, confirmed = row["asked"], row["confirmed"]
        return NoticeFigures(row["sent"], round(confirmed / asked, 4) if asked >= SMALLEST_SHOWN else None)

    @_once
    async def column(self) -> ColumnFigures:
        row = (await self._rows(YEAR_REACH))[0]
        return ColumnFigures(suppress(row["views"]), suppress(row["completions"]))

    async def alert_handling(self) -> AlertHandling:
        row = (await self._alerts()).get(None) or {"raised": 0, "acknowledged": 0, "in_time": 0,
                                                    "median_minutes": None}
        median = row["median_minutes"]
        return AlertHandling(
            raised=suppress(row["raised"]), acknowledged=suppress(row["acknowledged"]),
            acknowledged_in_time=suppress(row["in_time"]),
            median_minutes_to_acknowledge=round(float(median), 1) if median is not None
            and row["acknowledged"] >= SMALLEST_SHOWN else None)

    @_once
    async def open_alerts(self) -> list[tuple[AlertSeverity, int | None]]:
        """Alerts open now (not resolved), whenever raised, by severity."""
        counts = {r["severity"]: r["n"] for r in await db.report_rows(_OPEN_ALERTS, [self._district_id])}
        return [(severity, suppress(counts.get(severity.value, 0))) for severity in AlertSeverity]

    def _figure(self, actual: int, target: str) -> Figure:
        return Figure(actual, math.ceil(CITY_TARGETS[target] / self._share))

    async def _rows(self, sql: str) -> list[dict[str, Any]]:
        return await db.report_rows(sql, [self._district_id, self._since, self._until])

    @_once
    async def _stocks(self) -> dict[str, Any]:
        return (await db.report_rows(_STOCKS, [self._district_id, self._last_day, self._until]))[0]

    @_once
    async def _coverage(self) -> CoverageByDistrict:
        return await coverage(self._year, district_id=self._district_id)

    @_once
    async def _courses(self) -> dict[str, Any]:
        return (await self._rows(_COURSES))[0]

    @_once
    async def _trained_teachers(self) -> dict[uuid.UUID | None, int]:
        """By district, and the city's (or the district's) total under None."""
        return {r["district_id"] if r["total"] == 0 else None: r["n"] for r in await self._rows(_TRAINED_TEACHERS)}

    @_once
    async def _alerts(self) -> dict[uuid.UUID | None, dict[str, Any]]:
        """By district, and the total under None."""
        return {r["district_id"] if r["total"] == 0 else None: r for r in await self._rows(_ALERTS)}


@dataclass(frozen=True)
class DistrictFigures:
    """One district's figures, read with the dashboard's (one statement for every district)."""

    district: District
    of: Dashboard

    async def families_visited(self) -> int:
        return (await self.of._coverage()).of(self.district.id).families_visited

    async def teachers_visiting(self) -> int:
        return (await self.of._coverage()).of(self.district.id).teachers_visiting

    async def alerts_raised(self) -> int | None:
        row = (await self.of._alerts()).get(self.district.id)
        return suppress(row["raised"] if row else 0)

    async def trained_teachers(self) -> int:
        return (await self.of._trained_teachers()).get(self.district.id, 0)
