"""Proposing, answering, rescheduling, cancelling, recording and rating home visits."""

from __future__ import annotations

import asyncio
import datetime as dt

from tortoise import connections

from tests.helpers import contract_operation, error_codes, make_person, make_student, user_error_codes
from tests.home_visits.helpers import (
    CANCEL,
    FEEDBACK,
    PROPOSE,
    RECORD,
    RESCHEDULE,
    RESPOND,
    SCHEDULE,
    VISIT,
    accept,
    move_into_past,
    propose,
    slot,
)
from tests.wellbeing.helpers import DETAIL, eventually, row_id

INBOX = contract_operation("notifications.graphql", "Inbox")
AUDIT = contract_operation("wellbeing.graphql", "AuditTrail")


async def _notifications(api, person) -> list[str]:
    body = await api.data(INBOX, {"first": 20}, token=person.token)
    return [e["node"]["title"] for e in body["viewer"]["notifications"]["edges"]]


async def test_a_proposal_reaches_the_family_and_only_they_and_the_teacher_see_the_address(api, world):
    visit = await propose(api, world)
    assert visit["status"] == "PROPOSED" and len(visit["proposedSlots"]) == 2
    assert visit["student"]["displayName"] == "张小明"
    assert await _notifications(api, world["parent_a"]) == ["家访邀请"]
    home = "包头市昆都仑区阿尔丁大街 88 号"
    for who, address in [("teacher_a", home), ("parent_a", home), ("teacher_a_other", None),
                         ("school_admin_a", None), ("counsellor_a", None)]:
        node = (await api.data(VISIT, {"id": visit["id"]}, token=world[who].token))["node"]
        assert node["address"] == address, who
        assert (node["purpose"] is not None) == (address is not None), who
    for who in ("parent_b", "teacher_b", "school_admin_b", "instructor"):
        assert (await api.data(VISIT, {"id": visit["id"]}, token=world[who].token))["node"] is None, who
    trail = await api.data(AUDIT, {"first": 10, "filter": {"action": "READ_HOME_ADDRESS"}},
                           token=world["city_admin"].token)
    assert sorted(n["actor"]["id"] for n in trail["auditEvents"]["nodes"]) == sorted(
        [world["teacher_a"].id, world["parent_a"].id])


async def test_every_broken_rule_of_a_proposal_is_its_own_error(api, world):
    bad = [slot(-1, 10), slot(2, 7), slot(2, 10, minutes=20), slot(2, 20, 30, minutes=60), slot(61, 10)]
    body = await api.data(PROPOSE, {"input": {
        "studentId": world.gid(world.students["a"]), "slots": bad, "purpose": "",
        "companionTeacherIds": [world["teacher_b"].id], "address": "\x00", "addressGuardianId": world["parent_a"].id}},
        token=world["teacher_a"].token, headers={"accept-language": "en"})
    assert user_error_codes(body["proposeHomeVisit"]) == [
        ("INVALID_INPUT", "slots[0]"), ("INVALID_INPUT", "slots[1]"), ("INVALID_INPUT", "slots[2]"),
        ("INVALID_INPUT", "slots[3]"), ("INVALID_INPUT", "slots[4]"), ("INVALID_INPUT", "purpose"),
        ("INVALID_INPUT", "address"), ("INVALID_INPUT", "addressGuardianId"),
        ("INVALID_INPUT", "companionTeacherIds[0]"),
    ]
    too_many = await api.data(PROPOSE, {"input": {
        "studentId": world.gid(world.students["a"]), "slots": [slot(2, 9 + i) for i in range(6)],
        "purpose": "家访", "address": "x"}}, token=world["teacher_a"].token)
    assert user_error_codes(too_many["proposeHomeVisit"]) == [("INVALID_INPUT", "slots")]


async def test_only_teachers_of_the_student_propose(api, world):
    for who in ("teacher_b", "teacher_a"):
        body = await api.data(PROPOSE, {"input": {
            "studentId": world.gid(world.students["b"]), "slots": [slot(2, 10)], "purpose": "家访",
            "address": "x"}}, token=world[who].token)
        assert user_error_codes(body["proposeHomeVisit"]) == ([] if who == "teacher_b" else
                                                               [("NOT_FOUND", "studentId")])
    not_their_class = await api.data(PROPOSE, {"input": {
        "studentId": world.gid(world.students["a2"]), "slots": [slot(2, 10)], "purpose": "家访", "address": "x"}},
        token=world["teacher_a"].token)
    assert user_error_codes(not_their_class["proposeHomeVisit"]) == [("NOT_FOUND", "studentId")]
    assert error_codes(await api.gql(PROPOSE, {"input": {
        "studentId": world.gid(world.students["a"]), "slots": [slot(2, 10)], "purpose": "家访"}},
        token=world["parent_a"].token)) == ["FORBIDDEN"]


async def test_accepting_confirms_and_tells_the_teachers(api, world):
    visit = await propose(api, world, companions=["teacher_a_other"])
    answered = await accept(api, world, visit)
    assert answered["userErrors"] == []
    assert answered["homeVisit"]["status"] == "CONFIRMED"
    assert dt.datetime.fromisoformat(answered["homeVisit"]["scheduledWindow"]["startsAt"]) == dt.datetime.fromisoformat(
        visit["proposedSlots"][0]["startsAt"])
    for who in ("teacher_a", "teacher_a_other"):
        assert "家访已确认" in await _notifications(api, world[who])
    again = await accept(api, world, visit)
    assert user_error_codes(again) == [("INVALID_STATE", "homeVisitId")]
    jobs = await connections.get("default").execute_query_dict(
        "SELECT kind FROM scheduled_job WHERE subject_id = $1 ORDER BY due_at", [row_id(visit["id"])])
    assert [j["kind"] for j in jobs] == ["visit_reminder_24h", "visit_reminder_2h", "visit_missed"]


async def test_a_slot_that_was_not_offered_is_refused(api, world):
    visit = await propose(api, world)
    body = await api.data(RESPOND, {"input": {"homeVisitId": visit["id"], "decision": "ACCEPT",
                                              "acceptedSlot": slot(4, 10)}}, token=world["parent_a"].token)
    assert user_error_codes(body["respondToHomeVisit"]) == [("INVALID_INPUT", "acceptedSlot")]


async def test_the_family_asks_for_other_times_and_the_teacher_offers_new_ones(api, world):
    visit = await propose(api, world)
    asked = await api.data(RESPOND, {"input": {"homeVisitId": visit["id"], "decision": "PROPOSE_ALTERNATIVES",
                                               "alternativeSlots": [slot(5, 18)]}}, token=world["parent_a"].token)
    changed = asked["respondToHomeVisit"]["homeVisit"]
    assert changed["status"] == "RESCHEDULE_REQUESTED"
    assert [s["startsAt"] for s in changed["proposedSlots"]] == [_iso(slot(5, 18)["startsAt"])]
    assert "家长提议了其他时间" in await _notifications(api, world["teacher_a"])
    offered = await api.data(RESCHEDULE, {"homeVisitId": visit["id"], "slots": [slot(5, 18)]},
                             token=world["teacher_a"].token)
    assert offered["rescheduleHomeVisit"]["homeVisit"]["status"] == "PROPOSED"
    assert "家访时间有变" in await _notifications(api, world["parent_a"])
    answered = await accept(api, world, offered["rescheduleHomeVisit"]["homeVisit"])
    assert answered["homeVisit"]["status"] == "CONFIRMED"


def _iso(value: str) -> str:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC).isoformat()


async def test_declining_needs_a_reason(api, world):
    visit = await propose(api, world)
    silent = await api.data(RESPOND, {"input": {"homeVisitId": visit["id"], "decision": "DECLINE"}},
                            token=world["parent_a"].token)
    assert user_error_codes(silent["respondToHomeVisit"]) == [("INVALID_INPUT", "reason")]
    declined = await api.data(RESPOND, {"input": {"homeVisitId": visit["id"], "decision": "DECLINE",
                                                  "reason": "最近家里有事"}}, token=world["parent_a"].token)
    assert declined["respondToHomeVisit"]["homeVisit"]["status"] == "DECLINED"
    node = (await api.data(VISIT, {"id": visit["id"]}, token=world["teacher_a"].token))["node"]
    assert node["endedBy"] == "FAMILY" and node["endReason"] == "最近家里有事"


async def test_cancelling_keeps_who_cancelled_and_frees_the_time(api, world):
    visit = await propose(api, world, slots=[slot(2, 10)])
    await accept(api, world, visit)
    by_family = await api.data(CANCEL, {"homeVisitId": visit["id"], "reason": "孩子生病"},
                               token=world["parent_a"].token)
    assert by_family["cancelHomeVisit"]["homeVisit"]["status"] == "CANCELLED"
    assert (await api.data(VISIT, {"id": visit["id"]}, token=world["teacher_a"].token))["node"]["endedBy"] == "FAMILY"
    history = await api.data("query($id: ID!) { node(id: $id) { ... on HomeVisit { history { status side actor { id } "
                             "at } } } }", {"id": visit["id"]}, token=world["parent_a"].token)
    assert [(h["status"], h["side"], h["actor"]["id"]) for h in history["node"]["history"]] == [
        ("PROPOSED", "SCHOOL", world["teacher_a"].id), ("CONFIRMED", "FAMILY", world["parent_a"].id),
        ("CANCELLED", "FAMILY", world["parent_a"].id)]
    again = await api.data(CANCEL, {"homeVisitId": visit["id"], "reason": "x"}, token=world["teacher_a"].token)
    assert user_error_codes(again["cancelHomeVisit"]) == [("INVALID_STATE", "homeVisitId")]
    # the slot is free again: another family can confirm it
    other = await make_student("王小强", world.class_a1, world["parent_a2"])
    world.students["other"] = other
    second = await propose(api, world, student="other", slots=[slot(2, 10)])
    assert (await accept(api, world, second, by="parent_a2"))["homeVisit"]["status"] == "CONFIRMED"
    by_school = await api.data(CANCEL, {"homeVisitId": second["id"], "reason": "学校临时活动"},
                               token=world["teacher_a"].token)
    assert by_school["cancelHomeVisit"]["homeVisit"]["status"] == "CANCELLED"
    assert (await api.data(VISIT, {"id": second["id"]}, token=world["teacher_a"].token))["node"]["endedBy"] == "SCHOOL"


async def test_a_teachers_confirmed_visits_keep_a_travel_buffer(api, world):
    first = await propose(api, world, slots=[slot(2, 10)])
    await accept(api, world, first)
    other = await make_student("王小强", world.class_a1, world["parent_a2"])
    world.students["other"] = other
    clash = await api.data(PROPOSE, {"input": {
        "studentId": world.gid(other), "slots": [slot(2, 11, 10), slot(2, 11, 30)], "purpose": "家访",
        "address": "x"}}, token=world["teacher_a"].token)
    assert user_error_codes(clash["proposeHomeVisit"]) == [("CONFLICT", "slots[0]")]
    assert "冲突" in clash["proposeHomeVisit"]["userErrors"][0]["message"]
    fine = await propose(api, world, student="other", slots=[slot(2, 11, 30)])
    assert (await accept(api, world, fine, by="parent_a2"))["homeVisit"]["status"] == "CONFIRMED"


async def test_a_companions_confirmed_visit_blocks_the_slot_too(api, world):
    first = await propose(api, world, slots=[slot(2, 14)], companions=["teacher_a_other"])
    await accept(api, world, first)
    other_class_student = world.students["a2"]  # teacher_a_other is its homeroom teacher
    clash = await api.data(PROPOSE, {"input": {
        "studentId": world.gid(other_class_student), "slots": [slot(2, 14, 30)], "purpose": "家访",
        "address": "x"}}, token=world["teacher_a_other"].token)
    assert user_error_codes(clash["proposeHomeVisit"]) == [("CONFLICT", "slots[0]")]


async def test_a_student_has_one_open_visit_at_a_time(api, world):
    await propose(api, world)
    second = await api.data(PROPOSE, {"input": {
        "studentId": world.gid(world.students["a"]), "slots": [slot(9, 10)], "purpose": "家访", "address": "x"}},
        token=world["teacher_a_other"].token)
    assert user_error_codes(second["proposeHomeVisit"]) == [("CONFLICT", "studentId")]


async def test_recording_needs_the_visit_to_have_started_and_can_raise_an_alert(api, world):
    visit = await propose(api, world, companions=["teacher_a_other"])
    await accept(api, world, visit)
    record = {"homeVisitId": visit["id"], "durationMinutes": 50, "topics": ["学习习惯", "亲子沟通"],
              "summary": "家长配合度高，孩子作息规律。", "followUpNeeded": True}
    early = await api.data(RECORD, {"input": record}, token=world["teacher_a"].token)
    assert user_error_codes(early["recordHomeVisit"]) == [("INVALID_STATE", "homeVisitId")]
    await move_into_past(visit["id"])
    stranger = await api.gql(RECORD, {"input": record}, token=world["school_admin_a"].token)
    assert error_codes(stranger) == ["FORBIDDEN"]
    broken = await api.data(RECORD, {"input": record | {"raiseAlert": {
        "severity": "HIGH", "category": "FAMILY_CONFLICT", "summary": " "}}}, token=world["teacher_a_other"].token)
    assert user_error_codes(broken["recordHomeVisit"]) == [("INVALID_INPUT", "raiseAlert.summary")]
    assert (await api.data(VISIT, {"id": visit["id"]}, token=world["teacher_a"].token))["node"]["status"] == \
        "CONFIRMED"
    body = await api.data(RECORD, {"input": record | {"raiseAlert": {
        "severity": "HIGH", "category": "FAMILY_CONFLICT", "summary": "家中父母关系紧张",
        "details": "孩子表示常听到争吵"}}}, token=world["teacher_a_other"].token)
    done = body["recordHomeVisit"]["homeVisit"]
    assert done["status"] == "COMPLETED"
    assert done["record"]["topics"] == ["学习习惯", "亲子沟通"] and done["record"]["followUpNeeded"] is True
    alert = done["record"]["raisedAlert"]
    assert alert["severity"] == "HIGH" and alert["status"] == "OPEN"
    detail = (await api.data(DETAIL, {"id": alert["id"]}, token=world["counsellor_a"].token))["node"]
    assert detail["homeVisit"] == {"id": visit["id"]}
    assert detail["raisedBy"]["id"] == world["teacher_a_other"].id
    family = (await api.data(VISIT, {"id": visit["id"]}, token=world["parent_a"].token))["node"]
    assert family["record"] is None and family["status"] == "COMPLETED"


async def test_the_family_gives_feedback_once_after_completion(api, world):
    visit = await propose(api, world)
    await accept(api, world, visit)
    early = await api.data(FEEDBACK, {"homeVisitId": visit["id"], "stars": 5}, token=world["parent_a"].token)
    assert user_error_codes(early["giveHomeVisitFeedback"]) == [("INVALID_STATE", "homeVisitId")]
    await move_into_past(visit["id"])
    await api.data(RECORD, {"input": {"homeVisitId": visit["id"], "durationMinutes": 40, "topics": ["学习"],
                                      "summary": "顺利", "followUpNeeded": False}}, token=world["teacher_a"].token)
    out_of_range = await api.data(FEEDBACK, {"homeVisitId": visit["id"], "stars": 6}, token=world["parent_a"].token)
    assert user_error_codes(out_of_range["giveHomeVisitFeedback"]) == [("INVALID_INPUT", "stars")]
    given = await api.data(FEEDBACK, {"homeVisitId": visit["id"], "stars": 5, "comment": "老师很用心"},
                           token=world["parent_a"].token)
    assert given["giveHomeVisitFeedback"]["homeVisit"]["guardianFeedback"] == {"stars": 5, "comment": "老师很用心"}
    twice = await api.data(FEEDBACK, {"homeVisitId": visit["id"], "stars": 1}, token=world["parent_a"].token)
    assert user_error_codes(twice["giveHomeVisitFeedback"]) == [("INVALID_STATE", "homeVisitId")]


async def test_a_confirmed_visit_left_unrecorded_becomes_missed(api, world):
    visit = await propose(api, world)
    await accept(api, world, visit)
    await move_into_past(visit["id"], hours_ago=50)
    await connections.get("default").execute_query(
        "UPDATE scheduled_job SET due_at = now() WHERE subject_id = $1 AND kind = 'visit_missed'",
        [row_id(visit["id"])])
    # the job checks the visit's own end: move it too, as the clock would have
    await connections.get("default").execute_query(
        "UPDATE scheduled_job j SET due_at = v.scheduled_end + interval '48 hours' FROM home_visit v "
        "WHERE v.id = j.subject_id AND j.subject_id = $1 AND j.kind = 'visit_missed'", [row_id(visit["id"])])

    async def missed() -> bool:
        node = (await api.data(VISIT, {"id": visit["id"]}, token=world["teacher_a"].token))["node"]
        return node["status"] == "MISSED"

    await eventually(missed, within=5)
    assert "家访未记录" in await _notifications(api, world["teacher_a"])


async def test_reminders_reach_everyone_once_and_skip_moved_visits(api, world):
    visit = await propose(api, world, companions=["teacher_a_other"], slots=[slot(3, 10)])
    await accept(api, world, visit)
    db = connections.get("default")
    # a stale reminder, as a visit moved since would leave behind: it is skipped
    await db.execute_query("INSERT INTO scheduled_job (kind, subject_id, due_at, attempts) "
                           "VALUES ('visit_reminder_2h', $1, now() - interval '1 minute', 0)", [row_id(visit["id"])])
    # time travel: the visit starts in just under 24 hours, so its day-before reminder is due
    await db.execute_query("UPDATE home_visit SET scheduled_start = now() + interval '24 hours' - interval '1 second'"
                           " WHERE id = $1", [row_id(visit["id"])])
    await db.execute_query("UPDATE scheduled_job j SET due_at = v.scheduled_start - interval '24 hours' "
                           "FROM home_visit v WHERE v.id = j.subject_id AND j.subject_id = $1 "
                           "AND j.kind = 'visit_reminder_24h'", [row_id(visit["id"])])

    async def reminded() -> bool:
        for who in ("teacher_a", "teacher_a_other", "parent_a"):
            if "家访提醒" not in await _notifications(api, world[who]):
                return False
        return True

    await eventually(reminded, within=5)
    await asyncio.sleep(0.5)
    assert (await _notifications(api, world["parent_a"])).count("家访提醒") == 1


async def test_my_schedule_lists_visits_as_lead_or_companion_in_the_window(api, world):
    visit = await propose(api, world, companions=["teacher_a_other"], slots=[slot(2, 10)])
    await accept(api, world, visit)
    window = {"from": slot(1, 8)["startsAt"], "to": slot(4, 8)["startsAt"], "first": 20}
    for who in ("teacher_a", "teacher_a_other"):
        body = await api.data(SCHEDULE, window, token=world[who].token)
        nodes = body["homeVisits"]["nodes"]
        assert [n["id"] for n in nodes] == [visit["id"]], who
        assert nodes[0]["address"] == "包头市昆都仑区阿尔丁大街 88 号"
    later = await api.data(SCHEDULE, window | {"from": slot(5, 8)["startsAt"], "to": slot(9, 8)["startsAt"]},
                           token=world["teacher_a"].token)
    assert later["homeVisits"]["totalCount"] == 0
    colleague = await make_person("不相关的老师", ("TEACHER", {"school_id": world.school_a.id}))
    assert (await api.data(SCHEDULE, window, token=colleague.token))["homeVisits"]["totalCount"] == 0
