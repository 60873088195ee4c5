"""School notices: who sends to whom, one receipt per guardian, the three confirmation modes, reminders,
recall, scheduled sending exactly once, the unconfirmed list, and a fan-out in batches."""

from __future__ import annotations

import datetime as dt

import pytest
from tortoise import connections

from services.notices import service
from services.notices.models import Notice, NoticeReceipt
from services.organisation.models import SchoolClass
from tests.helpers import contract_operation, error_codes, make_person, make_student, user_error_codes
from tests.test_access_matrix import ROLES
from tests.wellbeing.helpers import eventually, row_id


def _op(name: str) -> str:
    return contract_operation("notices.graphql", name)


SEND, MINE, READ, CONFIRM = _op("SendNotice"), _op("MyNotices"), _op("ReadNotice"), _op("ConfirmNotice")
SENT, UNCONFIRMED, REMIND, RECALL = _op("SentNotices"), _op("NoticeUnconfirmedRecipients"), _op(
    "RemindUnconfirmedNotice"), _op("RecallNotice")
INBOX = contract_operation("notifications.graphql", "Inbox")


def _input(world, **overrides) -> dict:
    return {"title": "春季运动会", "body": "4 月 20 日上午举行，请为孩子准备运动服。", "confirmationMode": "CONFIRM",
            "audience": {"schoolClassIds": [world.gid(world.class_a1)]}} | overrides


async def _send(api, world, by="teacher_a", **overrides) -> dict:
    return (await api.data(SEND, {"input": _input(world, **overrides)}, token=world[by].token))["sendNotice"]


async def _delivered(notice: dict) -> Notice:
    async def done():
        found = await Notice.get(id=row_id(notice["id"]))
        return found if found.delivered_at is not None else None

    return await eventually(done)


async def _mine(api, world, who, **variables) -> dict:
    return (await api.data(MINE, {"first": 20} | variables, token=world[who].token))["viewer"]


async def _confirm(api, world, notice, who="parent_a", **fields) -> dict:
    body = await api.data(CONFIRM, {"input": {"noticeId": notice["id"], **fields}}, token=world[who].token)
    return body["confirmNotice"]


async def _sent(api, world, who="teacher_a") -> dict:
    body = await api.data(SENT, {"first": 20}, token=world[who].token)
    return {n["id"]: n for n in body["viewer"]["sentNotices"]["nodes"]}


async def test_a_teachers_notice_reaches_the_guardians_of_the_class_once_each(api, world):
    sent = await _send(api, world)
    assert sent["userErrors"] == []
    notice = sent["notice"]
    assert (notice["status"], notice["audience"]["kind"], notice["sentAt"] is not None) == (
        "SENT", "SCHOOL_CLASSES", True)
    await _delivered(notice)
    mine = await _mine(api, world, "parent_a")
    assert mine["unconfirmedNoticeCount"] == 1
    (edge,) = mine["notices"]["edges"]
    assert edge["node"]["title"] == "春季运动会" and edge["node"]["sender"]["displayName"] == "王老师"
    assert [c["displayName"] for c in edge["node"]["viewerReceipt"]["children"]] == ["张小明"]
    inbox = (await api.data(INBOX, {"first": 5}, token=world["parent_a"].token))["viewer"]["notifications"]["edges"]
    assert [e["node"]["title"] for e in inbox] == ["新通知：春季运动会"]
    assert (await _mine(api, world, "parent_a2"))["notices"]["totalCount"] == 0  # not in the class
    stats = (await _sent(api, world))[notice["id"]]["stats"]
    assert stats == {"recipients": 1, "read": 0, "confirmed": 0, "students": 1, "studentsConfirmed": 0,
                     "replies": []}


async def test_senders_reach_only_their_own_classes_schools_and_districts(api, world):
    assert user_error_codes(await _send(api, world, audience={"schoolClassIds": [world.gid(world.class_a2)]})) == [
        ("NOT_FOUND", "audience.schoolClassIds[0]")]
    assert (await _send(api, world, by="teacher_a_other"))["userErrors"] == []  # teaches the class maths
    assert user_error_codes(await _send(api, world, audience={"schoolId": world.gid(world.school_a)})) == [
        ("NOT_FOUND", "audience.schoolId")]
    both = {"schoolClassIds": [world.gid(world.class_a1)], "schoolId": world.gid(world.school_a)}
    assert user_error_codes(await _send(api, world, audience=both)) == [("INVALID_INPUT", "audience")]
    assert user_error_codes(await _send(api, world, audience={})) == [("INVALID_INPUT", "audience")]
    grade = await _send(api, world, by="school_admin_a", audience={"schoolId": world.gid(world.school_a), "grade": 3})
    assert grade["userErrors"] == [] and grade["notice"]["audience"]["kind"] == "SCHOOL_GRADE"
    pilots = await _send(api, world, by="district_admin_a",
                         audience={"districtId": world.gid(world.district_a), "pilotSchoolsOnly": True})
    assert pilots["notice"]["audience"]["kind"] == "DISTRICT_PILOT_SCHOOLS"
    assert user_error_codes(await _send(api, world, by="district_admin_b",
                                        audience={"districtId": world.gid(world.district_a)})) == [
        ("NOT_FOUND", "audience.districtId")]
    for role in ("parent", "counsellor", "city_admin", "instructor", "station_staff"):
        assert error_codes(await api.gql(SEND, {"input": _input(world)}, token=world[ROLES[role]].token)) == [
            "FORBIDDEN"], role
    empty = await SchoolClass.create(school_id=world.school_a.id, grade=4, name="四年级1班",
                                     homeroom_teacher_id=world["teacher_a"].user.id)
    assert user_error_codes(await _send(api, world, audience={"schoolClassIds": [world.gid(empty)]})) == [
        ("INVALID_STATE", "audience")]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"title": " "}, "title"), ({"title": "长" * 61}, "title"), ({"body": "长" * 2001}, "body"),
    ({"confirmationMode": "READ_ONLY", "replyOptions": ["参加", "不参加"]}, "replyOptions"),
    ({"replyOptions": ["参加"]}, "replyOptions"), ({"replyOptions": ["参加", "参加"]}, "replyOptions"),
    ({"replyOptions": ["参加", "长" * 21]}, "replyOptions[1]"), ({"title": "运动会\x00"}, "title"),
    ({"scheduledFor": "2020-01-01T08:00:00+08:00"}, "scheduledFor"),
    ({"deadline": "2020-01-01T08:00:00+08:00"}, "deadline"),
])
async def test_every_limit_of_a_notice_is_its_own_error_and_nothing_is_sent(api, world, overrides, field):
    assert user_error_codes(await _send(api, world, **overrides)) == [("INVALID_INPUT", field)]
    assert await Notice.all().count() == 0


async def test_a_guardian_of_two_children_gets_one_notice_and_each_guardian_confirms(api, world):
    second = await make_student("张小亮", world.class_a1, world["parent_a"])
    father = world["parent_a2"]
    from services.organisation.models import Guardianship

    await Guardianship.create(student_id=world.students["a"].id, guardian_id=father.user.id, relationship="FATHER")
    notice = (await _send(api, world, by="school_admin_a", audience={"schoolId": world.gid(world.school_a)},
                          replyOptions=["参加", "不参加"]))["notice"]
    await _delivered(notice)
    receipts = await NoticeReceipt.filter(notice_id=row_id(notice["id"])).count()
    assert receipts == 2  # 张妈妈 once for her two children, 陈爸爸 once (张小明, and 陈小红 of class 2)
    mother = (await _mine(api, world, "parent_a"))["notices"]["edges"][0]["node"]
    assert sorted(c["displayName"] for c in mother["viewerReceipt"]["children"]) == ["张小亮", "张小明"]
    option = notice["replyOptions"][0]
    assert (await _confirm(api, world, notice, replyOptionId=option["id"]))["userErrors"] == []
    stats = (await _sent(api, world, "school_admin_a"))[notice["id"]]["stats"]
    assert (stats["recipients"], stats["confirmed"], stats["students"], stats["studentsConfirmed"]) == (2, 1, 3, 2)
    assert [(r["option"]["label"], r["count"]) for r in stats["replies"]] == [("参加", 1), ("不参加", 0)]
    assert second is not None


async def test_confirm_sign_and_reply_once_the_reply_may_change_until_the_deadline(api, world):
    notice = (await _send(api, world, confirmationMode="SIGNATURE", replyOptions=["参加", "不参加"]))["notice"]
    await _delivered(notice)
    yes, no = (o["id"] for o in notice["replyOptions"])
    assert user_error_codes(await _confirm(api, world, notice, replyOptionId=yes)) == [
        ("INVALID_INPUT", "signatureName")]
    assert user_error_codes(await _confirm(api, world, notice, signatureName="张", replyOptionId=yes)) == [
        ("INVALID_INPUT", "signatureName")]
    assert user_error_codes(await _confirm(api, world, notice, signatureName="张丽华")) == [
        ("INVALID_INPUT", "replyOptionId")]
    assert user_error_codes(await _confirm(api, world, notice, signatureName="张丽华", replyOptionId="9")) == [
        ("INVALID_INPUT", "replyOptionId")]
    first = await _confirm(api, world, notice, signatureName="张丽华", replyOptionId=yes)
    receipt = first["notice"]["viewerReceipt"]
    assert (receipt["signatureName"], receipt["replyOption"]["label"], receipt["readAt"] is not None) == (
        "张丽华", "参加", True)
    again = await _confirm(api, world, notice, signatureName="别的名字", replyOptionId=no)
    assert again["notice"]["viewerReceipt"]["confirmedAt"] == receipt["confirmedAt"]
    assert again["notice"]["viewerReceipt"]["signatureName"] == "张丽华"
    assert again["notice"]["viewerReceipt"]["replyOption"]["label"] == "不参加"
    await connections.get("default").execute_query(
        "UPDATE notice SET deadline = now() - interval '1 minute' WHERE id = $1", [row_id(notice["id"])])
    late = await _confirm(api, world, notice, signatureName="张丽华", replyOptionId=yes)
    assert user_error_codes(late) == [("INVALID_STATE", "noticeId")]
    assert (await _mine(api, world, "parent_a", unconfirmedOnly=True))["notices"]["totalCount"] == 0
    stranger = await api.data(CONFIRM, {"input": {"noticeId": notice["id"]}}, token=world["parent_b"].token)
    assert user_error_codes(stranger["confirmNotice"]) == [("NOT_FOUND", "noticeId")]


async def test_opening_a_read_only_notice_confirms_it_and_reads_its_inbox_notification(api, world):
    notice = (await _send(api, world, confirmationMode="READ_ONLY"))["notice"]
    await _delivered(notice)
    assert user_error_codes(await _confirm(api, world, notice, signatureName="张丽华")) == [
        ("INVALID_INPUT", "signatureName")]
    opened = (await api.data(READ, {"noticeId": notice["id"]}, token=world["parent_a"].token))["readNotice"]
    assert opened["notice"]["body"].startswith("4 月 20 日") and opened["notice"]["viewerReceipt"]["confirmedAt"]
    first_read = opened["notice"]["viewerReceipt"]["readAt"]
    again = (await api.data(READ, {"noticeId": notice["id"]}, token=world["parent_a"].token))["readNotice"]
    assert again["notice"]["viewerReceipt"]["readAt"] == first_read
    inbox = (await api.data(INBOX, {"first": 5}, token=world["parent_a"].token))["viewer"]
    assert inbox["unreadNotificationCount"] == 0
    assert (await _mine(api, world, "parent_a"))["unconfirmedNoticeCount"] == 0
    assert (await _sent(api, world))[notice["id"]]["stats"]["confirmed"] == 1


async def test_reminders_at_most_every_five_minutes_to_the_unconfirmed_only(api, world):
    await make_student("张小亮", world.class_a1, world["parent_a2"])
    notice = (await _send(api, world))["notice"]
    await _delivered(notice)
    await _confirm(api, world, notice)
    too_soon = (await api.data(REMIND, {"noticeId": notice["id"]}, token=world["teacher_a"].token))
    assert user_error_codes(too_soon["remindUnconfirmedNotice"]) == [("RATE_LIMITED", "noticeId")]
    db = connections.get("default")
    await db.execute_query("UPDATE notice SET sent_at = now() - interval '6 minutes' WHERE id = $1",
                           [row_id(notice["id"])])
    reminded = (await api.data(REMIND, {"noticeId": notice["id"]}, token=world["teacher_a"].token))
    payload = reminded["remindUnconfirmedNotice"]
    assert payload["remindedCount"] == 1 and payload["notice"]["lastRemindedAt"]

    async def told():
        inbox = await api.data(INBOX, {"first": 5}, token=world["parent_a2"].token)
        return [e["node"]["title"] for e in inbox["viewer"]["notifications"]["edges"]]

    assert (await eventually(lambda: _has(told, "请确认通知：春季运动会")))
    mother = await api.data(INBOX, {"first": 5}, token=world["parent_a"].token)
    assert "请确认通知：春季运动会" not in [e["node"]["title"] for e in mother["viewer"]["notifications"]["edges"]]
    assert user_error_codes((await api.data(REMIND, {"noticeId": notice["id"]}, token=world["teacher_a"].token))[
        "remindUnconfirmedNotice"]) == [("RATE_LIMITED", "noticeId")]
    # nobody left: no error, nothing sent, and the five minutes do not restart
    await _confirm(api, world, notice, who="parent_a2")
    await db.execute_query("UPDATE notice SET last_reminded_at = now() - interval '6 minutes' WHERE id = $1",
                           [row_id(notice["id"])])
    before = (await Notice.get(id=row_id(notice["id"]))).last_reminded_at
    nobody = (await api.data(REMIND, {"noticeId": notice["id"]}, token=world["teacher_a"].token))
    assert nobody["remindUnconfirmedNotice"]["remindedCount"] == 0
    assert (await Notice.get(id=row_id(notice["id"]))).last_reminded_at == before
    other = await api.data(REMIND, {"noticeId": notice["id"]}, token=world["teacher_a_other"].token)
    assert user_error_codes(other["remindUnconfirmedNotice"]) == [("NOT_FOUND", "noticeId")]


async def _has(fetch, title):
    return title in await fetch()


async def test_a_recalled_notice_shows_recipients_no_content_and_takes_no_confirmation(api, world):
    notice = (await _send(api, world))["notice"]
    await _delivered(notice)
    recalled = (await api.data(RECALL, {"noticeId": notice["id"]}, token=world["teacher_a"].token))["recallNotice"]
    assert recalled["notice"]["status"] == "RECALLED" and recalled["notice"]["recalledAt"]
    again = (await api.data(RECALL, {"noticeId": notice["id"]}, token=world["teacher_a"].token))["recallNotice"]
    assert again["notice"]["recalledAt"] == recalled["notice"]["recalledAt"]
    seen = (await _mine(api, world, "parent_a"))["notices"]["edges"][0]["node"]
    assert (seen["status"], seen["title"]) == ("RECALLED", None)
    opened = (await api.data(READ, {"noticeId": notice["id"]}, token=world["parent_a"].token))["readNotice"]
    assert opened["userErrors"] == [] and opened["notice"]["body"] is None and opened["notice"]["replyOptions"] == []
    assert user_error_codes(await _confirm(api, world, notice)) == [("INVALID_STATE", "noticeId")]
    inbox = (await api.data(INBOX, {"first": 5}, token=world["parent_a"].token))["viewer"]["notifications"]["edges"]
    assert [e["node"]["title"] for e in inbox] == ["通知已撤回"]
    assert (await _sent(api, world))[notice["id"]]["title"] == "春季运动会"  # the sender sees it all
    late = (await _send(api, world))["notice"]
    await connections.get("default").execute_query(
        "UPDATE notice SET sent_at = now() - interval '25 hours' WHERE id = $1", [row_id(late["id"])])
    too_late = (await api.data(RECALL, {"noticeId": late["id"]}, token=world["teacher_a"].token))["recallNotice"]
    assert user_error_codes(too_late) == [("INVALID_STATE", "noticeId")]


async def test_a_scheduled_notice_goes_out_once_at_its_time_or_not_at_all(api, world):
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)).isoformat()
    notice = (await _send(api, world, scheduledFor=soon))["notice"]
    assert (notice["status"], notice["sentAt"], notice["scheduledFor"] is not None) == ("SCHEDULED", None, True)
    assert (await _mine(api, world, "parent_a"))["notices"]["totalCount"] == 0
    await _delivered(notice)
    assert (await _sent(api, world))[notice["id"]]["status"] == "SENT"
    assert await NoticeReceipt.filter(notice_id=row_id(notice["id"])).count() == 1
    inbox = (await api.data(INBOX, {"first": 5}, token=world["parent_a"].token))["viewer"]["notifications"]
    assert inbox["totalCount"] == 1
    # cancelled before its time: it reaches nobody
    later = (await _send(api, world, scheduledFor=(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()))
    cancelled = await api.data(RECALL, {"noticeId": later["notice"]["id"]}, token=world["teacher_a"].token)
    assert cancelled["recallNotice"]["notice"]["status"] == "CANCELLED"
    # a sender who loses the scope meanwhile: CANCELLED when its time comes
    again_soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)).isoformat()
    lost = (await _send(api, world, by="teacher_a_other", scheduledFor=again_soon))["notice"]
    await connections.get("default").execute_query(
        "DELETE FROM class_teacher WHERE teacher_id = $1", [world["teacher_a_other"].user.id])

    async def ended():
        found = await Notice.get(id=row_id(lost["id"]))
        return found.status if found.status != "SCHEDULED" else None

    assert await eventually(ended) == "CANCELLED"
    assert await NoticeReceipt.filter(notice_id=row_id(lost["id"])).count() == 0


async def test_the_unconfirmed_by_class_then_name_and_a_district_notice_keeps_names_back(api, world):
    await make_student("阿丽", world.class_a1, world["parent_a2"])
    notice = (await _send(api, world, by="school_admin_a", audience={"schoolId": world.gid(world.school_a)}))["notice"]
    await _delivered(notice)
    body = await api.data(UNCONFIRMED, {"noticeId": notice["id"], "first": 10}, token=world["school_admin_a"].token)
    rows = body["node"]["recipients"]["edges"]
    assert [(r["node"]["guardian"]["displayName"], [c["displayName"] for c in r["node"]["children"]]) for r in rows] \
        == [("张妈妈", ["张小明"]), ("陈爸爸", ["阿丽", "陈小红"])]  # 三年级1班: 张小明 before 阿丽 (code points)
    await _confirm(api, world, notice)
    body = await api.data(UNCONFIRMED, {"noticeId": notice["id"], "first": 10}, token=world["school_admin_a"].token)
    assert body["node"]["recipients"]["totalCount"] == 1 and body["node"]["stats"] == {"recipients": 2,
                                                                                        "confirmed": 1}
    assert (await api.data(UNCONFIRMED, {"noticeId": notice["id"], "first": 10},
                           token=world["teacher_a"].token))["node"] is None  # not theirs
    district = (await _send(api, world, by="district_admin_a",
                            audience={"districtId": world.gid(world.district_a)}))["notice"]
    await _delivered(district)
    body = await api.data(UNCONFIRMED, {"noticeId": district["id"], "first": 10},
                          token=world["district_admin_a"].token)
    assert body["node"]["recipients"] is None and body["node"]["stats"]["recipients"] == 2


async def test_a_fan_out_goes_in_batches_with_its_checkpoint_and_reaches_everyone_once(api, world, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 3)
    families = [await make_person(f"家长{i}", ("PARENT", {})) for i in range(10)]
    for i, parent in enumerate(families):
        await make_student(f"学生{i}", world.class_a1, parent)
    notice = (await _send(api, world))["notice"]
    await _delivered(notice)
    receipts = await NoticeReceipt.filter(notice_id=row_id(notice["id"])).values_list("guardian_id", flat=True)
    assert len(receipts) == len(set(receipts)) == 11
    jobs = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM scheduled_job WHERE kind = 'notice_send' AND subject_id = $1 "
        "AND done_at IS NOT NULL",
        [row_id(notice["id"])])
    assert jobs == [{"n": 4}]  # 3 + 3 + 3 + 2
    notifications = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM notification WHERE subject_type = 'Notice' AND subject_id = $1",
        [row_id(notice["id"])])
    assert notifications == [{"n": 11}]


async def test_guardians_linked_after_the_notice_went_out_do_not_get_it(api, world):
    notice = (await _send(api, world))["notice"]
    late = await make_person("后来的家长", ("PARENT", {}))
    await make_student("后来的学生", world.class_a1, late)
    await _delivered(notice)
    assert await NoticeReceipt.filter(notice_id=row_id(notice["id"]), guardian_id=late.user.id).count() == 0


NEW_FIGURES = contract_operation("screens-next.graphql", "ProgrammeDashboardNewFigures")


async def test_the_dashboard_counts_notices_and_confirmations_and_withholds_small_figures(api, world):
    families = [await make_person(f"家长{i}", ("PARENT", {})) for i in range(5)]
    for i, parent in enumerate(families):
        await make_student(f"学生{i}", world.class_a1, parent)
    asked = (await _send(api, world))["notice"]
    read_only = (await _send(api, world, confirmationMode="READ_ONLY"))["notice"]
    recalled = (await _send(api, world))["notice"]
    for notice in (asked, read_only, recalled):
        await _delivered(notice)
    await api.data(RECALL, {"noticeId": recalled["id"]}, token=world["teacher_a"].token)
    for person in (world["parent_a"], families[0], families[1]):
        await api.data(CONFIRM, {"input": {"noticeId": asked["id"]}}, token=person.token)
    year = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).year
    city = (await api.data(NEW_FIGURES, {"year": year}, token=world["city_admin"].token))["programmeDashboard"]
    assert city["notices"] == {"sent": 2, "confirmationRate": 0.5}  # 3 of 6; READ_ONLY and recalled aside
    assert city["column"] == {"views": 0, "completions": 0}
    other = await api.data(NEW_FIGURES, {"year": year, "districtId": world.gid(world.district_b)},
                           token=world["city_admin"].token)
    assert other["programmeDashboard"]["notices"] == {"sent": 0, "confirmationRate": None}
    # fewer than five receipts asked to confirm: the rate could point at a family, so it is withheld
    await connections.get("default").execute_query(
        "DELETE FROM notice_receipt WHERE notice_id = $1 AND guardian_id <> $2",
        [row_id(asked["id"]), world["parent_a"].user.id])
    city = (await api.data(NEW_FIGURES, {"year": year}, token=world["city_admin"].token))["programmeDashboard"]
    assert city["notices"]["confirmationRate"] is None
