"""Raising, seeing, acknowledging, escalating, resolving and sharing alerts."""

from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg

from tests.helpers import contract_operation, error_codes, user_error_codes
from tests.wellbeing.helpers import ACKNOWLEDGE, DETAIL, QUEUE, RAISE, event_kinds, raise_alert, row_id

MY_RAISED = contract_operation("wellbeing.graphql", "MyRaisedAlerts")
ESCALATE = contract_operation("wellbeing.graphql", "EscalateAlert")
ASSIGN = contract_operation("wellbeing.graphql", "AssignAlert")
NOTE = contract_operation("wellbeing.graphql", "AddAlertNote")
RESOLVE = contract_operation("wellbeing.graphql", "ResolveAlert")
SHARE = contract_operation("wellbeing.graphql", "ShareAlertWithGuardians")
SHARES = contract_operation("wellbeing.graphql", "ChildWellbeingShares")
SET_POLICY = contract_operation("wellbeing.graphql", "SetEscalationPolicy")
POLICIES = contract_operation("wellbeing.graphql", "EscalationPolicies")
AUDIT = contract_operation("wellbeing.graphql", "AuditTrail")
INBOX = contract_operation("notifications.graphql", "Inbox")


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


async def _queue_ids(api, token, **filter_) -> list[str]:
    body = await api.data(QUEUE, {"first": 50, "filter": filter_ or None}, token=token)
    return [e["node"]["id"] for e in body["wellbeingAlerts"]["edges"]]


async def test_a_teacher_raises_and_the_school_counsellors_are_paged(api, world):
    alert = await raise_alert(api, world)
    assert alert["status"] == "OPEN" and alert["level"] == "SCHOOL" and alert["severity"] == "HIGH"
    assert _parse(alert["acknowledgeBy"]) - _parse(alert["raisedAt"]) == dt.timedelta(hours=2)
    # the school's counsellor has it in the queue and the inbox
    assert await _queue_ids(api, world["counsellor_a"].token) == [alert["id"]]
    inbox = await api.data(INBOX, {"first": 5}, token=world["counsellor_a"].token)
    assert inbox["viewer"]["unreadNotificationCount"] == 1
    node = inbox["viewer"]["notifications"]["edges"][0]["node"]
    assert node["kind"] == "ALERT" and node["subject"]["id"] == alert["id"]
    assert node["title"] == "心理健康预警" and "张小明" not in node["body"]
    # nobody else of the programme sees a HIGH alert at school level
    for person in ("counsellor_b", "district_counsellor_a", "city_counsellor", "school_admin_a", "teacher_a_other",
                   "parent_a", "city_admin"):
        assert await _queue_ids(api, world[person].token) == [], person
        node = await api.data(DETAIL, {"id": alert["id"]}, token=world[person].token)
        assert node["node"] is None, person
    assert await event_kinds(alert["id"]) == ["RAISED"]


async def test_a_critical_alert_pages_the_district_at_once(api, world):
    alert = await raise_alert(api, world, severity="CRITICAL", summary="表达了轻生念头")
    assert _parse(alert["acknowledgeBy"]) - _parse(alert["raisedAt"]) == dt.timedelta(minutes=15)
    assert await _queue_ids(api, world["district_counsellor_a"].token) == [alert["id"]]
    inbox = await api.data(INBOX, {"first": 5}, token=world["district_counsellor_a"].token)
    assert inbox["viewer"]["unreadNotificationCount"] == 1
    assert await _queue_ids(api, world["city_counsellor"].token) == []
    assert await event_kinds(alert["id"]) == ["RAISED", "NOTIFIED"]


async def test_the_raiser_sees_the_card_and_status_but_not_the_record(api, world):
    alert = await raise_alert(api, world)
    mine = await api.data(MY_RAISED, {"first": 10}, token=world["teacher_a"].token)
    assert [n["id"] for n in mine["wellbeingAlerts"]["nodes"]] == [alert["id"]]
    detail = (await api.data(DETAIL, {"id": alert["id"]}, token=world["teacher_a"].token))["node"]
    assert detail["summary"] == "上课时情绪低落，多次哭泣"
    assert detail["details"] == "近两周成绩下滑，与同学疏远。"  # the raiser's own words
    assert detail["timeline"] is None and detail["sharedWithGuardians"] is None
    assert detail["raisedBy"]["id"] == world["teacher_a"].id
    await api.data(NOTE, {"alertId": alert["id"], "body": "已约谈家长"}, token=world["counsellor_a"].token)
    assert (await api.data(DETAIL, {"id": alert["id"]}, token=world["teacher_a"].token))["node"]["timeline"] is None


async def test_a_counsellor_reads_details_and_timeline_and_each_read_is_audited(api, world):
    alert = await raise_alert(api, world)
    detail = (await api.data(DETAIL, {"id": alert["id"]}, token=world["counsellor_a"].token))["node"]
    assert detail["details"] == "近两周成绩下滑，与同学疏远。"
    assert [e["kind"] for e in detail["timeline"]] == ["RAISED"]
    assert detail["timeline"][0]["actor"]["id"] == world["teacher_a"].id
    assert detail["student"]["school"]["district"]["name"] == "昆都仑区"
    trail = await api.data(AUDIT, {"first": 20, "filter": {"subjectId": alert["id"], "action": "READ_ALERT"}},
                           token=world["city_admin"].token)
    reads = trail["auditEvents"]["nodes"]
    assert len(reads) == 2  # the details and the timeline
    assert {r["actor"]["id"] for r in reads} == {world["counsellor_a"].id}
    assert all(r["clientAddress"] == "127.0.0.1" and r["subject"]["id"] == alert["id"] for r in reads)
    # the queue shows cards only: reading it writes no audit row
    await api.data(QUEUE, {"first": 10}, token=world["counsellor_a"].token)
    again = await api.data(AUDIT, {"first": 20, "filter": {"subjectId": alert["id"], "action": "READ_ALERT"}},
                           token=world["city_admin"].token)
    assert again["auditEvents"]["totalCount"] == 2


async def test_acknowledging_is_idempotent(api, world):
    alert = await raise_alert(api, world)
    first = (await api.data(ACKNOWLEDGE, {"alertId": alert["id"]}, token=world["counsellor_a"].token))
    card = first["acknowledgeWellbeingAlert"]["alert"]
    assert card["status"] == "ACKNOWLEDGED" and card["acknowledgedBy"]["id"] == world["counsellor_a"].id
    second = await api.data(ACKNOWLEDGE, {"alertId": alert["id"]}, token=world["counsellor_a"].token)
    assert second["acknowledgeWellbeingAlert"] == first["acknowledgeWellbeingAlert"]
    assert (await event_kinds(alert["id"])).count("ACKNOWLEDGED") == 1


async def test_two_counsellors_acknowledging_at_once_make_one_acknowledgement(api, world):
    alert = await raise_alert(api, world)
    from tests.helpers import make_person

    colleague = await make_person("另一位心理老师", ("COUNSELLOR", {"school_id": world.school_a.id}))
    results = await asyncio.gather(*[
        api.data(ACKNOWLEDGE, {"alertId": alert["id"]}, token=token)
        for token in [world["counsellor_a"].token, colleague.token] * 5
    ])
    acknowledged_by = {r["acknowledgeWellbeingAlert"]["alert"]["acknowledgedBy"]["id"] for r in results}
    assert len(acknowledged_by) == 1
    assert all(r["acknowledgeWellbeingAlert"]["userErrors"] == [] for r in results)
    assert (await event_kinds(alert["id"])).count("ACKNOWLEDGED") == 1


async def test_escalating_by_hand_pages_each_level_up_to_the_city(api, world):
    alert = await raise_alert(api, world)
    body = await api.data(ESCALATE, {"alertId": alert["id"], "reason": "需要区级心理中心介入"},
                          token=world["counsellor_a"].token)
    card = body["escalateWellbeingAlert"]["alert"]
    assert card["level"] == "DISTRICT" and card["status"] == "OPEN"
    assert await _queue_ids(api, world["district_counsellor_a"].token) == [alert["id"]]
    timeline = (await api.data(DETAIL, {"id": alert["id"]}, token=world["district_counsellor_a"].token)
                )["node"]["timeline"]
    assert timeline[-1]["kind"] == "ESCALATED" and timeline[-1]["note"] == "需要区级心理中心介入"
    assert timeline[-1]["level"] == "DISTRICT"
    to_city = await api.data(ESCALATE, {"alertId": alert["id"], "reason": "市级"},
                             token=world["district_counsellor_a"].token)
    assert to_city["escalateWellbeingAlert"]["alert"]["level"] == "CITY"
    assert await _queue_ids(api, world["city_counsellor"].token) == [alert["id"]]
    top = await api.data(ESCALATE, {"alertId": alert["id"], "reason": "再上报"}, token=world["city_counsellor"].token)
    assert user_error_codes(top["escalateWellbeingAlert"]) == [("INVALID_STATE", "alertId")]


async def test_assigning_needs_a_counsellor_responsible_for_the_alert(api, world):
    alert = await raise_alert(api, world)
    wrong = await api.data(ASSIGN, {"alertId": alert["id"], "assigneeId": world["counsellor_b"].id},
                           token=world["counsellor_a"].token)
    assert user_error_codes(wrong["assignWellbeingAlert"]) == [("INVALID_INPUT", "assigneeId")]
    right = await api.data(ASSIGN, {"alertId": alert["id"], "assigneeId": world["counsellor_a"].id},
                           token=world["counsellor_a"].token)
    assert right["assignWellbeingAlert"]["alert"]["assignee"]["id"] == world["counsellor_a"].id


async def test_resolving_needs_a_resolution_and_happens_once(api, world):
    alert = await raise_alert(api, world)
    token = world["counsellor_a"].token
    empty = await api.data(RESOLVE, {"alertId": alert["id"], "resolution": " ", "outcome": "SUPPORTED_IN_SCHOOL"},
                           token=token)
    assert user_error_codes(empty["resolveWellbeingAlert"]) == [("INVALID_INPUT", "resolution")]
    done = await api.data(RESOLVE, {"alertId": alert["id"], "resolution": "经过三次辅导情绪稳定",
                                    "outcome": "SUPPORTED_IN_SCHOOL"}, token=token)
    card = done["resolveWellbeingAlert"]["alert"]
    assert card["status"] == "RESOLVED" and card["resolvedAt"] is not None
    again = await api.data(RESOLVE, {"alertId": alert["id"], "resolution": "x", "outcome": "OTHER"}, token=token)
    assert user_error_codes(again["resolveWellbeingAlert"]) == [("INVALID_STATE", "alertId")]
    acknowledged = await api.data(ACKNOWLEDGE, {"alertId": alert["id"]}, token=token)
    assert acknowledged["acknowledgeWellbeingAlert"]["alert"]["status"] == "RESOLVED"


async def test_guardians_see_only_what_was_shared_with_them(api, world):
    alert = await raise_alert(api, world)
    shared = await api.data(SHARE, {"alertId": alert["id"], "message": "孩子最近压力较大，请多陪伴。"},
                            token=world["counsellor_a"].token)
    assert shared["shareWellbeingAlertWithGuardians"]["alert"]["sharedWithGuardians"] is True
    child = world.gid(world.students["a"])
    mine = (await api.data(SHARES, {"studentId": child}, token=world["parent_a"].token))["node"]
    assert [(s["message"], s["counsellor"]["displayName"]) for s in mine["wellbeingSharesWithGuardians"]] == [
        ("孩子最近压力较大，请多陪伴。", "一小心理老师")]
    inbox = await api.data(INBOX, {"first": 5}, token=world["parent_a"].token)
    assert inbox["viewer"]["notifications"]["edges"][0]["node"]["title"] == "学校心理教师的留言"
    assert (await api.data(DETAIL, {"id": alert["id"]}, token=world["parent_a"].token))["node"] is None
    assert (await api.data(SHARES, {"studentId": child}, token=world["parent_b"].token))["node"] is None
    teacher_view = (await api.data(SHARES, {"studentId": child}, token=world["teacher_a"].token))["node"]
    assert teacher_view["wellbeingSharesWithGuardians"] == []


async def test_a_guardian_may_report_about_their_own_child_only(api, world):
    wrong_source = await api.data(RAISE, {"input": {
        "studentId": world.gid(world.students["a"]), "severity": "MEDIUM", "category": "FAMILY_CONFLICT",
        "source": "TEACHER_OBSERVATION", "summary": "在家情绪激动"}}, token=world["parent_a"].token)
    assert user_error_codes(wrong_source["raiseWellbeingAlert"]) == [("INVALID_INPUT", "source")]
    alert = await raise_alert(api, world, by="parent_a", severity="MEDIUM", source="GUARDIAN_REPORT")
    assert alert["level"] == "SCHOOL"
    other = await api.data(RAISE, {"input": {
        "studentId": world.gid(world.students["b"]), "severity": "MEDIUM", "category": "OTHER",
        "source": "GUARDIAN_REPORT", "summary": "x"}}, token=world["parent_a"].token)
    assert user_error_codes(other["raiseWellbeingAlert"]) == [("NOT_FOUND", "studentId")]
    teacher_elsewhere = await api.data(RAISE, {"input": {
        "studentId": world.gid(world.students["b"]), "severity": "LOW", "category": "OTHER",
        "source": "TEACHER_OBSERVATION", "summary": "x"}}, token=world["teacher_a"].token)
    assert user_error_codes(teacher_elsewhere["raiseWellbeingAlert"]) == [("NOT_FOUND", "studentId")]


async def test_a_policy_change_affects_only_new_alerts(api, world):
    before = await raise_alert(api, world, severity="MEDIUM")
    too_short = await api.data(SET_POLICY, {"severity": "MEDIUM", "acknowledgeWithinMinutes": 0},
                               token=world["city_admin"].token)
    assert user_error_codes(too_short["setEscalationPolicy"]) == [("INVALID_INPUT", "acknowledgeWithinMinutes")]
    changed = await api.data(SET_POLICY, {"severity": "MEDIUM", "acknowledgeWithinMinutes": 30},
                             token=world["city_admin"].token)
    assert changed["setEscalationPolicy"]["policy"] == {"severity": "MEDIUM", "acknowledgeWithinMinutes": 30}
    policies = await api.data(POLICIES, token=world["counsellor_a"].token)
    assert [(p["severity"], p["acknowledgeWithinMinutes"]) for p in policies["escalationPolicies"]] == [
        ("LOW", 4320), ("MEDIUM", 30), ("HIGH", 120), ("CRITICAL", 15)]
    after = await raise_alert(api, world, severity="MEDIUM")
    assert _parse(after["acknowledgeBy"]) - _parse(after["raisedAt"]) == dt.timedelta(minutes=30)
    kept = (await api.data(DETAIL, {"id": before["id"]}, token=world["counsellor_a"].token))["node"]
    assert _parse(kept["acknowledgeBy"]) - _parse(kept["raisedAt"]) == dt.timedelta(hours=24)


async def test_the_database_holds_only_ciphertext(api, world, settings):
    alert = await raise_alert(api, world, summary="独特的摘要文本甲", details="独特的详情文本乙")
    await api.data(NOTE, {"alertId": alert["id"], "body": "独特的记录文本丙"}, token=world["counsellor_a"].token)
    await api.data(SHARE, {"alertId": alert["id"], "message": "独特的留言文本丁"}, token=world["counsellor_a"].token)
    connection = await asyncpg.connect(settings.database_url.replace("postgres://", "postgresql://", 1))
    try:
        rows = []
        for table in ("wellbeing_alert", "wellbeing_alert_event", "wellbeing_share", "notification", "audit_event"):
            rows += await connection.fetch(f"SELECT * FROM {table}")
        dump = "\n".join(str(tuple(r)) for r in rows)
    finally:
        await connection.close()
    for secret in ("独特的摘要文本甲", "独特的详情文本乙", "独特的记录文本丙", "独特的留言文本丁"):
        for form in (secret, secret.encode().hex(), repr(secret.encode())):
            assert form not in dump


async def test_a_ciphertext_moved_to_another_row_does_not_open(api, world, settings):
    first = await raise_alert(api, world, details="第一条的详情")
    second = await raise_alert(api, world, details="第二条的详情")
    connection = await asyncpg.connect(settings.database_url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(
            "UPDATE wellbeing_alert SET details_sealed = (SELECT details_sealed FROM wellbeing_alert WHERE id = $1) "
            "WHERE id = $2", row_id(first["id"]), row_id(second["id"]))
    finally:
        await connection.close()
    body = await api.gql(DETAIL, {"id": second["id"]}, token=world["counsellor_a"].token)
    assert error_codes(body) == ["INTERNAL_ERROR"]
    assert "第一条的详情" not in str(body)


async def test_a_read_whose_audit_row_cannot_be_written_fails(api, world, settings):
    alert = await raise_alert(api, world)
    connection = await asyncpg.connect(settings.database_url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute("ALTER TABLE audit_event ADD CONSTRAINT no_more_rows CHECK (false) NOT VALID")
    finally:
        await connection.close()
    body = await api.gql(DETAIL, {"id": alert["id"]}, token=world["counsellor_a"].token)
    assert "INTERNAL_ERROR" in error_codes(body)
    assert "近两周成绩下滑" not in str(body)


async def test_shared_messages_follow_the_alerts_tiers_and_every_read_is_audited(api, world):
    from services.audit import AuditEvent
    from tests.wellbeing.helpers import row_id

    alert = await raise_alert(api, world)  # HIGH, at school level
    await api.data(SHARE, {"alertId": alert["id"], "message": "请家长本周与班主任面谈。"},
                   token=world["counsellor_a"].token)
    share_id = (await api.data(SHARES, {"studentId": world.gid(world.students["a"])},
                               token=world["parent_a"].token))["node"]["wellbeingSharesWithGuardians"][0]["id"]
    child = world.gid(world.students["a"])

    async def messages(who):
        node = (await api.data(SHARES, {"studentId": child}, token=world[who].token))["node"]
        return node and [s["message"] for s in node["wellbeingSharesWithGuardians"]]

    # the district centre sees the record, but not a HIGH alert still at school level: nor its message
    assert await messages("district_counsellor_a") == []
    assert (await api.data("query($id: ID!) { node(id: $id) { id } }", {"id": share_id},
                           token=world["district_counsellor_a"].token))["node"] is None
    assert await messages("city_counsellor") == []
    assert await messages("counsellor_a") == ["请家长本周与班主任面谈。"]
    # once the alert is the district's, so is the message
    await api.data(ESCALATE, {"alertId": alert["id"], "reason": "需要区级介入"}, token=world["counsellor_a"].token)
    assert await messages("district_counsellor_a") == ["请家长本周与班主任面谈。"]
    reads = await AuditEvent.filter(action="READ_ALERT", subject_type="WellbeingShare",
                                    subject_id=row_id(share_id)).values_list("actor_id", flat=True)
    assert sorted(map(str, reads)) == sorted(str(world[who].user.id) for who in
                                             ("parent_a", "counsellor_a", "district_counsellor_a"))
