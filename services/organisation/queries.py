"""Reads of the organisation, batched by key for the API's per-request loaders.

Functions named ``visible_*`` apply the viewer's visibility in SQL; the
others fetch rows reached from an object the viewer already sees.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count

from services import access, db, paging
from services.access import Principal, RoleGrant
from services.enums import Role, SchoolStage
from services.identity.models import User, UserName
from services.organisation.models import (
    ON_ROLL,
    ClassTeacher,
    District,
    Guardianship,
    RoleAssignment,
    School,
    SchoolClass,
    ServiceStation,
    Student,
    StudentTransfer,
    on_roll,
)


async def districts() -> list[District]:
    return await District.all().order_by("position")


async def districts_by_id(ids: Sequence[uuid.UUID]) -> list[District | None]:
    return await db.rows_by_id(District, ids)


async def schools_by_id(ids: Sequence[uuid.UUID]) -> list[School | None]:
    return await db.rows_by_id(School, ids)


async def stations_by_id(ids: Sequence[uuid.UUID]) -> list[ServiceStation | None]:
    return await db.rows_by_id(ServiceStation, ids)


async def classes_by_id(ids: Sequence[uuid.UUID]) -> list[SchoolClass | None]:
    return await db.rows_by_id(SchoolClass, ids)


async def users_by_id(ids: Sequence[uuid.UUID]) -> list[User | None]:
    return await db.rows_by_id(User, ids)


async def students_by_id(ids: Sequence[uuid.UUID]) -> list[Student | None]:
    return await db.rows_by_id(Student, ids)


async def visible_students_by_id(viewer: Principal, ids: Sequence[uuid.UUID]) -> list[Student | None]:
    return await db.rows_by_id(Student, ids, access.visible_students(viewer))


async def visible_classes_by_id(viewer: Principal, ids: Sequence[uuid.UUID]) -> list[SchoolClass | None]:
    """The classes the viewer may see, each with its school and the school's district fetched in the
    same statement (``row.school``, ``row.school.district``): a class is seldom shown without them."""
    rows = await SchoolClass.filter(access.visible_classes(viewer), id__in=list(ids)).select_related(
        "school__district")
    found = {row.id: row for row in rows}
    return [found.get(i) for i in ids]


async def visible_users_by_id(viewer: Principal, ids: Sequence[uuid.UUID]) -> list[User | None]:
    return await db.rows_by_id(User, ids, access.visible_users(viewer))


@dataclass(frozen=True)
class SchoolFilter:
    district_id: uuid.UUID | None = None
    pilot_only: bool = False
    search: str | None = None
    stage: SchoolStage | None = None
    #: The filter named a district that does not exist: nothing matches.
    impossible: bool = False


async def schools(filter: SchoolFilter, *, first: int, after: paging.Position | None) -> paging.Page[School]:
    """The school directory (public within the programme), filtered, by name."""
    query = School.all()
    if filter.impossible:
        query = query.filter(access.NOTHING)
    if filter.district_id:
        query = query.filter(district_id=filter.district_id)
    if filter.pilot_only:
        query = query.filter(is_family_education_pilot=True)
    if filter.stage:
        query = query.filter(stage=filter.stage)
    if filter.search and filter.search.strip():
        query = query.filter(name__icontains=filter.search.strip()[:50])
    return await paging.fetch(query, order=("name", "id"), first=first, after=after)


async def student_counts(school_ids: Sequence[uuid.UUID]) -> list[int]:
    rows = await Student.filter(ON_ROLL, school_id__in=list(school_ids)).group_by("school_id").annotate(
        n=Count("id")
    ).values("school_id", "n")
    counts = {r["school_id"]: r["n"] for r in rows}
    return [counts.get(i, 0) for i in school_ids]


async def visible_student_counts(viewer: Principal, school_ids: Sequence[uuid.UUID]) -> list[int | None]:
    """Students enrolled per school, for those whose figures the viewer may see (None elsewhere)."""
    districts = dict(await School.filter(id__in=list(school_ids)).values_list("id", "district_id"))
    allowed = [i for i in school_ids if i in districts and access.may_see_school_figures(viewer, i, districts[i])]
    counts = dict(zip(allowed, await student_counts(allowed), strict=True)) if allowed else {}
    return [counts.get(i) for i in school_ids]


async def visible_grants_of_users(viewer: Principal, user_ids: Sequence[uuid.UUID]) -> list[list[RoleGrant]]:
    """Each user's roles as the viewer may see them (their own all; administrators those in scope)."""
    grants = await grants_of_users(user_ids)
    return [[g for g in mine if access.visible_grant(viewer, user_id, g)] for user_id, mine in zip(user_ids, grants,
                                                                                                    strict=True)]


async def teachers_of_classes(class_ids: Sequence[uuid.UUID]) -> list[list[User]]:
    rows = await ClassTeacher.filter(school_class_id__in=list(class_ids)).select_related("teacher").order_by(
        "created_at", "id"
    )
    grouped: dict[uuid.UUID, list[User]] = defaultdict(list)
    for row in rows:
        grouped[row.school_class_id].append(row.teacher)
    return [grouped.get(i, []) for i in class_ids]


async def guardianships_of_students(student_ids: Sequence[uuid.UUID]) -> list[list[Guardianship]]:
    rows = await Guardianship.filter(student_id__in=list(student_ids)).select_related("guardian").order_by(
        "-is_primary", "created_at", "id"
    )
    grouped: dict[uuid.UUID, list[Guardianship]] = defaultdict(list)
    for row in rows:
        grouped[row.student_id].append(row)
    return [grouped.get(i, []) for i in student_ids]


async def grants_of_users(user_ids: Sequence[uuid.UUID]) -> list[list[RoleGrant]]:
    rows = await RoleAssignment.filter(user_id__in=list(user_ids)).select_related("school", "station").order_by(
        "created_at", "id"
    )
    grouped: dict[uuid.UUID, list[RoleGrant]] = defaultdict(list)
    for r in rows:
        in_district = (
            r.school.district_id if r.school else r.station.district_id if r.station else r.district_id
        )
        grouped[r.user_id].append(RoleGrant(
            Role(r.role), r.school_id, r.district_id, r.station_id, in_district,
        ))
    return [grouped.get(i, []) for i in user_ids]


async def visible_students_of_classes(viewer: Principal, class_ids: Sequence[uuid.UUID]) -> list[list[Student]]:
    """Each class's students the viewer may see, by name. Classes are small (tens of students),
    so all of them come in one statement and the API pages them."""
    rows = await Student.filter(ON_ROLL, school_class_id__in=list(class_ids)).filter(
        access.visible_students(viewer)
    ).order_by("display_name", "id")
    grouped: dict[uuid.UUID, list[Student]] = defaultdict(list)
    for row in rows:
        grouped[row.school_class_id].append(row)
    return [grouped.get(i, []) for i in class_ids]


async def classes_taught_by(viewer: Principal) -> list[SchoolClass]:
    """The viewer's homeroom and taught classes, in schools where they still teach."""
    if not viewer.teacher_schools:
        return []
    taught = Subquery(ClassTeacher.filter(teacher_id=viewer.user_id).values("school_class_id"))
    return await SchoolClass.filter(
        Q(homeroom_teacher_id=viewer.user_id) | Q(id__in=taught), school_id__in=list(viewer.teacher_schools)
    ).order_by("grade", "name", "id")


@dataclass(frozen=True)
class Child:
    """A guardian's child with what the home screen shows around them."""

    student: Student
    school_class: SchoolClass
    school: School
    district: District
    homeroom_teacher: UserName | None


#: The homeroom teacher as the screen shows them, by name (services.identity.models.UserName).
_CHILD_PARTS = (("st", Student), ("c", SchoolClass), ("s", School), ("d", District), ("h", UserName))


@functools.cache
def _children_sql() -> str:
    return f"""SELECT {db.joined_columns(_CHILD_PARTS)}
                 FROM guardianship g JOIN student st ON st.id = g.student_id
                 JOIN school_class c ON c.id = st.school_class_id JOIN school s ON s.id = st.school_id
                 JOIN district d ON d.id = s.district_id LEFT JOIN app_user h ON h.id = c.homeroom_teacher_id
                WHERE g.guardian_id = $1 AND {on_roll("st")} ORDER BY st.birth_date, st.id"""


async def children_of(viewer: Principal) -> list[Child]:
    """The guardian's children, with their class, homeroom teacher, school and district, in one
    statement (the home screen shows them all)."""
    return [Child(made["st"], made["c"], made["s"], made["d"], made.get("h"))
            for made in await db.joined_rows(_CHILD_PARTS, _children_sql(), [viewer.user_id])]


_SCHOOL_PARTS = (("s", School), ("d", District))


@functools.cache
def _schools_with_districts_sql() -> str:
    return f"""SELECT {db.joined_columns(_SCHOOL_PARTS)}
                 FROM school s JOIN district d ON d.id = s.district_id WHERE s.id = ANY($1::uuid[])"""


async def schools_with_districts(ids: Sequence[uuid.UUID]) -> list[tuple[School, District]]:
    """Schools with their districts, in one statement (in no particular order)."""
    return [(made["s"], made["d"]) for made in await db.joined_rows(_SCHOOL_PARTS, _schools_with_districts_sql(),
                                                                    [list(ids)])]


async def transfers_of_students(student_ids: Sequence[uuid.UUID]) -> list[list[StudentTransfer]]:
    rows = await StudentTransfer.filter(student_id__in=list(student_ids)).order_by("at", "id")
    grouped: dict[uuid.UUID, list[StudentTransfer]] = defaultdict(list)
    for row in rows:
        grouped[row.student_id].append(row)
    return [grouped.get(i, []) for i in student_ids]
