"""The record follows the student across school stages; the watch level is derived."""

from __future__ import annotations

from tortoise import connections

from services.organisation.models import SchoolClass
from tests.helpers import contract_operation, make_person
from tests.wellbeing.helpers import ACKNOWLEDGE, DETAIL, raise_alert, row_id

TRANSFER = contract_operation("organisation.graphql", "TransferStudent")
STUDENT_WELLBEING = contract_operation("wellbeing.graphql", "StudentWellbeing")
RESOLVE = contract_operation("wellbeing.graphql", "ResolveAlert")
INBOX = contract_operation("notifications.graphql", "Inbox")


async def _watch(api, world, who="counsellor_a", student="a"):
    node = (await api.data(STUDENT_WELLBEING, {"studentId": world.gid(world.students[student])},
                           token=world[who].token))["node"]
    return node and node["wellbeing"] and node["wellbeing"]["watchLevel"]


async def test_a_transfer_hands_the_record_to_the_new_school(api, world):
    alert = await raise_alert(api, world)
    junior_class = await SchoolClass.create(school_id=world.school_a2.id, grade=7, name="初一3班")
    new_counsellor = await make_person("一中心理老师", ("COUNSELLOR", {"school_id": world.school_a2.id}))
    await api.data(TRANSFER, {"input": {"studentId": world.gid(world.students["a"]),
                                        "toSchoolClassId": world.gid(junior_class), "reason": "小升初"}},
                   token=world["district_admin_a"].token)
    # the new school's counsellor sees the record, with a HANDOFF on the timeline, and was told
    detail = (await api.data(DETAIL, {"id": alert["id"]}, token=new_counsellor.token))["node"]
    assert detail["timeline"][-1]["kind"] == "HANDOFF"
    inbox = await api.data(INBOX, {"first": 5}, token=new_counsellor.token)
    assert [e["node"]["kind"] for e in inbox["viewer"]["notifications"]["edges"]] == ["HANDOFF"]
    record = (await api.data(STUDENT_WELLBEING, {"studentId": world.gid(world.students["a"])},
                             token=new_counsellor.token))["node"]
    assert record["school"]["name"] == "昆都仑区第一中学"
    assert record["wellbeing"]["watchLevel"] == "KEY_CONCERN"
    assert [(h["fromSchool"]["name"], h["toSchool"]["name"]) for h in record["wellbeing"]["handoffs"]] == [
        ("昆都仑区第一小学", "昆都仑区第一中学")]
    assert [a["id"] for a in record["wellbeing"]["alerts"]["nodes"]] == [alert["id"]]
    # the old school's counsellor no longer does
    assert (await api.data(DETAIL, {"id": alert["id"]}, token=world["counsellor_a"].token))["node"] is None
    assert (await api.data(STUDENT_WELLBEING, {"studentId": world.gid(world.students["a"])},
                           token=world["counsellor_a"].token))["node"] is None


async def test_the_watch_level_follows_the_open_and_recent_alerts(api, world):
    assert await _watch(api, world) == "NONE"
    medium = await raise_alert(api, world, severity="MEDIUM")
    assert await _watch(api, world) == "ATTENTION"
    high = await raise_alert(api, world, severity="HIGH")
    assert await _watch(api, world) == "KEY_CONCERN"
    critical = await raise_alert(api, world, severity="CRITICAL")
    assert await _watch(api, world) == "CRISIS"
    for alert in (critical, high, medium):
        await api.data(RESOLVE, {"alertId": alert["id"], "resolution": "已处理", "outcome": "SUPPORTED_IN_SCHOOL"},
                       token=world["counsellor_a"].token)
    assert await _watch(api, world) == "ATTENTION"  # resolved in the last 90 days
    await connections.get("default").execute_query(
        "UPDATE wellbeing_alert SET resolved_at = now() - interval '91 days' WHERE id = ANY($1)",
        [[row_id(a["id"]) for a in (critical, high, medium)]])
    assert await _watch(api, world) == "NONE"


async def test_only_the_students_counsellors_see_the_record(api, world):
    await raise_alert(api, world)
    for person, expected in [("counsellor_a", "KEY_CONCERN"), ("district_counsellor_a", "KEY_CONCERN"),
                             ("city_counsellor", "KEY_CONCERN"), ("teacher_a", None), ("parent_a", None),
                             ("school_admin_a", None)]:
        assert await _watch(api, world, who=person) == expected, person
    # the district counsellor sees the record, but not a HIGH alert still at school level
    record = (await api.data(STUDENT_WELLBEING, {"studentId": world.gid(world.students["a"])},
                             token=world["district_counsellor_a"].token))["node"]["wellbeing"]
    assert record["alerts"]["nodes"] == []


async def _transfer(api, world, school_class, by="district_admin_a", student="a"):
    body = await api.data(TRANSFER, {"input": {"studentId": world.gid(world.students[student]),
                                               "toSchoolClassId": world.gid(school_class), "reason": "转学"}},
                          token=world[by].token)
    assert body["transferStudent"]["userErrors"] == []


async def _inbox_kinds(api, person) -> list[str]:
    inbox = await api.data(INBOX, {"first": 10}, token=person.token)
    return [e["node"]["kind"] for e in inbox["viewer"]["notifications"]["edges"]]


async def _pending_deadlines(alert_gid) -> int:
    rows = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM scheduled_job WHERE subject_id = $1 AND done_at IS NULL AND kind = 'alert_deadline'",
        [row_id(alert_gid)])
    return rows[0]["n"]


async def test_a_transfer_to_a_school_without_a_counsellor_moves_the_alert_up_at_once(api, world):
    alert = await raise_alert(api, world)
    junior_class = await SchoolClass.create(school_id=world.school_a2.id, grade=7, name="初一1班")
    await _transfer(api, world, junior_class)
    detail = (await api.data(DETAIL, {"id": alert["id"]}, token=world["district_counsellor_a"].token))["node"]
    assert detail["level"] == "DISTRICT" and detail["status"] == "OPEN"
    assert [(e["kind"], e["note"]) for e in detail["timeline"][-2:]] == [
        ("HANDOFF", None), ("ESCALATED", "本级无人值守，已直接上报。")]
    assert detail["acknowledgeBy"] > alert["acknowledgeBy"]  # a fresh deadline at the new level
    assert await _inbox_kinds(api, world["district_counsellor_a"]) == ["ALERT"]
    assert await _pending_deadlines(alert["id"]) == 1


async def test_an_acknowledged_alert_does_not_stay_with_nobody_after_a_transfer(api, world):
    alert = await raise_alert(api, world)
    await api.data(ACKNOWLEDGE, {"alertId": alert["id"]}, token=world["counsellor_a"].token)
    junior_class = await SchoolClass.create(school_id=world.school_a2.id, grade=7, name="初一2班")
    await _transfer(api, world, junior_class)
    detail = (await api.data(DETAIL, {"id": alert["id"]}, token=world["district_counsellor_a"].token))["node"]
    assert (detail["level"], detail["status"]) == ("DISTRICT", "OPEN")
    assert await _pending_deadlines(alert["id"]) == 1


async def test_a_crisis_transferred_to_another_district_pages_that_district(api, world):
    counsellor_b_district = await make_person("青山心理中心", ("COUNSELLOR", {"district_id": world.district_b.id}))
    alert = await raise_alert(api, world, severity="CRITICAL")
    await _transfer(api, world, world.class_b1, by="city_admin")
    detail = (await api.data(DETAIL, {"id": alert["id"]}, token=world["counsellor_b"].token))["node"]
    assert (detail["level"], detail["status"]) == ("SCHOOL", "OPEN")  # the new school has a counsellor
    assert [(e["kind"], e["note"]) for e in detail["timeline"][-2:]] == [
        ("HANDOFF", None), ("NOTIFIED", "危急预警，已同时通知区级中心。")]
    assert await _inbox_kinds(api, counsellor_b_district) == ["ALERT"]
    assert await _inbox_kinds(api, world["counsellor_b"]) == ["HANDOFF"]
    # the old district's centre is no longer responsible
    assert (await api.data(DETAIL, {"id": alert["id"]}, token=world["district_counsellor_a"].token))["node"] is None


async def test_resolving_ends_the_alerts_pending_jobs(api, world):
    alert = await raise_alert(api, world, severity="CRITICAL")
    await api.data(ACKNOWLEDGE, {"alertId": alert["id"]}, token=world["counsellor_a"].token)
    await api.data(RESOLVE, {"alertId": alert["id"], "resolution": "已处理", "outcome": "SUPPORTED_IN_SCHOOL"},
                   token=world["counsellor_a"].token)
    rows = await connections.get("default").execute_query_dict(
        "SELECT kind, outcome FROM scheduled_job WHERE subject_id = $1 ORDER BY id", [row_id(alert["id"])])
    assert [(r["kind"], r["outcome"]) for r in rows] == [("alert_deadline", "cancelled"),
                                                        ("alert_follow_up", "cancelled")]
