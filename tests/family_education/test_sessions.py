"""In-person sessions: scheduling rules, seats under a real race, cancelling, check-in, absentees,
reminders, and who sees the check-in code."""

from __future__ import annotations

import asyncio
import datetime as dt

from tortoise import connections

from services.family_education.models import CourseSession, SessionRegistration
from tests.family_education.helpers import (
    CANCEL_REGISTRATION,
    CHECK_IN,
    MY_SESSIONS,
    SCHEDULE,
    create_course,
    enroll,
    local,
    move_session,
    notification_titles,
    offer,
    register,
    schedule_session,
)
from tests.helpers import contract_operation, make_person, user_error_codes
from tests.wellbeing.helpers import eventually, row_id

PARENT_HOME = contract_operation("screens.graphql", "ParentHome")
SESSION = """query Session($id: ID!) { node(id: $id) { ... on CourseSession {
  id seatsLeft checkInCode registrations(first: 100) { totalCount nodes { status guardian { id } } } } } }"""


async def _schedule(api, world, variables: dict, by: str = "district_admin_a") -> dict:
    body = await api.data(SCHEDULE, {"input": variables}, token=world[by].token)
    return body["scheduleCourseSession"]


async def test_a_session_needs_one_venue_an_active_free_instructor_and_a_pilot_school_offering_the_course(api, world):
    course = await create_course(api, world)
    starts = local(3, 19)
    base = {"courseId": course["id"], "startsAt": starts.isoformat(),
            "endsAt": (starts + dt.timedelta(hours=2)).isoformat(), "capacity": 10,
            "instructorId": world.gid(world.instructor)}
    both = await _schedule(api, world, base | {"schoolId": world.gid(world.school_a),
                                                "stationId": world.gid(world.station_a)})
    assert user_error_codes(both) == [("INVALID_INPUT", "schoolId")]
    bad = await _schedule(api, world, base | {"stationId": world.gid(world.station_a), "capacity": 0,
                                               "endsAt": starts.isoformat(), "instructorId": None})
    assert user_error_codes(bad) == [("INVALID_INPUT", "endsAt"), ("INVALID_INPUT", "capacity"),
                                     ("INVALID_INPUT", "instructorId")]
    not_offered = await _schedule(api, world, base | {"schoolId": world.gid(world.school_a)}, by="school_admin_a")
    assert user_error_codes(not_offered) == [("INVALID_STATE", "schoolId")]
    await offer(api, world, course)
    at_school = await _schedule(api, world, base | {"schoolId": world.gid(world.school_a)}, by="school_admin_a")
    assert at_school["userErrors"] == [] and len(at_school["session"]["checkInCode"]) == 6
    # the instructor is now busy then: an overlapping session anywhere is a CONFLICT
    overlapping = dict(base, startsAt=(starts + dt.timedelta(hours=1)).isoformat(),
                       endsAt=(starts + dt.timedelta(hours=3)).isoformat(), stationId=world.gid(world.station_a))
    assert user_error_codes(await _schedule(api, world, overlapping)) == [("CONFLICT", "instructorId")]
    # a suspended instructor teaches nothing
    await connections.get("default").execute_query("UPDATE instructor SET suspended_at = now()")
    later = dict(base, startsAt=local(6, 19).isoformat(), endsAt=local(6, 21).isoformat(),
                 stationId=world.gid(world.station_a))
    assert user_error_codes(await _schedule(api, world, later)) == [("INVALID_STATE", "instructorId")]
    assert await CourseSession.all().count() == 1


async def test_fifty_parents_pressing_at_once_take_exactly_ten_seats(api, world):
    course = await create_course(api, world)
    session = await schedule_session(api, world, course, capacity=10)
    parents = [f"racer{i}" for i in range(50)]
    for name in parents:
        world.people[name] = await make_person(name, ("PARENT", {}))
    answers = await asyncio.gather(*(register(api, world, session, who=name) for name in parents))
    seated = [a for a in answers if a["userErrors"] == []]
    full = [a for a in answers if user_error_codes(a) == [("LIMIT_EXCEEDED", "sessionId")]]
    assert (len(seated), len(full)) == (10, 40)
    assert {a["registration"]["status"] for a in seated} == {"REGISTERED"}
    assert min(a["registration"]["session"]["seatsLeft"] for a in seated) == 0
    assert await SessionRegistration.filter(session_id=row_id(session["id"])).count() == 10
    assert (await CourseSession.get(id=row_id(session["id"]))).registered == 10


async def test_one_parent_double_tapping_holds_one_seat(api, world):
    course = await create_course(api, world)
    session = await schedule_session(api, world, course, capacity=5)
    answers = await asyncio.gather(*(register(api, world, session) for _ in range(8)))
    assert {a["registration"]["id"] for a in answers} == {answers[0]["registration"]["id"]}
    assert (await CourseSession.get(id=row_id(session["id"]))).registered == 1


async def test_cancelling_frees_the_seat_until_the_session_starts(api, world):
    course = await create_course(api, world)
    session = await schedule_session(api, world, course, capacity=1)
    mine = (await register(api, world, session))["registration"]
    assert user_error_codes(await register(api, world, session, who="parent_b")) == [("LIMIT_EXCEEDED", "sessionId")]
    not_theirs = await api.data(CANCEL_REGISTRATION, {"registrationId": mine["id"]}, token=world["parent_b"].token)
    assert user_error_codes(not_theirs["cancelCourseSessionRegistration"]) == [("NOT_FOUND", "registrationId")]
    cancelled = (await api.data(CANCEL_REGISTRATION, {"registrationId": mine["id"]},
                                token=world["parent_a"].token))["cancelCourseSessionRegistration"]
    assert cancelled["registration"]["status"] == "CANCELLED" and cancelled["registration"]["session"]["seatsLeft"] == 1
    again = await api.data(CANCEL_REGISTRATION, {"registrationId": mine["id"]}, token=world["parent_a"].token)
    assert user_error_codes(again["cancelCourseSessionRegistration"]) == [("INVALID_STATE", "registrationId")]
    theirs = (await register(api, world, session, who="parent_b"))["registration"]
    assert theirs["session"]["seatsLeft"] == 0
    # once it has started, nobody registers or cancels
    await move_session(session["id"], starts_in=dt.timedelta(minutes=-5))
    late = await api.data(CANCEL_REGISTRATION, {"registrationId": theirs["id"]}, token=world["parent_b"].token)
    assert user_error_codes(late["cancelCourseSessionRegistration"]) == [("INVALID_STATE", "registrationId")]
    assert user_error_codes(await register(api, world, session)) == [("INVALID_STATE", "sessionId")]


async def test_check_in_needs_the_code_in_its_window_guesses_are_limited_and_the_rest_are_absent(api, world):
    course = await create_course(api, world)
    session = await schedule_session(api, world, course, capacity=5)
    code = session["checkInCode"]
    for who in ("parent_a", "parent_a2", "parent_b"):
        await register(api, world, session, who=who)

    async def check_in(who: str, given: str) -> dict:
        body = await api.data(CHECK_IN, {"sessionId": session["id"], "code": given}, token=world[who].token)
        return body["checkInToCourseSession"]

    await move_session(session["id"], starts_in=dt.timedelta(minutes=31))
    assert user_error_codes(await check_in("parent_a", code)) == [("INVALID_STATE", "sessionId")]
    await move_session(session["id"], starts_in=dt.timedelta(minutes=29))
    attended = await check_in("parent_a", code)
    assert attended["registration"]["status"] == "ATTENDED" and attended["registration"]["checkedInAt"]
    assert (await check_in("parent_a", code))["registration"]["status"] == "ATTENDED"  # again: no change
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert user_error_codes(await check_in("parent_a2", wrong)) == [("INVALID_INPUT", "code")]
    assert user_error_codes(await check_in("parent_a2", code)) == [("RATE_LIMITED", "code")]
    stranger = await check_in("parent_b", wrong)  # guesses are counted per parent
    assert user_error_codes(stranger) == [("INVALID_INPUT", "code")]
    outsider = await api.data(CHECK_IN, {"sessionId": session["id"], "code": code},
                              token=(await make_person("路人", ("PARENT", {}))).token)
    assert user_error_codes(outsider["checkInToCourseSession"]) == [("INVALID_STATE", "sessionId")]

    # the session ends: the close job marks whoever did not check in absent, and check-in closes
    await move_session(session["id"], starts_in=dt.timedelta(hours=-2), lasts=dt.timedelta(hours=1))
    await connections.get("default").execute_query(
        "UPDATE scheduled_job SET due_at = now() WHERE subject_id = $1 AND kind = 'session_close'",
        [row_id(session["id"])])

    async def closed() -> list[str]:
        rows = await SessionRegistration.filter(session_id=row_id(session["id"])).order_by("registered_at")
        statuses = [r.status.value for r in rows]
        return statuses if "REGISTERED" not in statuses else []

    assert await eventually(closed) == ["ATTENDED", "ABSENT", "ABSENT"]
    assert user_error_codes(await check_in("parent_b", code)) == [("INVALID_STATE", "sessionId")]


async def test_only_the_instructor_and_the_venues_administrators_see_the_code_and_the_seats(api, world):
    course = await create_course(api, world)
    session = await schedule_session(api, world, course)
    await register(api, world, session)
    for who, sees in [("instructor", True), ("station_staff", True), ("district_admin_a", True),
                      ("city_admin", True), ("district_admin_b", False), ("school_admin_a", False),
                      ("parent_a", False), ("teacher_a", False)]:
        node = (await api.data(SESSION, {"id": session["id"]}, token=world[who].token))["node"]
        assert (node["checkInCode"] == session["checkInCode"]) is sees, who
        assert (node["registrations"] is not None) is sees, who
        assert node["checkInCode"] is None or sees
    mine = await api.data(MY_SESSIONS, {"first": 10}, token=world["instructor"].token)
    taught = mine["viewer"]["instructorProfile"]["teachingSessions"]["nodes"]
    assert [s["id"] for s in taught] == [session["id"]] and taught[0]["checkInCode"] == session["checkInCode"]
    assert taught[0]["registrations"]["totalCount"] == 1
    assert taught[0]["registrations"]["nodes"][0]["guardian"]["id"] == world["parent_a"].id
    assert (await api.data(MY_SESSIONS, {"first": 10}, token=world["parent_a"].token))["viewer"][
        "instructorProfile"] is None


async def test_the_day_before_the_registered_parents_and_the_instructor_are_reminded(api, world):
    course = await create_course(api, world, title="亲子阅读")
    session = await schedule_session(api, world, course, starts=local(3, 19))
    await register(api, world, session)
    await register(api, world, session, who="parent_b")
    cancelled = (await register(api, world, session, who="parent_a2"))["registration"]
    await api.data(CANCEL_REGISTRATION, {"registrationId": cancelled["id"]}, token=world["parent_a2"].token)
    await connections.get("default").execute_query(
        "UPDATE scheduled_job SET due_at = now() WHERE subject_id = $1 AND kind = 'session_reminder'",
        [row_id(session["id"])])

    async def reminded() -> bool:
        for who in ("parent_a", "parent_b", "instructor"):
            if (await notification_titles(api, world[who].token)).count("课程提醒") != 1:
                return False
        return True

    assert await eventually(reminded)
    assert "课程提醒" not in await notification_titles(api, world["parent_a2"].token)


async def test_the_parents_home_lists_enrolments_and_upcoming_seats(api, world):
    course = await create_course(api, world, title="家庭教育入门", lessons=2)
    await enroll(api, world, course)
    soon = await schedule_session(api, world, course, starts=local(2, 19))
    later = await schedule_session(api, world, course, starts=local(4, 19))
    past = await schedule_session(api, world, course, starts=local(6, 19))
    for session in (later, soon, past):
        await register(api, world, session)
    await move_session(past["id"], starts_in=dt.timedelta(days=-1))
    home = (await api.data(PARENT_HOME, token=world["parent_a"].token))["viewer"]
    assert [e["course"]["title"] for e in home["enrollments"]["nodes"]] == ["家庭教育入门"]
    assert home["enrollments"]["nodes"][0]["progressPercent"] == 0
    seats = home["courseSessionRegistrations"]["nodes"]
    assert [s["session"]["id"] for s in seats] == [soon["id"], later["id"]]
    assert seats[0]["session"]["venue"] == {"__typename": "ServiceStation", "id": world.gid(world.station_a),
                                            "name": "友谊社区家庭教育服务站", "address": "昆都仑区友谊大街 20 号"}
    other = (await api.data(PARENT_HOME, token=world["parent_b"].token))["viewer"]
    assert other["enrollments"]["nodes"] == [] and other["courseSessionRegistrations"]["nodes"] == []
