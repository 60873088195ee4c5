"""The parent's home screen: one request, and the same number of SQL statements however many
children, visits, enrolments and seats the parent has."""

from __future__ import annotations

import datetime as dt

import pytest
from tortoise.exceptions import OperationalError

from services import db
from services.enums import CourseCategory, LessonKind
from services.family_education import courses, sessions
from services.family_education.models import Course, CourseSession, Enrollment, Lesson, SessionRegistration
from services.home_visits import queries as home_visits
from services.identity import principals
from services.organisation import queries
from services.organisation.models import SchoolClass
from tests.helpers import contract_operation, make_person, make_student, statement_count
from tests.home_visits.helpers import propose, slot

PARENT_HOME = contract_operation("screens.graphql", "ParentHome")


async def _give(api, world, parent: str, student: str, *, day: int) -> None:
    """A child's visit proposed, an enrolment with two lessons, a seat at a session at the station."""
    await propose(api, world, student=student, slots=[slot(day, 10), slot(day, 15)])
    await _enrol_and_seat(world, parent, day=day)


async def _enrol_and_seat(world, parent: str, *, day: int) -> None:
    """An enrolment in a course of two lessons, and a seat at its session at the station."""
    course = await Course.create(title=f"课程{day}", summary="x", category=CourseCategory.PARENTING, min_grade=1,
                                 max_grade=9)
    for position in (1, 2):
        await Lesson.create(course_id=course.id, position=position, title="课", kind=LessonKind.VIDEO,
                            duration_minutes=20)
    await Enrollment.create(course_id=course.id, guardian_id=world[parent].user.id)
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=day)
    session = await CourseSession.create(course_id=course.id, starts_at=starts, ends_at=starts + dt.timedelta(hours=2),
                                         station_id=world.station_a.id, capacity=10, registered=1,
                                         check_in_code="123456")
    await SessionRegistration.create(session_id=session.id, guardian_id=world[parent].user.id)


async def test_the_home_screen_costs_the_same_statements_for_one_child_and_for_five(api, world):
    parent = world["parent_a"]
    await _give(api, world, "parent_a", "a", day=2)
    one = await statement_count(api, PARENT_HOME, {}, parent.token)
    home = (await api.data(PARENT_HOME, token=parent.token))["viewer"]
    assert len(home["children"]) == 1 and len(home["children"][0]["homeVisits"]["nodes"]) == 1
    assert len(home["enrollments"]["nodes"]) == 1 and len(home["courseSessionRegistrations"]["nodes"]) == 1

    # four more children in other classes and schools, each with a visit, and more courses and seats
    for index in range(4):
        school_class = await SchoolClass.create(school_id=world.school_a.id, grade=2 + index, name=f"{index}班",
                                                homeroom_teacher_id=world["teacher_a"].user.id)
        world.students[f"c{index}"] = await make_student(f"孩子{index}", school_class, parent)
        await _give(api, world, "parent_a", f"c{index}", day=3 + index)
    world.people["stranger"] = await make_person("陌生家长", ("PARENT", {}))
    five = await statement_count(api, PARENT_HOME, {}, parent.token)
    home = (await api.data(PARENT_HOME, token=parent.token))["viewer"]
    assert len(home["children"]) == 5 and all(len(c["homeVisits"]["nodes"]) == 1 for c in home["children"])
    assert len(home["enrollments"]["nodes"]) == 5 and len(home["courseSessionRegistrations"]["nodes"]) == 5
    assert one == five, (one, five)


#: What ParentHome costs in steady use: one statement, the reads of its fields sent together
#: (db.read): the unread count; the children (with their classes, schools, districts and homeroom
#: teachers) and, beside them, their upcoming visits (with the facts of the viewer's tier and the
#: slots); the enrolments (with courses and lesson totals); the seats (with sessions, courses and
#: venues).
PARENT_HOME_STATEMENTS = 1


async def test_the_home_screen_reads_in_one_statement(api, world):
    parent = world["parent_a"]
    await _give(api, world, "parent_a", "a", day=2)
    await _enrol_and_seat(world, "parent_a", day=3)
    assert await statement_count(api, PARENT_HOME, {}, parent.token) == PARENT_HOME_STATEMENTS


PAGES = """query Pages($first: Int!, $enrolled: String, $seated: String) { viewer {
  enrollments(first: $first, after: $enrolled) { totalCount pageInfo { hasNextPage endCursor }
    nodes { id course { title lessonCount } } }
  courseSessionRegistrations(first: $first, after: $seated, filter: { upcoming: true }) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id session { startsAt course { title } } } } } }"""


async def test_enrolments_and_seats_page_in_the_order_of_the_whole_list(api, world):
    parent = world["parent_a"]
    for day in range(2, 7):
        await _enrol_and_seat(world, "parent_a", day=day)
    whole = (await api.data(PAGES, {"first": 10}, token=parent.token))["viewer"]
    assert [n["course"]["title"] for n in whole["enrollments"]["nodes"]] == [f"课程{d}" for d in range(6, 1, -1)]
    assert [n["session"]["course"]["title"] for n in whole["courseSessionRegistrations"]["nodes"]] == [
        f"课程{d}" for d in range(2, 7)]
    assert all(n["course"]["lessonCount"] == 2 for n in whole["enrollments"]["nodes"])
    seen: dict[str, list[str]] = {"enrollments": [], "courseSessionRegistrations": []}
    cursors: dict[str, str | None] = {"enrolled": None, "seated": None}
    for _ in range(3):
        page = (await api.data(PAGES, {"first": 2, **cursors}, token=parent.token))["viewer"]
        for field, cursor in (("enrollments", "enrolled"), ("courseSessionRegistrations", "seated")):
            assert page[field]["totalCount"] == 5
            seen[field] += [n["id"] for n in page[field]["nodes"]]
            cursors[cursor] = page[field]["pageInfo"]["endCursor"]
        assert page["enrollments"]["pageInfo"]["hasNextPage"] == (len(seen["enrollments"]) < 5)
    assert seen == {field: [n["id"] for n in whole[field]["nodes"]] for field in seen}


async def test_the_rows_read_with_the_screen_are_the_instances_tortoise_makes(api, world):
    """db.joined_rows builds model instances itself (for speed): each must hold what the query builder's
    instance of the same row holds, converted values (enums, timestamps, JSON) and bookkeeping alike."""
    await _give(api, world, "parent_a", "a", day=2)
    viewer = await principals.of_user(world["parent_a"].user.id)
    assert viewer is not None
    children = await queries.children_of(viewer)
    ids = [child.student.id for child in children]
    upcoming = await home_visits.upcoming_of_students(viewer, ids)
    assert upcoming.of(ids) and (await home_visits.upcoming_of_own_children(viewer)).of(ids) == upcoming.of(ids)
    enrolled = (await courses.my_enrollments(viewer, first=10, after=None)).items
    seats = (await sessions.my_registrations(viewer, upcoming=True, first=10, after=None)).items
    made = [row for child in children for row in (child.student, child.school_class, child.school, child.district)]
    made += [visit.row for visits in upcoming.by_student.values() for visit in visits]
    made += [slot for slots in upcoming.slots.values() for slot in slots]
    made += [row for item in enrolled for row in (item.enrollment, item.course)]
    made += [row for seat in seats for row in (seat.registration, seat.session, seat.course, seat.venue)]
    assert {type(row).__name__ for row in made} >= {"HomeVisit", "HomeVisitSlot", "ServiceStation", "Course"}
    for row in made:
        whole = vars(await type(row).get(id=row.id))
        left_out = getattr(type(row), db.STATEMENT_ONLY_COLUMNS, ())
        partial = {"_partial": True} if left_out else {}
        assert vars(row) == {k: v for k, v in whole.items() if k not in left_out} | partial, type(row).__name__
    # a course read with the screen lacks its search terms, and so cannot be saved whole by mistake
    course = enrolled[0].course
    assert not hasattr(course, "search_terms")
    with pytest.raises(OperationalError):
        await course.save()


TEACHERS = """query Teachers { viewer { children { schoolClass { homeroomTeacher { id displayName phoneMasked roles {
  role } } } homeVisits(first: 3) { nodes { teacher { id displayName phoneMasked } } } } } }"""


async def test_a_homeroom_teacher_read_by_name_answers_every_field_as_a_whole_row_would(api, world):
    """The screen reads the homeroom teacher's id and name only (not their password hash and sealed
    phone): the other fields answer as before (a parent sees no teacher's phone or roles), and the
    teacher of a visit, the same person, is the same."""
    await _give(api, world, "parent_a", "a", day=2)
    home = (await api.data(TEACHERS, token=world["parent_a"].token))["viewer"]
    teacher = home["children"][0]["schoolClass"]["homeroomTeacher"]
    assert teacher == {"id": teacher["id"], "displayName": world["teacher_a"].user.display_name,
                       "phoneMasked": None, "roles": []}
    assert [visit["teacher"] for visit in home["children"][0]["homeVisits"]["nodes"]] == [
        {"id": teacher["id"], "displayName": teacher["displayName"], "phoneMasked": None}]
