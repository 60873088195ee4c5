"""Courses, sessions, instructors and their clocks, for the family-education tests."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import connections

from tests.helpers import contract_operation
from tests.wellbeing.helpers import row_id

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _op(name: str) -> str:
    return contract_operation("family-education.graphql", name)


CATALOGUE = _op("CourseCatalogue")
DETAIL = _op("CourseDetail")
ENROLL = _op("EnrollInCourse")
COMPLETE_LESSON = _op("CompleteLesson")
REGISTER = _op("RegisterForCourseSession")
CANCEL_REGISTRATION = _op("CancelCourseSessionRegistration")
CHECK_IN = _op("CheckInToCourseSession")
RATE = _op("RateCourse")
NEAR = _op("StationsNear")
FIND_INSTRUCTORS = _op("FindInstructors")
SLOTS = _op("InstructorSlots")
BOOK = _op("BookConsultation")
CANCEL_CONSULTATION = _op("CancelConsultation")
MY_CONSULTATIONS = _op("MyConsultations")
INSTRUCTOR_HOME = _op("InstructorHome")
SET_AVAILABILITY = _op("SetAvailability")
RESPOND = _op("RespondToConsultation")
COMPLETE_CONSULTATION = _op("CompleteConsultation")
MY_SESSIONS = _op("MyCourseSessions")
CERTIFY = _op("CertifyInstructor")
CREATE_STATION = _op("CreateServiceStation")
ASSIGN = _op("AssignInstructorToStation")
CREATE_COURSE = _op("CreateCourse")
OFFER = _op("OfferCourseAtSchool")
SCHEDULE = _op("ScheduleCourseSession")
INBOX = contract_operation("notifications.graphql", "Inbox")


def local(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """``days`` from today at ``hour``:``minute``, Asia/Shanghai."""
    day = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def next_weekday(weekday: int, *, weeks: int = 0) -> dt.date:
    """The next date (after today, Asia/Shanghai) falling on ISO ``weekday``."""
    today = dt.datetime.now(SHANGHAI).date()
    ahead = (weekday - today.isoweekday() - 1) % 7 + 1
    return today + dt.timedelta(days=ahead + 7 * weeks)


def ok(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def create_course(api, world, *, title: str = "家庭教育与亲子沟通", summary: str = "帮助家长理解孩子、学会倾听。",
                        category: str = "PARENTING", grades: tuple[int, int] = (1, 6), lessons: int = 3,
                        by: str = "city_admin") -> dict[str, Any]:
    body = await api.data(CREATE_COURSE, {"input": {
        "title": title, "summary": summary, "category": category, "minGrade": grades[0], "maxGrade": grades[1],
        "lessons": [{"title": f"第{i + 1}课", "kind": "VIDEO", "durationMinutes": 20,
                     "contentUrl": f"https://edu.baotou.example/v/{i + 1}"} for i in range(lessons)]}},
        token=world[by].token)
    return ok(body["createCourse"])["course"]


async def offer(api, world, course: dict[str, Any], *, by: str = "school_admin_a") -> dict[str, Any]:
    body = await api.data(OFFER, {"courseId": course["id"], "schoolId": world.gid(world.school_a)},
                          token=world[by].token)
    return body["offerCourseAtSchool"]


async def schedule_session(api, world, course: dict[str, Any], *, starts: dt.datetime | None = None,
                           hours: int = 2, capacity: int = 10, at_station: bool = True,
                           by: str = "district_admin_a") -> dict[str, Any]:
    starts = starts or local(3, 19)
    venue = {"stationId": world.gid(world.station_a)} if at_station else {"schoolId": world.gid(world.school_a)}
    body = await api.data(SCHEDULE, {"input": {
        "courseId": course["id"], "startsAt": starts.isoformat(),
        "endsAt": (starts + dt.timedelta(hours=hours)).isoformat(),
        "instructorId": world.gid(world.instructor), "capacity": capacity, **venue}}, token=world[by].token)
    return ok(body["scheduleCourseSession"])["session"]


async def enroll(api, world, course: dict[str, Any], *, who: str = "parent_a") -> dict[str, Any]:
    body = await api.data(ENROLL, {"courseId": course["id"]}, token=world[who].token)
    return ok(body["enrollInCourse"])["enrollment"]


async def register(api, world, session: dict[str, Any], *, who: str = "parent_a") -> dict[str, Any]:
    body = await api.data(REGISTER, {"sessionId": session["id"]}, token=world[who].token)
    return body["registerForCourseSession"]


async def move_session(session_gid: str, *, starts_in: dt.timedelta, lasts: dt.timedelta = dt.timedelta(hours=2)
                       ) -> None:
    """Time travel: the session starts ``starts_in`` from now (negative: it started that long ago)."""
    await connections.get("default").execute_query(
        "UPDATE course_session SET starts_at = now() + $2::interval, ends_at = now() + $2::interval + $3::interval "
        "WHERE id = $1", [row_id(session_gid), starts_in, lasts])


async def notification_titles(api, token: str) -> list[str]:
    body = await api.data(INBOX, {"first": 50}, token=token)
    return [e["node"]["title"] for e in body["viewer"]["notifications"]["edges"]]


async def set_availability(api, world, slots: list[dict[str, Any]], *, who: str = "instructor") -> dict[str, Any]:
    body = await api.data(SET_AVAILABILITY, {"slots": slots}, token=world[who].token)
    return body["setInstructorAvailability"]
