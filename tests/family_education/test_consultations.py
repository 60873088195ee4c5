"""Consultations: booking inside availability, no double booking under a real race, answers,
cancelling from either side, completion with private notes, ratings, notifications, and the
instructor raising a wellbeing alert about a child they counsel."""

from __future__ import annotations

import asyncio
import datetime as dt

from tortoise import connections

from services.family_education.models import Consultation, InstructorBooking
from tests.family_education.helpers import (
    BOOK,
    CANCEL_CONSULTATION,
    COMPLETE_CONSULTATION,
    FIND_INSTRUCTORS,
    INSTRUCTOR_HOME,
    MY_CONSULTATIONS,
    RESPOND,
    SHANGHAI,
    next_weekday,
    notification_titles,
    ok,
    set_availability,
)
from tests.helpers import make_person, user_error_codes
from tests.wellbeing.helpers import RAISE

NOTES = """query Notes($id: ID!) { node(id: $id) { ... on Consultation {
  id status notes guardianSummary cancelledBy reason followUpRecommended } } }"""
RATE = """mutation Rate($id: ID!, $stars: Int!) { rateConsultation(input: {consultationId: $id, stars: $stars}) {
  consultation { ratingStars } userErrors { code field } } }"""


def _monday(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(next_weekday(1, weeks=1), dt.time(hour, minute), tzinfo=SHANGHAI)


async def _available(api, world) -> None:
    ok(await set_availability(api, world, [
        {"weekday": 1, "startTime": "09:00", "endTime": "12:00", "stationId": world.gid(world.station_a)}]))


async def _book(api, world, *, who: str = "parent_a", starts: dt.datetime | None = None, minutes: int = 60,
                mode: str = "IN_PERSON", student: str | None = "a", **extra) -> dict:
    variables = {"instructorId": world.gid(world.instructor), "startsAt": (starts or _monday(10)).isoformat(),
                 "durationMinutes": minutes, "mode": mode, "topic": "孩子沉迷手机怎么办"} | extra
    if student:
        variables["studentId"] = world.gid(world.students[student])
    body = await api.data(BOOK, {"input": variables}, token=world[who].token)
    return body["bookConsultation"]


async def test_booking_inside_availability_tells_the_instructor_and_takes_the_station_of_the_window(api, world):
    await _available(api, world)
    booked = ok(await _book(api, world))["consultation"]
    assert booked["status"] == "REQUESTED" and booked["mode"] == "IN_PERSON"
    assert booked["station"] == {"id": world.gid(world.station_a), "name": "友谊社区家庭教育服务站"}
    assert dt.datetime.fromisoformat(booked["endsAt"]) - dt.datetime.fromisoformat(booked["startsAt"]) == \
        dt.timedelta(hours=1)
    assert "新的咨询预约" in await notification_titles(api, world["instructor"].token)
    # the instructor sees the family who booked, the child and the masked phone
    window = {"from": _monday(0).isoformat(), "to": _monday(23).isoformat()}
    home = await api.data(INSTRUCTOR_HOME, window, token=world["instructor"].token)
    [seen] = home["consultations"]["nodes"]
    assert seen["guardian"]["displayName"] == "张妈妈" and seen["guardian"]["phoneMasked"].count("*") == 4
    assert seen["student"] == {"id": world.gid(world.students["a"]), "displayName": "张小明", "grade": 3}
    # outside the windows, in the past, someone else's child, a station the instructor is not at
    assert user_error_codes(await _book(api, world, starts=_monday(11, 30))) == [("CONFLICT", "startsAt")]
    assert user_error_codes(await _book(api, world, starts=_monday(8))) == [("CONFLICT", "startsAt")]
    past = dt.datetime.now(SHANGHAI) - dt.timedelta(days=1)
    assert user_error_codes(await _book(api, world, starts=past, student="b", minutes=10,
                                        stationId=world.gid(world.station_a))) == [
        ("INVALID_INPUT", "durationMinutes"), ("INVALID_INPUT", "startsAt"), ("NOT_FOUND", "studentId")]
    assert await Consultation.all().count() == 1


async def test_ten_families_booking_one_slot_at_once_get_one_consultation(api, world):
    await _available(api, world)
    families = []
    for index in range(10):
        name = f"family{index}"
        world.people[name] = await make_person(f"家长{index}", ("PARENT", {}))
        families.append(name)
    answers = await asyncio.gather(*(_book(api, world, who=name, student=None, mode="PHONE") for name in families))
    booked = [a for a in answers if a["userErrors"] == []]
    refused = [a for a in answers if user_error_codes(a) == [("CONFLICT", "startsAt")]]
    assert (len(booked), len(refused)) == (1, 9)
    assert await Consultation.all().count() == 1 and await InstructorBooking.all().count() == 1
    # half an hour later overlaps too; right after it does not
    assert user_error_codes(await _book(api, world, starts=_monday(10, 30), student=None)) == [
        ("CONFLICT", "startsAt")]
    ok(await _book(api, world, starts=_monday(11), student=None))


async def test_the_instructor_answers_declining_frees_the_time_and_the_family_is_told(api, world):
    await _available(api, world)
    first = ok(await _book(api, world))["consultation"]

    async def respond(consultation: dict, accept: bool, who: str = "instructor") -> dict:
        body = await api.data(RESPOND, {"consultationId": consultation["id"], "accept": accept, "reason": "时间冲突"},
                              token=world[who].token)
        return body["respondToConsultation"]

    assert (await respond(first, False))["consultation"]["status"] == "DECLINED"
    assert "咨询未能安排" in await notification_titles(api, world["parent_a"].token)
    assert user_error_codes(await respond(first, True)) == [("INVALID_STATE", "consultationId")]
    again = ok(await _book(api, world, who="parent_b", student="b"))["consultation"]  # the same hour, free again
    assert user_error_codes(await _book(api, world, who="parent_b", student=None)) == [("CONFLICT", "startsAt")]
    assert (await respond(again, True))["consultation"]["status"] == "CONFIRMED"
    assert "咨询已确认" in await notification_titles(api, world["parent_b"].token)
    node = (await api.data(NOTES, {"id": first["id"]}, token=world["parent_a"].token))["node"]
    assert node["reason"] == "时间冲突"


async def test_either_side_cancels_and_who_did_is_kept(api, world):
    await _available(api, world)
    by_family = ok(await _book(api, world, starts=_monday(9)))["consultation"]
    by_instructor = ok(await _book(api, world, starts=_monday(10)))["consultation"]
    await api.data(RESPOND, {"consultationId": by_instructor["id"], "accept": True}, token=world["instructor"].token)
    for consultation, who in ((by_family, "parent_a"), (by_instructor, "instructor")):
        body = await api.data(CANCEL_CONSULTATION, {"consultationId": consultation["id"], "reason": "临时有事"},
                              token=world[who].token)
        assert body["cancelConsultation"]["consultation"]["status"] == "CANCELLED"
    family_view = (await api.data(NOTES, {"id": by_family["id"]}, token=world["parent_a"].token))["node"]
    instructor_view = (await api.data(NOTES, {"id": by_instructor["id"]}, token=world["parent_a"].token))["node"]
    assert (family_view["cancelledBy"], instructor_view["cancelledBy"]) == ("FAMILY", "INSTRUCTOR")
    assert "咨询已取消" in await notification_titles(api, world["instructor"].token)
    assert "咨询已取消" in await notification_titles(api, world["parent_a"].token)
    twice = await api.data(CANCEL_CONSULTATION, {"consultationId": by_family["id"]}, token=world["parent_a"].token)
    assert user_error_codes(twice["cancelConsultation"]) == [("INVALID_STATE", "consultationId")]
    stranger = await api.data(CANCEL_CONSULTATION, {"consultationId": by_family["id"]}, token=world["parent_b"].token)
    assert user_error_codes(stranger["cancelConsultation"]) == [("NOT_FOUND", "consultationId")]
    assert await InstructorBooking.all().count() == 0


async def test_completion_keeps_the_notes_with_the_instructor_and_gives_the_family_a_summary(api, world):
    await _available(api, world)
    consultation = ok(await _book(api, world))["consultation"]
    await api.data(RESPOND, {"consultationId": consultation["id"], "accept": True}, token=world["instructor"].token)
    complete = {"input": {"consultationId": consultation["id"], "notes": "母亲焦虑明显，父亲长期缺位。",
                          "guardianSummary": "建议每天固定 20 分钟亲子交流。", "followUpRecommended": True}}
    early = await api.data(COMPLETE_CONSULTATION, complete, token=world["instructor"].token)
    assert user_error_codes(early["completeConsultation"]) == [("INVALID_STATE", "consultationId")]
    await connections.get("default").execute_query(
        "UPDATE consultation SET starts_at = now() - interval '2 hours', ends_at = now() - interval '1 hour'")
    done = (await api.data(COMPLETE_CONSULTATION, complete, token=world["instructor"].token))["completeConsultation"]
    assert done["consultation"] == {"id": consultation["id"], "status": "COMPLETED",
                                    "guardianSummary": "建议每天固定 20 分钟亲子交流。"}
    assert "咨询已完成" in await notification_titles(api, world["parent_a"].token)
    for who, notes in (("instructor", "母亲焦虑明显，父亲长期缺位。"), ("parent_a", None)):
        node = (await api.data(NOTES, {"id": consultation["id"]}, token=world[who].token))["node"]
        assert (node["notes"], node["guardianSummary"], node["followUpRecommended"]) == (
            notes, "建议每天固定 20 分钟亲子交流。", True), who
    for who in ("city_admin", "district_admin_a", "counsellor_a", "parent_b"):
        assert (await api.data(NOTES, {"id": consultation["id"]}, token=world[who].token))["node"] is None, who
    raw = await connections.get("default").execute_query_dict("SELECT notes_sealed FROM consultation")
    assert "母亲焦虑".encode() not in bytes(raw[0]["notes_sealed"])
    mine = await api.data(MY_CONSULTATIONS, {"first": 10}, token=world["parent_a"].token)
    assert [n["guardianSummary"] for n in mine["consultations"]["nodes"]] == ["建议每天固定 20 分钟亲子交流。"]

    # the family rates it; the instructor's average follows
    assert user_error_codes((await api.data(RATE, {"id": consultation["id"], "stars": 0},
                                            token=world["parent_a"].token))["rateConsultation"]) == [
        ("INVALID_INPUT", "stars")]
    await api.data(RATE, {"id": consultation["id"], "stars": 4}, token=world["parent_a"].token)
    found = await api.data(FIND_INSTRUCTORS, {"first": 5}, token=world["parent_b"].token)
    assert found["instructors"]["nodes"][0]["ratingAverage"] == 4.0


async def test_an_instructor_raises_an_alert_only_about_a_child_they_counsel(api, world):
    await _available(api, world)
    alert = {"input": {"studentId": world.gid(world.students["a"]), "severity": "MEDIUM", "category": "FAMILY_CONFLICT",
                       "source": "INSTRUCTOR", "summary": "家庭矛盾激烈，孩子情绪低落"}}
    before = await api.data(RAISE, alert, token=world["instructor"].token)
    assert user_error_codes(before["raiseWellbeingAlert"]) == [("NOT_FOUND", "studentId")]
    consultation = ok(await _book(api, world))["consultation"]
    raised = await api.data(RAISE, alert, token=world["instructor"].token)
    assert raised["raiseWellbeingAlert"]["userErrors"] == []
    assert raised["raiseWellbeingAlert"]["alert"]["status"] == "OPEN"
    # a consultation about one child is not a licence for another
    other = dict(alert["input"], studentId=world.gid(world.students["a2"]))
    assert user_error_codes((await api.data(RAISE, {"input": other}, token=world["instructor"].token))[
        "raiseWellbeingAlert"]) == [("NOT_FOUND", "studentId")]
    # once the family cancels, the instructor no longer counsels them
    await api.data(CANCEL_CONSULTATION, {"consultationId": consultation["id"]}, token=world["parent_a"].token)
    after = await api.data(RAISE, alert, token=world["instructor"].token)
    assert user_error_codes(after["raiseWellbeingAlert"]) == [("NOT_FOUND", "studentId")]
