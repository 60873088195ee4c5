"""Waitlists of full sessions: who may join, a freed seat to the first in line in the same
transaction, leaving, closing at the start, and the invariants under a real race."""

from __future__ import annotations

import asyncio
import datetime as dt

from tortoise import connections

from services.family_education.models import CourseSession, SessionRegistration, SessionWaitlistEntry
from tests.family_education.helpers import (
    CANCEL_REGISTRATION,
    create_course,
    notification_titles,
    register,
    schedule_session,
)
from tests.helpers import contract_operation, make_person, user_error_codes
from tests.wellbeing.helpers import eventually, row_id


def _next(name: str) -> str:
    return contract_operation("family-education-next.graphql", name)


JOIN, LEAVE = _next("JoinCourseSessionWaitlist"), _next("LeaveCourseSessionWaitlist")
MINE, SEATS = _next("MyCourseSessionWaitlists"), _next("CourseSessionSeats")
TEACHING = _next("TeachingSessionWaitlists")


async def _join(api, world, session, who="parent_a") -> dict:
    return (await api.data(JOIN, {"sessionId": session["id"]}, token=world[who].token))["joinCourseSessionWaitlist"]


async def _leave(api, world, entry_id, who="parent_a") -> dict:
    body = await api.data(LEAVE, {"waitlistEntryId": entry_id}, token=world[who].token)
    return body["leaveCourseSessionWaitlist"]


async def _seats(api, world, session, who="parent_a") -> dict:
    return (await api.data(SEATS, {"sessionId": session["id"]}, token=world[who].token))["node"]


async def _cancel(api, world, registration_id, who) -> dict:
    body = await api.data(CANCEL_REGISTRATION, {"registrationId": registration_id}, token=world[who].token)
    return body["cancelCourseSessionRegistration"]


async def _parents(world, n: int, prefix: str) -> list[str]:
    names = [f"{prefix}{i}" for i in range(n)]
    for name in names:
        world.people[name] = await make_person(name, ("PARENT", {}))
    return names


async def test_only_a_full_session_has_a_line_and_nobody_is_in_it_twice_or_seated_too(api, world):
    course = await create_course(api, world)
    session = await schedule_session(api, world, course, capacity=1)
    assert user_error_codes(await _join(api, world, session)) == [("INVALID_STATE", "sessionId")]  # seats free
    seat = (await register(api, world, session, who="parent_b"))["registration"]
    assert user_error_codes(await _join(api, world, session, who="parent_b")) == [("CONFLICT", "sessionId")]
    joined = await _join(api, world, session)
    assert joined["userErrors"] == []
    entry = joined["waitlistEntry"]
    assert (entry["status"], entry["position"], entry["session"]) == (
        "WAITING", 1, {"id": session["id"], "seatsLeft": 0, "waitlistLength": 1})
    assert (await _join(api, world, session))["waitlistEntry"]["id"] == entry["id"]  # again: the place held
    assert user_error_codes(await register(api, world, session)) == [("CONFLICT", "sessionId")]
    # the line holds as many as there are seats (one here)
    assert user_error_codes(await _join(api, world, session, who="parent_a2")) == [("LIMIT_EXCEEDED", "sessionId")]
    seen = await _seats(api, world, session)
    assert seen["viewerRegistration"] is None
    assert seen["viewerWaitlistEntry"] == {"id": entry["id"], "status": "WAITING", "position": 1}
    holder = await _seats(api, world, session, who="parent_b")
    assert holder["viewerRegistration"] == {"id": seat["id"], "status": "REGISTERED"}
    assert holder["waitlistLength"] == 1 and holder["viewerWaitlistEntry"] is None
    # the venue's administrators see the count, never who
    staff = await _seats(api, world, session, who="station_staff")
    assert staff["waitlistLength"] == 1 and staff["viewerWaitlistEntry"] is None
    teaching = (await api.data(TEACHING, {"first": 5}, token=world["instructor"].token))["viewer"]
    assert [n["waitlistLength"] for n in teaching["instructorProfile"]["teachingSessions"]["nodes"]] == [1]


async def test_a_seat_given_back_goes_to_the_first_in_line_who_is_told(api, world):
    course = await create_course(api, world)
    session = await schedule_session(api, world, course, capacity=1)
    seat = (await register(api, world, session, who="parent_b"))["registration"]
    first = (await _join(api, world, session, who="parent_a"))["waitlistEntry"]
    cancelled = await _cancel(api, world, seat["id"], "parent_b")
    assert cancelled["userErrors"] == [] and cancelled["registration"]["session"]["seatsLeft"] == 0
    mine = (await api.data(MINE, {"first": 5}, token=world["parent_a"].token))["viewer"]["courseSessionWaitlist"]
    (place,) = mine["nodes"]
    assert (place["id"], place["status"], place["position"], place["registration"]["status"]) == (
        first["id"], "PROMOTED", None, "REGISTERED")
    assert place["promotedAt"] and place["session"]["course"]["title"] == course["title"]
    assert "候补成功" in await notification_titles(api, world["parent_a"].token)
    # the promoted seat is like any other: given back, it goes on (here to nobody: the line is empty)
    again = await _cancel(api, world, place["registration"]["id"], "parent_a")
    assert again["registration"]["session"]["seatsLeft"] == 1
    assert user_error_codes(await _leave(api, world, first["id"])) == [("INVALID_STATE", "waitlistEntryId")]


async def test_leaving_moves_those_behind_up(api, world):
    course = await create_course(api, world)
    session = await schedule_session(api, world, course, capacity=3)
    for who in await _parents(world, 3, "seated"):
        await register(api, world, session, who=who)
    entries = [(await _join(api, world, session, who=who))["waitlistEntry"] for who in ("parent_a", "parent_a2",
                                                                                       "parent_b")]
    assert [e["position"] for e in entries] == [1, 2, 3]
    assert user_error_codes(await _leave(api, world, entries[0]["id"], who="parent_b")) == [
        ("NOT_FOUND", "waitlistEntryId")]
    left = await _leave(api, world, entries[0]["id"])
    assert left["waitlistEntry"]["status"] == "LEFT" and left["waitlistEntry"]["position"] is None
    assert left["waitlistEntry"]["session"]["waitlistLength"] == 2
    assert (await _leave(api, world, entries[0]["id"]))["waitlistEntry"]["status"] == "LEFT"  # again: no change
    assert (await _seats(api, world, session, who="parent_b"))["viewerWaitlistEntry"]["position"] == 2
    # leaving let them join again, at the back
    rejoined = (await _join(api, world, session))["waitlistEntry"]
    assert rejoined["id"] != entries[0]["id"] and rejoined["position"] == 3


async def test_at_the_start_those_still_waiting_are_closed(api, world):
    course = await create_course(api, world)
    session = await schedule_session(api, world, course, capacity=1)
    await register(api, world, session, who="parent_b")
    entry = (await _join(api, world, session))["waitlistEntry"]
    db = connections.get("default")
    await db.execute_query("UPDATE course_session SET starts_at = now() - interval '1 minute' WHERE id = $1",
                           [row_id(session["id"])])
    assert user_error_codes(await _join(api, world, session, who="parent_a2")) == [("INVALID_STATE", "sessionId")]
    await db.execute_query("UPDATE scheduled_job SET due_at = now() WHERE kind = 'session_waitlist_close' "
                           "AND subject_id = $1", [row_id(session["id"])])

    async def closed() -> bool:
        return (await SessionWaitlistEntry.get(id=row_id(entry["id"]))).status == "CLOSED"

    await eventually(closed)
    assert (await _seats(api, world, session))["viewerWaitlistEntry"] == {"id": entry["id"], "status": "CLOSED",
                                                                           "position": None}


async def test_cancelling_registering_joining_and_leaving_at_once_never_overbook_or_double_seat(api, world):
    """Ten holders give their seats back while twenty in line wait, ten newcomers register and ten
    more join, and five of the waiting leave, all at once, three rounds."""
    for round_ in range(3):
        course = await create_course(api, world, title=f"候补竞速 {round_}")
        session = await schedule_session(api, world, course, capacity=10,
                                         starts=dt.datetime.now(dt.UTC) + dt.timedelta(days=3 + round_))
        holders = await _parents(world, 10, f"h{round_}-")
        waiting = await _parents(world, 10, f"w{round_}-")
        newcomers = await _parents(world, 10, f"n{round_}-")
        late = await _parents(world, 10, f"l{round_}-")
        seats = [(await register(api, world, session, who=who))["registration"]["id"] for who in holders]
        places = [(await _join(api, world, session, who=who))["waitlistEntry"]["id"] for who in waiting]
        await asyncio.gather(
            *(_cancel(api, world, seat, who) for seat, who in zip(seats, holders, strict=True)),
            *(register(api, world, session, who=who) for who in newcomers),
            *(_join(api, world, session, who=who) for who in late),
            *(_leave(api, world, place, who) for place, who in zip(places[5:], waiting[5:], strict=True)),
        )
        session_id = row_id(session["id"])
        seated = await SessionRegistration.filter(session_id=session_id, status="REGISTERED").values_list(
            "guardian_id", flat=True)
        in_line = await SessionWaitlistEntry.filter(session_id=session_id, status="WAITING").values_list(
            "guardian_id", flat=True)
        assert len(seated) == len(set(seated)) == 10
        assert (await CourseSession.get(id=session_id)).registered == 10
        assert not set(seated) & set(in_line)
        promoted = await SessionWaitlistEntry.filter(session_id=session_id, status="PROMOTED")
        assert {p.guardian_id for p in promoted} <= set(seated)  # type: ignore[attr-defined]
        assert len({p.registration_id for p in promoted}) == len(promoted)  # type: ignore[attr-defined]
        assert len(in_line) <= 10
        # a line only while full: nobody waits for a session with a free seat
        assert not in_line or len(seated) == 10
