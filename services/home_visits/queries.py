"""Reads of home visits: schedules and lists filtered in SQL, tiers decided by services.access,
the record and the coverage figures."""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import RawSQL, Subquery

from services import access, db, paging
from services.access import Principal, VisitTier
from services.clock import year_bounds
from services.enums import HomeVisitStatus
from services.errors import Forbidden
from services.home_visits.models import HomeVisit, HomeVisitCompanion, HomeVisitSlot, HomeVisitTransition
from services.home_visits.service import OPEN, VISIT_FACT_COLUMNS, facts_of_visits, unseal, visit_facts
from services.organisation import home_addresses
from services.organisation.models import District, School


@dataclass(frozen=True)
class VisibleVisit:
    row: HomeVisit
    tier: VisitTier


async def _tiers(viewer: Principal, rows: Sequence[HomeVisit]) -> list[VisibleVisit | None]:
    facts = await facts_of_visits(rows, viewer)
    return [VisibleVisit(row, tier) if (tier := access.visit_tier(viewer, facts[row.id])) else None for row in rows]


@dataclass(frozen=True)
class VisitFilter:
    starts: dt.datetime | None = None
    ends: dt.datetime | None = None
    mine: bool = False
    upcoming: bool = False
    student_id: uuid.UUID | None = None
    school_id: uuid.UUID | None = None
    statuses: tuple[HomeVisitStatus, ...] = ()
    impossible: bool = False


def _filtered(viewer: Principal, wanted: VisitFilter, now: dt.datetime):
    query = HomeVisit.filter(access.visible_home_visits(viewer))
    if wanted.impossible:
        query = query.filter(access.NOTHING)
    if wanted.mine:
        companion_of = Subquery(HomeVisitCompanion.filter(teacher_id=viewer.user_id).values("visit_id"))
        query = query.filter(access.Q(lead_teacher_id=viewer.user_id) | access.Q(id__in=companion_of))
    if wanted.starts:
        query = query.filter(window_end__gt=wanted.starts)
    if wanted.ends:
        query = query.filter(window_start__lt=wanted.ends)
    if wanted.upcoming:
        query = query.filter(status__in=list(OPEN), window_end__gt=now)
    if wanted.student_id:
        query = query.filter(student_id=wanted.student_id)
    if wanted.school_id:
        query = query.filter(school_id=wanted.school_id)
    if wanted.statuses:
        query = query.filter(status__in=list(wanted.statuses))
    return query


#: Visits without a window yet sort last, as PostgreSQL sorts NULLs.
_NO_WINDOW = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
_STARTS = RawSQL("coalesce(window_start, '9999-12-31 00:00:00+00'::timestamptz)")


def position(visit: VisibleVisit) -> paging.Position:
    """A visit's place in the lists of visits (soonest first), as ``visits`` orders them."""
    return (visit.row.window_start or _NO_WINDOW, visit.row.id)


async def visits(viewer: Principal, wanted: VisitFilter, *, first: int, after: paging.Position | None
                 ) -> paging.Page[VisibleVisit]:
    """Visits the viewer may see, in the order they may happen."""
    now = dt.datetime.now(dt.UTC)
    page = await paging.fetch(_filtered(viewer, wanted, now).annotate(starts=_STARTS), order=("starts", "id"),
                              first=first, after=after)
    return page.keep(await _tiers(viewer, page.items))


async def visible_visits_by_id(viewer: Principal, ids: Sequence[uuid.UUID]) -> list[VisibleVisit | None]:
    rows = await HomeVisit.filter(id__in=list(ids)).filter(access.visible_home_visits(viewer))
    found = {v.row.id: v for v in await _tiers(viewer, rows) if v}
    return [found.get(i) for i in ids]


@dataclass(frozen=True)
class Upcoming:
    """Students' open visits still to come, soonest first, and the slots of each visit's current round."""

    by_student: dict[uuid.UUID, list[VisibleVisit]]
    slots: dict[uuid.UUID, list[HomeVisitSlot]]

    def of(self, student_ids: Sequence[uuid.UUID]) -> list[list[VisibleVisit]]:
        return [self.by_student.get(i, []) for i in student_ids]


_UPCOMING_PARTS = (("v", HomeVisit), ("sl", HomeVisitSlot))
#: Whose visits: the students named ($1), or the children of the guardian ($1, the viewer).
_OF_STUDENTS = "v.student_id = ANY($1::uuid[])"
_OF_OWN_CHILDREN = "v.student_id IN (SELECT g.student_id FROM guardianship g WHERE g.guardian_id = $1)"


@functools.cache
def _upcoming_sql(whose: str) -> str:
    # Written out, with the facts that decide the viewer's tier and the current round's slots joined
    # in: the parent's home screen asks for its children's visits on every request. Which visits the
    # viewer sees is decided from those facts by access.visit_tier (the rule visible_home_visits
    # states as a filter); a student has at most one open visit, so little is read for nothing.
    return f"""SELECT {db.joined_columns(_UPCOMING_PARTS)}, {VISIT_FACT_COLUMNS}
                 FROM home_visit v JOIN school s ON s.id = v.school_id
                 LEFT JOIN home_visit_slot sl ON sl.visit_id = v.id AND sl.round = v.round
                WHERE {whose} AND v.status = ANY($3::text[]) AND v.window_end > $4
                ORDER BY v.window_start, v.id, sl.starts_at, sl.id"""


async def upcoming_of_students(viewer: Principal, student_ids: Sequence[uuid.UUID]) -> Upcoming:
    """Each student's open visits still to come, soonest first (a student has at most one open visit),
    with their current slots, in one statement."""
    return await _upcoming(viewer, _OF_STUDENTS, list(student_ids))


async def upcoming_of_own_children(viewer: Principal) -> Upcoming:
    """``upcoming_of_students`` for the viewer's children as their guardian, without their ids: read
    beside the children themselves (the home screen), not after them."""
    return await _upcoming(viewer, _OF_OWN_CHILDREN, viewer.user_id)


async def _upcoming(viewer: Principal, whose: str, students: object) -> Upcoming:
    now = dt.datetime.now(dt.UTC)
    visits: dict[uuid.UUID, VisibleVisit | None] = {}
    slots: dict[uuid.UUID, list[HomeVisitSlot]] = {}
    for made in await db.joined_rows(_UPCOMING_PARTS, _upcoming_sql(whose),
                                     [students, viewer.user_id, [s.value for s in OPEN], now]):
        row: HomeVisit = made["v"]
        if row.id not in visits:
            tier = access.visit_tier(viewer, visit_facts(row, made))
            visits[row.id] = VisibleVisit(row, tier) if tier else None
            slots[row.id] = []
        if "sl" in made:
            slots[row.id].append(made["sl"])
    grouped: dict[uuid.UUID, list[VisibleVisit]] = defaultdict(list)
    for visit in visits.values():
        if visit:
            grouped[visit.row.student_id].append(visit)
    return Upcoming(grouped, slots)


async def last_of_students(viewer: Principal, student_ids: Sequence[uuid.UUID]) -> list[VisibleVisit | None]:
    """Each student's latest visit the viewer may see (a class's coverage at a glance)."""
    rows = await HomeVisit.filter(student_id__in=list(student_ids)).filter(
        access.visible_home_visits(viewer)).order_by("student_id", "-created_at", "-id")
    latest: dict[uuid.UUID, HomeVisit] = {}
    for row in rows:
        latest.setdefault(row.student_id, row)
    tiers = {v.row.id: v for v in await _tiers(viewer, list(latest.values())) if v}
    return [tiers.get(latest[i].id) if i in latest else None for i in student_ids]


async def current_slots(visits: Sequence[HomeVisit]) -> list[list[HomeVisitSlot]]:
    """The candidate slots of each visit's current round."""
    rounds = {v.id: v.round for v in visits}
    rows = await HomeVisitSlot.filter(visit_id__in=list(rounds)).order_by("starts_at", "id")
    grouped: dict[uuid.UUID, list[HomeVisitSlot]] = defaultdict(list)
    for slot in rows:
        if slot.round == rounds[slot.visit_id]:
            grouped[slot.visit_id].append(slot)
    return [grouped.get(v.id, []) for v in visits]


async def transitions_of(visit_ids: Sequence[uuid.UUID]) -> list[list[HomeVisitTransition]]:
    grouped: dict[uuid.UUID, list[HomeVisitTransition]] = defaultdict(list)
    for row in await HomeVisitTransition.filter(visit_id__in=list(visit_ids)).order_by("at", "id"):
        grouped[row.visit_id].append(row)
    return [grouped.get(i, []) for i in visit_ids]


async def companions_of(visit_ids: Sequence[uuid.UUID]) -> list[list[uuid.UUID]]:
    grouped: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for link in await HomeVisitCompanion.filter(visit_id__in=list(visit_ids)).order_by("id").values(
            "visit_id", "teacher_id"):
        grouped[link["visit_id"]].append(link["teacher_id"])
    return [grouped.get(i, []) for i in visit_ids]


async def read_addresses(viewer: Principal, visits: Sequence[VisibleVisit]) -> list[str | None]:
    """Each visit's address for whom services.access lets read it: a place the teacher wrote, or a
    guardian's address on file read live (a change shows, a clear empties it). Each read's audit row
    is written before anything is opened."""
    on_file = await home_addresses.on_file(
        [v.row.address_guardian_id for v in visits if v.row.address_sealed is None and v.row.address_guardian_id])
    readable: list[tuple[VisibleVisit, home_addresses.OnFile | None]] = []
    for visit in visits:
        owner = None if visit.row.address_sealed is not None else visit.row.address_guardian_id
        found = on_file.get(owner) if owner else None
        if visit.row.address_sealed is None and found is None:
            continue  # no place yet, or the home it was at has been cleared
        if access.may_read_visit_address(viewer, visit.tier, status=visit.row.status, on_file_of=owner,
                                         shared=bool(found and found.shared)):
            readable.append((visit, found))
    await home_addresses.audit_visit_reads(viewer, [visit.row.id for visit, _ in readable])
    texts = {visit.row.id: found.open() if found else unseal(visit.row.address_sealed, "address", visit.row.id)
             for visit, found in readable}
    return [texts.get(visit.row.id) for visit in visits]


def record_summary(visit: VisibleVisit) -> str | None:
    if visit.tier is not VisitTier.VISITING:
        return None
    return unseal(visit.row.record_summary_sealed, "record_summary", visit.row.id)


def record_topics(visit: VisibleVisit) -> list[str]:
    if visit.tier is not VisitTier.VISITING:
        return []
    text = unseal(visit.row.record_topics_sealed, "record_topics", visit.row.id)
    return list(json.loads(text)) if text else []


def is_close(visit: VisibleVisit) -> bool:
    """The visiting teachers and the family: who may read what is written about the visit."""
    return visit.tier in (VisitTier.VISITING, VisitTier.FAMILY)


def purpose(visit: VisibleVisit) -> str | None:
    return unseal(visit.row.purpose_sealed, "purpose", visit.row.id) if is_close(visit) else None


def end_reason(visit: VisibleVisit) -> str | None:
    return unseal(visit.row.end_reason_sealed, "end_reason", visit.row.id) if is_close(visit) else None


def feedback_comment(visit: VisibleVisit) -> str | None:
    return unseal(visit.row.feedback_comment_sealed, "feedback_comment", visit.row.id) if is_close(visit) else None


# --------------------------------------------------------------------------
# Coverage: what the programme counts, per year, district and school.


@dataclass(frozen=True)
class Coverage:
    teachers_visiting: int
    families_visited: int
    visits_completed: int
    declined_by_families: int
    cancelled_by_families: int
    cancelled_by_schools: int
    missed: int


_COVERAGE = """
WITH companions AS (
    SELECT visit_id, array_agg(teacher_id) AS teachers FROM home_visit_companion GROUP BY visit_id
), visits AS (
    SELECT s.district_id, v.status, v.ended_by, v.student_id,
           -- who visited: the lead and the companions
           CASE WHEN v.status = 'COMPLETED' THEN coalesce(c.teachers, '{}') || v.lead_teacher_id END AS visitors
      FROM home_visit v JOIN school s ON s.id = v.school_id LEFT JOIN companions c ON c.visit_id = v.id
     -- A visit counts in the year its outcome happened.
     WHERE (CASE WHEN v.status = 'COMPLETED' THEN v.completed_at ELSE v.updated_at END) >= $1
       AND (CASE WHEN v.status = 'COMPLETED' THEN v.completed_at ELSE v.updated_at END) < $2
       AND ($3::uuid IS NULL OR s.district_id = $3) AND ($4::uuid IS NULL OR v.school_id = $4)
), teachers AS (
    SELECT district_id, GROUPING(district_id) AS total, count(DISTINCT teacher_id) AS n
      FROM visits, unnest(visitors) AS teacher_id
     GROUP BY GROUPING SETS ((district_id), ())
), figures AS (
    SELECT district_id, GROUPING(district_id) AS total,
           count(DISTINCT student_id) FILTER (WHERE status = 'COMPLETED') AS families,
           count(*) FILTER (WHERE status = 'COMPLETED') AS completed,
           count(*) FILTER (WHERE status = 'DECLINED') AS declined,
           count(*) FILTER (WHERE status = 'CANCELLED' AND ended_by = 'FAMILY') AS cancelled_by_families,
           count(*) FILTER (WHERE status = 'CANCELLED' AND ended_by = 'SCHOOL') AS cancelled_by_schools,
           count(*) FILTER (WHERE status = 'MISSED') AS missed
      FROM visits
     GROUP BY GROUPING SETS ((district_id), ())
)
SELECT f.*, coalesce(t.n, 0) AS teachers
  FROM figures f LEFT JOIN teachers t ON t.total = f.total AND t.district_id IS NOT DISTINCT FROM f.district_id
"""


@dataclass(frozen=True)
class CoverageByDistrict:
    total: Coverage
    districts: dict[uuid.UUID, Coverage]

    def of(self, district_id: uuid.UUID) -> Coverage:
        return self.districts.get(district_id, _NOTHING_COVERED)


_NOTHING_COVERED = Coverage(0, 0, 0, 0, 0, 0, 0)


async def coverage_for(viewer: Principal, year: int, *, district_id: uuid.UUID | None,
                       school_id: uuid.UUID | None) -> Coverage | None:
    """The figures of the city, a district or a school, for administrators whose scope covers it;
    None for a district or school that does not exist."""
    if school_id is not None:
        school = await School.get_or_none(id=school_id)
        if school is None:
            return None
        district_id = school.district_id
    elif district_id is not None and not await District.filter(id=district_id).exists():
        return None
    if not access.may_see_coverage(viewer, school_id=school_id, district_id=district_id):
        raise Forbidden()
    return (await coverage(year, district_id=district_id, school_id=school_id)).total


async def coverage(year: int, *, district_id: uuid.UUID | None = None, school_id: uuid.UUID | None = None
                   ) -> CoverageByDistrict:
    """Teachers who completed at least one visit (lead or companion), families visited, visits
    completed; declines, cancellations (by side) and missed visits counted apart, so a coverage
    target never hides visits families did not want. In all, and per district."""
    since, until = year_bounds(year)
    total, districts = _NOTHING_COVERED, {}
    for row in await db.report_rows(_COVERAGE, [since, until, district_id, school_id]):
        figures = Coverage(row["teachers"], row["families"], row["completed"], row["declined"],
                           row["cancelled_by_families"], row["cancelled_by_schools"], row["missed"])
        if row["total"]:
            total = figures
        else:
            districts[row["district_id"]] = figures
    return CoverageByDistrict(total, districts)
