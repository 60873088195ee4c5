"""The course catalogue: courses, lessons, offerings at pilot schools, enrolments, progress,
certificates and ratings."""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from services import access, db, paging
from services.access import Principal
from services.clock import PROGRAMME_ZONE, year_bounds
from services.enums import CourseAudience, CourseCategory, LessonKind, Role
from services.errors import Checks, ErrorCode, Forbidden, UserErrors
from services.family_education.consultations import RatingSummary
from services.family_education.models import (
    Course,
    CourseOffering,
    Enrollment,
    Lesson,
    LessonCompletion,
)
from services.family_education.search import index_terms, query_terms
from services.identity.models import User
from services.ids import new_id
from services.organisation.models import School, SchoolClass, Student

MAX_LESSONS = 50
MAX_CREDIT_HOURS = 100
#: Certificates read 家庭教育-year-code; the code is random, so numbers cannot be guessed in sequence.
_CERTIFICATE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class LessonDraft:
    title: str
    kind: LessonKind
    duration_minutes: int
    content_url: str | None


def _url_ok(url: str) -> bool:
    parts = urlparse(url)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


async def create_course(actor: Principal, *, title: str, summary: str, category: CourseCategory, min_grade: int,
                        max_grade: int, lessons: list[LessonDraft],
                        audience: CourseAudience = CourseAudience.PARENT, credit_hours: int | None = None) -> Course:
    checks = Checks()
    if audience is CourseAudience.TEACHER and (credit_hours is None or not 1 <= credit_hours <= MAX_CREDIT_HOURS):
        checks.invalid("creditHours", "out_of_range", min=1, max=MAX_CREDIT_HOURS)
    if audience is CourseAudience.PARENT and credit_hours is not None:
        checks.invalid("creditHours", "credit_hours_for_teachers")
    clean_title = checks.text("title", title, max_length=100)
    clean_summary = checks.text("summary", summary, max_length=2000)
    if not 1 <= min_grade <= 12:
        checks.invalid("minGrade", "out_of_range", min=1, max=12)
    if not 1 <= max_grade <= 12 or max_grade < min_grade:
        checks.invalid("maxGrade", "out_of_range", min=max(1, min_grade), max=12)
    if not 1 <= len(lessons) <= MAX_LESSONS:
        checks.invalid("lessons", "out_of_range", min=1, max=MAX_LESSONS)
    for index, lesson in enumerate(lessons[:MAX_LESSONS]):
        checks.text(f"lessons[{index}].title", lesson.title, max_length=100)
        if not 1 <= lesson.duration_minutes <= 600:
            checks.invalid(f"lessons[{index}].durationMinutes", "out_of_range", min=1, max=600)
        if lesson.content_url is not None and (len(lesson.content_url) > 500 or not _url_ok(lesson.content_url)):
            checks.invalid(f"lessons[{index}].contentUrl", "invalid_url")
    checks.raise_if_any()
    assert clean_title is not None
    assert clean_summary is not None
    async with in_transaction() as tx:
        course = await Course.create(
            title=clean_title, summary=clean_summary, category=category, min_grade=min_grade, max_grade=max_grade,
            audience=audience, credit_hours=credit_hours, search_terms=index_terms(clean_title, clean_summary),
            created_by_id=actor.user_id, using_db=tx)
        await Lesson.bulk_create([
            Lesson(course_id=course.id, position=position, title=lesson.title.strip(), kind=lesson.kind,
                   duration_minutes=lesson.duration_minutes, content_url=lesson.content_url)
            for position, lesson in enumerate(lessons, start=1)], using_db=tx)
    return course


async def offer_at_school(actor: Principal, course_id: uuid.UUID | None, school_id: uuid.UUID | None) -> Course:
    """Only family-education pilot schools offer courses; offering twice changes nothing."""
    course = await Course.get_or_none(id=course_id) if course_id else None
    if course is None:
        raise UserErrors.not_found("courseId")
    school = await School.get_or_none(id=school_id) if school_id else None
    if school is None:
        raise UserErrors.not_found("schoolId")
    access.require(access.may_administer_school(actor, school.id, school.district_id))
    if not school.is_family_education_pilot:
        raise UserErrors.one(ErrorCode.INVALID_STATE, "not_a_pilot_school", "schoolId")
    try:
        async with in_transaction() as savepoint:  # a failed insert must not spoil an enclosing transaction
            await CourseOffering.create(course_id=course.id, school_id=school.id, using_db=savepoint)
    except IntegrityError:
        pass  # already offered there
    return course


# --------------------------------------------------------------------------
# The catalogue.


@dataclass(frozen=True)
class CatalogueFilter:
    audience: CourseAudience = CourseAudience.PARENT
    category: CourseCategory | None = None
    school_id: uuid.UUID | None = None
    for_student_id: uuid.UUID | None = None
    search: str | None = None
    impossible: bool = False


async def catalogue(viewer: Principal, wanted: CatalogueFilter, *, first: int, after: paging.Position | None
                    ) -> paging.Page[Course]:
    query = Course.filter(access.visible_courses(viewer), audience=wanted.audience)
    if wanted.impossible:
        query = query.filter(access.NOTHING)
    if wanted.category:
        query = query.filter(category=wanted.category)
    if wanted.school_id:
        offered = CourseOffering.filter(school_id=wanted.school_id).values("course_id")
        query = query.filter(id__in=Subquery(offered))
    if wanted.for_student_id:
        grade = await _grade_of_visible_student(viewer, wanted.for_student_id)
        query = query.filter(access.NOTHING) if grade is None else query.filter(min_grade__lte=grade,
                                                                                 max_grade__gte=grade)
    if wanted.search and wanted.search.strip():
        terms = query_terms(wanted.search[:50])
        if terms:
            query = query.filter(search_terms__contains=terms)
    return await paging.fetch(query, order=("-created_at", "id"), first=first, after=after)


async def _grade_of_visible_student(viewer: Principal, student_id: uuid.UUID) -> int | None:
    student = await Student.filter(id=student_id).filter(access.visible_students(viewer)).first()
    if student is None:
        return None
    school_class = await SchoolClass.get(id=student.school_class_id)
    return school_class.grade


async def courses_by_id(ids: Sequence[uuid.UUID]) -> list[Course | None]:
    return await db.rows_by_id(Course, ids)


async def lessons_by_id(ids: Sequence[uuid.UUID]) -> list[Lesson | None]:
    return await db.rows_by_id(Lesson, ids)


async def lessons_of(course_ids: Sequence[uuid.UUID]) -> list[list[Lesson]]:
    grouped: dict[uuid.UUID, list[Lesson]] = defaultdict(list)
    for lesson in await Lesson.filter(course_id__in=list(course_ids)).order_by("position"):
        grouped[lesson.course_id].append(lesson)
    return [grouped.get(i, []) for i in course_ids]


@dataclass(frozen=True)
class LessonTotals:
    count: int
    minutes: int


# Per-course sums on the home screen and the catalogue: written out, as the query builder's
# aggregate annotations cost more to compile than the statements take to run. ``_LESSONS_OF`` sums
# the lessons of the course whose id is {course}, beside the course (a lateral join).
_LESSONS_OF = """SELECT count(*) AS lesson_count, coalesce(sum(duration_minutes), 0) AS lesson_minutes
                   FROM lesson WHERE lesson.course_id = {course}"""
_LESSON_TOTALS = f"""SELECT wanted.id AS course_id, t.lesson_count, t.lesson_minutes
                       FROM unnest($1::uuid[]) AS wanted(id)
                       CROSS JOIN LATERAL ({_LESSONS_OF.format(course="wanted.id")}) t"""
_RATINGS = """SELECT course_id, sum(stars) AS total, count(*) AS n
                FROM course_rating WHERE course_id = ANY($1::uuid[]) GROUP BY course_id"""


def _totals(row: dict[str, Any]) -> LessonTotals:
    return LessonTotals(row["lesson_count"], row["lesson_minutes"])


async def lesson_totals(course_ids: Sequence[uuid.UUID]) -> list[LessonTotals]:
    rows = await connections.get("default").execute_query_dict(_LESSON_TOTALS, [list(course_ids)])
    found = {r["course_id"]: _totals(r) for r in rows}
    return [found.get(i, LessonTotals(0, 0)) for i in course_ids]


async def ratings_of(course_ids: Sequence[uuid.UUID]) -> list[RatingSummary]:
    rows = await connections.get("default").execute_query_dict(_RATINGS, [list(course_ids)])
    found = {r["course_id"]: RatingSummary.of(r["total"], r["n"]) for r in rows}
    return [found.get(i, RatingSummary(None, 0)) for i in course_ids]


async def offering_schools(course_ids: Sequence[uuid.UUID]) -> list[list[uuid.UUID]]:
    grouped: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for row in await CourseOffering.filter(course_id__in=list(course_ids)).order_by("created_at").values(
            "course_id", "school_id"):
        grouped[row["course_id"]].append(row["school_id"])
    return [grouped.get(i, []) for i in course_ids]


async def enrollments_of_viewer(viewer: Principal, course_ids: Sequence[uuid.UUID]) -> list[Enrollment | None]:
    found = {e.course_id: e for e in await Enrollment.filter(
        access.own_family_rows(viewer), course_id__in=list(course_ids))}
    return [found.get(i) for i in course_ids]


async def completed_lessons(enrollment_ids: Sequence[uuid.UUID]) -> list[list[uuid.UUID]]:
    grouped: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for row in await LessonCompletion.filter(enrollment_id__in=list(enrollment_ids)).order_by("completed_at").values(
            "enrollment_id", "lesson_id"):
        grouped[row["enrollment_id"]].append(row["lesson_id"])
    return [grouped.get(i, []) for i in enrollment_ids]


@dataclass(frozen=True)
class EnrolledIn:
    """An enrolment with its course and the course's lesson totals, as the home screen shows it."""

    enrollment: Enrollment
    course: Course
    totals: LessonTotals


_ENROLLED_PARTS = (("e", Enrollment), ("c", Course))
_ENROLLED_ORDER = ("-e.enrolled_at", "e.id")


@functools.cache
def _enrolled_sql() -> str:
    # Written out, course and lesson totals joined in: the parent's home screen reads it on every request.
    return f"""SELECT {db.joined_columns(_ENROLLED_PARTS)}, t.lesson_count, t.lesson_minutes
                 FROM enrollment e JOIN course c ON c.id = e.course_id
                 CROSS JOIN LATERAL ({_LESSONS_OF.format(course="c.id")}) t
                WHERE {access.own_family_sql("e", "$1")} AND ($2::text IS NULL OR c.audience = $2) AND {{after}}
                ORDER BY {paging.order_sql(_ENROLLED_ORDER)} LIMIT $3"""


async def my_enrollments(viewer: Principal, *, first: int, after: paging.Position | None,
                         audience: CourseAudience | None = None) -> paging.Page[EnrolledIn]:
    """The viewer's enrolments, latest first, with their courses, in one statement."""
    async def count() -> int:
        query = Enrollment.filter(access.own_family_rows(viewer))
        return await (query.filter(course__audience=audience) if audience is not None else query).count()

    values: list[Any] = [viewer.user_id, audience.value if audience is not None else None, first + 1]
    sql = _enrolled_sql().format(after=paging.after_sql(_ENROLLED_ORDER, after, values))
    rows = [EnrolledIn(made["e"], made["c"], _totals(made)) for made in await db.joined_rows(
        _ENROLLED_PARTS, sql, values)] if first > 0 else []
    return paging.page_of(rows, first=first, key=lambda item: (item.enrollment.enrolled_at, item.enrollment.id),
                          count=count)


async def visible_enrollments_by_id(viewer: Principal, ids: Sequence[uuid.UUID]) -> list[Enrollment | None]:
    return await db.rows_by_id(Enrollment, ids, access.own_family_rows(viewer))


# --------------------------------------------------------------------------
# Enrolment, progress, certificates, ratings.


async def visible_course(viewer: Principal, course_id: uuid.UUID | None) -> Course | None:
    return await Course.filter(access.visible_courses(viewer)).get_or_none(id=course_id) if course_id else None


def may_see(viewer: Principal | None, course: Course) -> bool:
    return access.may_see_course(viewer, course.audience)


def require_taker(actor: Principal, course: Course, field: str) -> None:
    """Only its audience takes a course: a PARENT course is no business of others (FORBIDDEN), a
    TEACHER course is for holders of the TEACHER role (INVALID_STATE for others who see it)."""
    if access.may_take_course(actor, course.audience):
        return
    if course.audience is CourseAudience.PARENT:
        raise Forbidden()
    raise UserErrors.one(ErrorCode.INVALID_STATE, "course_for_teachers", field)


async def enroll(actor: Principal, course_id: uuid.UUID | None) -> Enrollment:
    """Enrolling twice returns the enrolment there is."""
    course = await visible_course(actor, course_id)
    if course is None:
        raise UserErrors.not_found("courseId")
    require_taker(actor, course, "courseId")
    existing = await Enrollment.get_or_none(course_id=course.id, guardian_id=actor.user_id)
    if existing is not None:
        return existing
    try:
        async with in_transaction() as savepoint:  # a failed insert must not spoil an enclosing transaction
            return await Enrollment.create(course_id=course.id, guardian_id=actor.user_id, using_db=savepoint)
    except IntegrityError:  # a double tap: the other request enrolled
        return await Enrollment.get(course_id=course.id, guardian_id=actor.user_id)


#: The shape of a number we issue (checked before the database sees what a stranger typed).
_CERTIFICATE_NUMBER = re.compile(r"JTJY-\d{4}-[0-9A-Z]{8}")


def _certificate_number(year: int) -> str:
    return f"JTJY-{year}-" + "".join(secrets.choice(_CERTIFICATE_ALPHABET) for _ in range(8))


async def complete_lesson(actor: Principal, enrollment_id: uuid.UUID | None, lesson_id: uuid.UUID | None
                          ) -> Enrollment:
    """Mark a lesson done (again: no change); the last one completes the course and issues a certificate."""
    async with in_transaction() as tx:
        enrollment = await Enrollment.select_for_update().using_db(tx).get_or_none(
            id=enrollment_id, guardian_id=actor.user_id) if enrollment_id else None
        if enrollment is None:
            raise UserErrors.not_found("enrollmentId")
        lesson = await Lesson.get_or_none(id=lesson_id, course_id=enrollment.course_id, using_db=tx) \
            if lesson_id else None
        if lesson is None:
            raise UserErrors.not_found("lessonId")
        await tx.execute_query(
            "INSERT INTO lesson_completion (id, enrollment_id, lesson_id, completed_at) VALUES ($1, $2, $3, now()) "
            "ON CONFLICT (enrollment_id, lesson_id) DO NOTHING", [new_id(), enrollment.id, lesson.id])
        done = await LessonCompletion.filter(enrollment_id=enrollment.id).using_db(tx).count()
        total = await Lesson.filter(course_id=enrollment.course_id).using_db(tx).count()
        changes: dict[str, object] = {"completed_lessons": done}
        if done == total and enrollment.completed_at is None:
            now = await db.now(tx)
            changes["completed_at"] = now
            changes["certificate_number"] = await _unique_certificate(now.astimezone(PROGRAMME_ZONE).year, tx)
        await Enrollment.filter(id=enrollment.id).using_db(tx).update(**changes)
        await enrollment.refresh_from_db(using_db=tx)
    return enrollment


async def _unique_certificate(year: int, tx: BaseDBAsyncClient) -> str:
    while True:
        number = _certificate_number(year)
        if not await Enrollment.filter(certificate_number=number).using_db(tx).exists():
            return number


def progress_percent(completed: int, total: int) -> int:
    return 0 if total == 0 else round(100 * completed / total)


async def rate(actor: Principal, course_id: uuid.UUID | None, stars: int, comment: str | None) -> Course:
    """One rating per parent and course (a second replaces the first), only after enrolling."""
    course = await Course.get_or_none(id=course_id) if course_id else None
    if course is None:
        raise UserErrors.not_found("courseId")
    checks = Checks()
    if not 1 <= stars <= 5:
        checks.invalid("stars", "out_of_range", min=1, max=5)
    clean = checks.text("comment", comment, max_length=500, required=False)
    checks.raise_if_any()
    if not await Enrollment.filter(course_id=course.id, guardian_id=actor.user_id).exists():
        raise UserErrors.one(ErrorCode.INVALID_STATE, "rate_needs_enrollment", "courseId")
    await connections.get("default").execute_query(
        "INSERT INTO course_rating (id, course_id, guardian_id, stars, comment, rated_at) "
        "VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (course_id, guardian_id) "
        "DO UPDATE SET stars = excluded.stars, comment = excluded.comment, rated_at = excluded.rated_at",
        [new_id(), course.id, actor.user_id, stars, clean])
    return course


# --------------------------------------------------------------------------
# Teachers' guidance training: hours and courses completed, per teacher and per school.


@dataclass(frozen=True)
class Training:
    courses_completed: int
    credit_hours: int


_OWN_TRAINING = """
SELECT count(*) AS courses, coalesce(sum(c.credit_hours), 0) AS hours
  FROM enrollment e JOIN course c ON c.id = e.course_id
 WHERE e.guardian_id = $1 AND c.audience = 'TEACHER' AND e.completed_at IS NOT NULL
   AND ($2::timestamptz IS NULL OR e.completed_at >= $2) AND ($3::timestamptz IS NULL OR e.completed_at < $3)
"""


async def own_training(viewer: Principal, year: int | None) -> Training:
    """The TEACHER courses the viewer completed in a year (Asia/Shanghai), or in all years."""
    since, until = year_bounds(year) if year is not None else (None, None)
    row = (await connections.get("default").execute_query_dict(_OWN_TRAINING, [viewer.user_id, since, until]))[0]
    return Training(row["courses"], row["hours"])


@dataclass(frozen=True)
class SchoolTraining:
    #: TEACHER-role holders at the school now.
    teachers: int
    #: Of them, those who completed at least one TEACHER course in the year.
    trained_teachers: int
    #: The hours they earned in the year.
    credit_hours: int


_SCHOOL_TRAINING = """
WITH teachers AS (
    SELECT DISTINCT school_id, user_id FROM role_assignment WHERE role = $4 AND school_id = ANY($1::uuid[])
), earned AS (
    SELECT e.guardian_id AS user_id, sum(c.credit_hours) AS hours
      FROM enrollment e JOIN course c ON c.id = e.course_id
     WHERE c.audience = 'TEACHER' AND e.completed_at >= $2 AND e.completed_at < $3
       AND e.guardian_id IN (SELECT user_id FROM teachers)
     GROUP BY e.guardian_id
)
SELECT t.school_id, count(*) AS teachers, count(e.user_id) AS trained, coalesce(sum(e.hours), 0) AS hours
  FROM teachers t LEFT JOIN earned e ON e.user_id = t.user_id
 GROUP BY t.school_id
"""


async def school_training_for(viewer: Principal, schools: Sequence[School], year: int
                              ) -> list[SchoolTraining | None]:
    """The figures of the schools whose administrators (or those above them) the viewer is; None for
    the others. A year out of range is the caller's mistake (INVALID_INPUT) once anything is to be read."""
    shown = [s for s in schools if access.may_see_school_training(viewer, s.id, s.district_id)]
    if not shown:
        return [None] * len(schools)
    found = dict(zip((s.id for s in shown), await school_training([s.id for s in shown], year), strict=True))
    return [found.get(s.id) for s in schools]


async def school_training(school_ids: Sequence[uuid.UUID], year: int) -> list[SchoolTraining]:
    """Each school's teachers and their guidance training in a year, in one statement for them all (a
    teacher at two schools counts at each)."""
    since, until = year_bounds(year)
    rows = await db.report_rows(_SCHOOL_TRAINING, [list(school_ids), since, until, Role.TEACHER.value])
    found = {r["school_id"]: SchoolTraining(r["teachers"], r["trained"], r["hours"]) for r in rows}
    return [found.get(i, SchoolTraining(0, 0, 0)) for i in school_ids]


@dataclass(frozen=True)
class Certificate:
    number: str
    course_title: str
    completed_on: dt.date
    holder: str


def mask_name(name: str) -> str:
    """张丽华 → 张**: enough to recognise one's own certificate, not to find someone."""
    return name[:1] + "*" * max(1, len(name) - 1)


async def verify_certificate(number: str) -> Certificate | None:
    """The public check of a certificate number."""
    clean = (number or "").strip().upper()
    if not _CERTIFICATE_NUMBER.fullmatch(clean):
        return None  # not a number we issue (and nothing worth sending to the database)
    enrollment = await Enrollment.get_or_none(certificate_number=clean)
    if enrollment is None or enrollment.completed_at is None:
        return None
    course = await Course.get(id=enrollment.course_id)
    holder = await User.get(id=enrollment.guardian_id)
    return Certificate(clean, course.title, enrollment.completed_at.astimezone(PROGRAMME_ZONE).date(),
                       mask_name(holder.display_name))
