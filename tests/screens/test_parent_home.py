"""The parent's home screen: one request, and the same number of SQL statements however many
children, visits, enrolments and seats the parent has."""

from __future__ import annotations

import datetime as dt

from services.enums import CourseCategory, LessonKind
from services.family_education.models import Course, CourseSession, Enrollment, Lesson, SessionRegistration
from services.organisation.models import SchoolClass
from tests.helpers import contract_operation, make_person, make_student, statement_count
from tests.home_visits.helpers import propose, slot

PARENT_HOME = contract_operation("screens.graphql", "ParentHome")


async def _give(api, world, parent: str, student: str, *, day: int) -> None:
    """A child's visit proposed, an enrolment with two lessons, a seat at a session at the station."""
    await propose(api, world, student=student, slots=[slot(day, 10), slot(day, 15)])
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
