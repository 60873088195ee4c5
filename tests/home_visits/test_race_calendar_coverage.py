"""No double booking under a real race; the calendar feed; coverage; statements per schedule."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import httpx
from tortoise import connections

from services.home_visits.models import HomeVisit, HomeVisitBooking
from services.organisation.models import SchoolClass
from tests.helpers import contract_operation, make_person, make_student, statement_count
from tests.home_visits.helpers import (
    CALENDAR,
    COVERAGE,
    RESCHEDULE,
    RESPOND,
    SCHEDULE,
    accept,
    move_into_past,
    propose,
    slot,
)

CANCEL = contract_operation("home-visits.graphql", "CancelHomeVisit")
RECORD = contract_operation("home-visits.graphql", "RecordHomeVisit")
FIGURES = """query Figures($year: Int!, $districtId: ID, $schoolId: ID) {
  homeVisitCoverage(year: $year, districtId: $districtId, schoolId: $schoolId) {
    teachersVisiting familiesVisited visitsCompleted declinedByFamilies cancelledByFamilies cancelledBySchools missed
  } }"""


async def test_twenty_families_accepting_one_teachers_slot_at_once_confirm_exactly_one(api, world):
    # given: twenty students of the teacher's class, each with a visit proposed for the same hour
    same_hour = slot(3, 15)
    families = []
    for index in range(20):
        parent = await make_person(f"家长{index}", ("PARENT", {}))
        world.students[f"s{index}"] = await make_student(f"学生{index}", world.class_a1, parent)
        world.people[f"p{index}"] = parent
        families.append((await propose(api, world, student=f"s{index}", slots=[same_hour]), f"p{index}"))
    # when: every family accepts at the same instant
    answers = await asyncio.gather(*(accept(api, world, visit, by=parent) for visit, parent in families))
    # then: exactly one is confirmed; the others are told CONFLICT and nothing of theirs was written
    confirmed = [a for a in answers if a["userErrors"] == []]
    conflicts = [a for a in answers if [e["code"] for e in a["userErrors"]] == ["CONFLICT"]]
    assert (len(confirmed), len(conflicts)) == (1, 19)
    assert {e["field"] for a in conflicts for e in a["userErrors"]} == {"acceptedSlot"}
    assert await HomeVisit.filter(status="CONFIRMED").count() == 1
    assert await HomeVisit.filter(status="PROPOSED").count() == 19
    assert await HomeVisitBooking.all().count() == 1


async def test_the_calendar_feed_follows_the_teachers_confirmed_visits(api, world):
    visit = await propose(api, world, slots=[slot(2, 10)])
    await accept(api, world, visit)
    url = (await api.data(CALENDAR, token=world["teacher_a"].token))["viewer"]["homeVisitCalendarUrl"]
    assert url == (await api.data(CALENDAR, token=world["teacher_a"].token))["viewer"]["homeVisitCalendarUrl"]
    assert (await api.data(CALENDAR, token=world["parent_a"].token))["viewer"]["homeVisitCalendarUrl"] is None
    path = "/" + url.split("/", 3)[3]
    feed = await api.client.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    text = feed.text
    assert "BEGIN:VTIMEZONE" in text and "TZID:Asia/Shanghai" in text
    uid = re.search(r"^UID:(.+)\r$", text, re.M).group(1)
    assert "DTSTART;TZID=Asia/Shanghai:" in text and "SUMMARY:家访（三年级1班）" in text
    assert "张小明" not in text and "阿尔丁" not in text  # no child's name, no address in a synced calendar
    # the visit moves: the same UID, a new time
    moved = await api.data(RESCHEDULE, {"homeVisitId": visit["id"], "slots": [slot(4, 16)]},
                           token=world["teacher_a"].token)
    await accept(api, world, moved["rescheduleHomeVisit"]["homeVisit"])
    again = (await api.client.get(path)).text
    assert re.search(r"^UID:(.+)\r$", again, re.M).group(1) == uid
    local = dt.datetime.fromisoformat(slot(4, 16)["startsAt"])
    assert f"DTSTART;TZID=Asia/Shanghai:{local:%Y%m%dT%H%M%S}" in again
    # reset: the old address stops working
    reset = await api.data("mutation { resetHomeVisitCalendarUrl { url userErrors { code } } }",
                           token=world["teacher_a"].token)
    assert reset["resetHomeVisitCalendarUrl"]["url"] != url
    assert (await api.client.get(path)).status_code == 404
    assert (await api.client.get("/calendar/nonsense.ics")).status_code == 404


async def test_class_coverage_shows_each_familys_latest_visit(api, world):
    visit = await propose(api, world)
    await accept(api, world, visit)
    body = await api.data(COVERAGE, {"schoolClassId": world.gid(world.class_a1)}, token=world["teacher_a"].token)
    students = body["node"]["students"]["nodes"]
    assert [(s["displayName"], s["lastHomeVisit"] and s["lastHomeVisit"]["status"]) for s in students] == [
        ("张小明", "CONFIRMED")]


async def test_coverage_figures_count_each_outcome_apart(api, world):
    # a hand-built year: two completed (one with a companion), one declined, one cancelled by each side
    class_b2 = await SchoolClass.create(school_id=world.school_a.id, grade=4, name="四年级1班",
                                        homeroom_teacher_id=world["teacher_a"].user.id)
    for index in range(5):
        parent = await make_person(f"家长{index}", ("PARENT", {}))
        world.students[f"s{index}"] = await make_student(f"学生{index}", class_b2, parent)
        world.people[f"p{index}"] = parent
    for index, companions in ((0, ["teacher_a_other"]), (1, [])):
        visit = await propose(api, world, student=f"s{index}", slots=[slot(2, 9 + 2 * index)], companions=companions)
        await accept(api, world, visit, by=f"p{index}")
        await move_into_past(visit["id"])
        await api.data(RECORD, {"input": {"homeVisitId": visit["id"], "durationMinutes": 30, "topics": ["学习"],
                                          "summary": "好", "followUpNeeded": False}}, token=world["teacher_a"].token)
    declined = await propose(api, world, student="s2")
    await api.data(RESPOND, {"input": {"homeVisitId": declined["id"], "decision": "DECLINE", "reason": "不方便"}},
                   token=world["p2"].token)
    by_family = await propose(api, world, student="s3")
    await api.data(CANCEL, {"homeVisitId": by_family["id"], "reason": "出差"}, token=world["p3"].token)
    by_school = await propose(api, world, student="s4")
    await api.data(CANCEL, {"homeVisitId": by_school["id"], "reason": "调课"}, token=world["teacher_a"].token)
    year = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).year
    expected = {"teachersVisiting": 2, "familiesVisited": 2, "visitsCompleted": 2, "declinedByFamilies": 1,
                "cancelledByFamilies": 1, "cancelledBySchools": 1, "missed": 0}
    for who, scope in [("city_admin", {}), ("district_admin_a", {"districtId": world.gid(world.district_a)}),
                       ("school_admin_a", {"schoolId": world.gid(world.school_a)})]:
        body = await api.data(FIGURES, {"year": year, **scope}, token=world[who].token)
        assert body["homeVisitCoverage"] == expected, who
    elsewhere = await api.data(FIGURES, {"year": year, "districtId": world.gid(world.district_b)},
                               token=world["city_admin"].token)
    assert elsewhere["homeVisitCoverage"]["visitsCompleted"] == 0
    assert (await api.data(FIGURES, {"year": year - 1}, token=world["city_admin"].token)
            )["homeVisitCoverage"]["visitsCompleted"] == 0
    denied = await api.gql(FIGURES, {"year": year, "schoolId": world.gid(world.school_b)},
                           token=world["school_admin_a"].token)
    assert [e["extensions"]["code"] for e in denied["errors"]] == ["FORBIDDEN"]


async def test_my_schedule_costs_the_same_statements_for_1_and_50_visits(api, world):
    variables = {"from": slot(0, 8)["startsAt"], "to": slot(59, 20)["startsAt"], "first": 50}
    visit = await propose(api, world, companions=["teacher_a_other"], slots=[slot(1, 8)])
    await accept(api, world, visit)
    one = await statement_count(api, SCHEDULE, variables, world["teacher_a"].token)
    for index in range(49):
        parent = await make_person(f"家长{index}", ("PARENT", {}))
        world.students[f"s{index}"] = await make_student(f"学生{index}", world.class_a1, parent)
        world.people[f"p{index}"] = parent
        day, hour = 2 + index // 6, 8 + 2 * (index % 6)
        visit = await propose(api, world, student=f"s{index}", slots=[slot(day, hour)],
                              companions=["teacher_a_other"] if index % 2 else [])
        if index % 3:
            await accept(api, world, visit, by=f"p{index}")
    body = await api.data(SCHEDULE, variables, token=world["teacher_a"].token)
    assert body["homeVisits"]["totalCount"] == 50
    fifty = await statement_count(api, SCHEDULE, variables, world["teacher_a"].token)
    assert one == fifty
    assert one <= 14


async def test_the_feed_needs_no_sign_in_but_its_token(api, world):
    async with httpx.AsyncClient(base_url=f"http://{api.address}") as client:
        assert (await client.get("/calendar/" + "x" * 100 + ".ics")).status_code == 404
    rows = await connections.get("default").execute_query_dict("SELECT count(*) AS n FROM calendar_feed")
    assert rows[0]["n"] == 0


async def test_a_cancelled_visit_stays_on_the_phone_marked_cancelled_and_the_feed_revalidates(api, world):
    visit = await propose(api, world, slots=[slot(2, 10)])
    await accept(api, world, visit)
    url = (await api.data(CALENDAR, token=world["teacher_a"].token))["viewer"]["homeVisitCalendarUrl"]
    path = "/" + url.split("/", 3)[3]
    first = await api.client.get(path)
    assert "STATUS:CONFIRMED" in first.text and first.headers["last-modified"].endswith("GMT")
    unchanged = await api.client.get(path, headers={"if-none-match": first.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    await api.data(CANCEL, {"homeVisitId": visit["id"], "reason": "家里有事"}, token=world["parent_a"].token)
    after = await api.client.get(path, headers={"if-none-match": first.headers["etag"]})
    assert after.status_code == 200 and "STATUS:CANCELLED" in after.text and "STATUS:CONFIRMED" not in after.text
    assert after.headers["etag"] != first.headers["etag"]


async def test_calendar_links_point_where_the_server_listens(api, world, server_processes):
    [process] = await server_processes("calendar-links")
    async with httpx.AsyncClient(base_url=f"http://{process.address}") as client:
        body = await client.post("/graphql", json={"query": CALENDAR},
                                 headers={"authorization": f"Bearer {world['teacher_a'].token}"})
    url = body.json()["data"]["viewer"]["homeVisitCalendarUrl"]
    assert url.startswith(f"http://127.0.0.1:{process.port}/calendar/")
