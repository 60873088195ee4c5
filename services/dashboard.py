"""The programme's progress against its targets, for the city or one district, for a calendar year.

"One centre, ten district centres, a hundred instructors, a thousand teachers, ten thousand
homes", 70 pilot schools: the city's targets; a district's are its even share of them.

Alert figures are about children: a count from 1 to 4 is suppressed (null), and so is a median of
fewer than five acknowledgements, so that no child can be singled out from a district's figures.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import uuid
from dataclasses import dataclass

from services import access, db
from services.access import Principal
from services.clock import PROGRAMME_ZONE, year_bounds
from services.column.queries import YEAR_REACH
from services.enums import AlertSeverity
from services.errors import Forbidden
from services.home_visits.queries import coverage
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
class AlertFigures:
    raised: int | None
    acknowledged: int | None
    acknowledged_in_time: int | None
    median_minutes_to_acknowledge: float | None
    open_by_severity: list[tuple[AlertSeverity, int | None]]


@dataclass(frozen=True)
class DistrictFigures:
    district: District
    families_visited: int
    teachers_visiting: int
    alerts_raised: int | None
    trained_teachers: int


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


@dataclass(frozen=True)
class Dashboard:
    pilot_schools: Figure
    certified_instructors: Figure
    service_stations: Figure
    teachers_visiting: Figure
    families_visited: Figure
    home_visits_completed: int
    course_enrollments: int
    course_completions: int
    trained_teachers: int
    notices: NoticeFigures
    column: ColumnFigures
    alerts: AlertFigures
    by_district: list[DistrictFigures]


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
    return await dashboard(year, district_id, districts)


async def dashboard(year: int, district_id: uuid.UUID | None, districts: list[District]) -> Dashboard:
    since, until = year_bounds(year)
    # Independent aggregates: at once, each on a connection of its own.
    stock_rows, course_rows, trained_rows, notice_rows, column_rows, alert_rows, open_alerts, visits = \
        await asyncio.gather(
            db.report_rows(_STOCKS, [district_id, _last_day(year), until]),
            db.report_rows(_COURSES, [district_id, since, until]),
            db.report_rows(_TRAINED_TEACHERS, [district_id, since, until]),
            db.report_rows(NOTICE_FIGURES, [district_id, since, until]),
            db.report_rows(YEAR_REACH, [district_id, since, until]),
            db.report_rows(_ALERTS, [district_id, since, until]),
            db.report_rows(_OPEN_ALERTS, [district_id]),
            coverage(year, district_id=district_id))
    stocks, courses = stock_rows[0], course_rows[0]
    open_rows = {r["severity"]: r["n"] for r in open_alerts}

    total = next((r for r in alert_rows if r["total"] == 1), None)
    raised_by_district = {r["district_id"]: r["raised"] for r in alert_rows if r["total"] == 0}
    trained = {r["district_id"] if r["total"] == 0 else None: r["n"] for r in trained_rows}
    share = 1 if district_id is None else len(districts)
    shown = [d for d in districts if district_id is None or d.id == district_id]
    return Dashboard(
        pilot_schools=_figure(stocks["pilot_schools"], "pilot_schools", share),
        certified_instructors=_figure(stocks["certified_instructors"], "certified_instructors", share),
        service_stations=_figure(stocks["service_stations"], "service_stations", share),
        teachers_visiting=_figure(visits.total.teachers_visiting, "teachers_visiting", share),
        families_visited=_figure(visits.total.families_visited, "families_visited", share),
        home_visits_completed=visits.total.visits_completed,
        course_enrollments=courses["enrollments"],
        course_completions=courses["completions"],
        trained_teachers=trained.get(None, 0),
        notices=_notice_figures(notice_rows[0]),
        column=ColumnFigures(suppress(column_rows[0]["views"]), suppress(column_rows[0]["completions"])),
        alerts=_alert_figures(total, open_rows),
        by_district=[DistrictFigures(d, visits.of(d.id).families_visited, visits.of(d.id).teachers_visiting,
                                     suppress(raised_by_district.get(d.id, 0)), trained.get(d.id, 0))
                     for d in shown],
    )


def _notice_figures(row: dict) -> NoticeFigures:
    asked, confirmed = row["asked"], row["confirmed"]
    rate = round(confirmed / asked, 4) if asked >= SMALLEST_SHOWN else None
    return NoticeFigures(row["sent"], rate)


def _figure(actual: int, target: str, share: int) -> Figure:
    return Figure(actual, math.ceil(CITY_TARGETS[target] / share))


def _alert_figures(total: dict | None, open_rows: dict[str, int]) -> AlertFigures:
    row = total or {"raised": 0, "acknowledged": 0, "in_time": 0, "median_minutes": None}
    median = row["median_minutes"]
    return AlertFigures(
        raised=suppress(row["raised"]), acknowledged=suppress(row["acknowledged"]),
        acknowledged_in_time=suppress(row["in_time"]),
        median_minutes_to_acknowledge=round(float(median), 1) if median is not None
        and row["acknowledged"] >= SMALLEST_SHOWN else None,
        open_by_severity=[(severity, suppress(open_rows.get(severity.value, 0))) for severity in AlertSeverity],
    )
