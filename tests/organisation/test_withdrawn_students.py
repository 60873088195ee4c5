"""What the API shows of a withdrawn student: their records stay (a counsellor still follows their
alerts), but they are on no class list, head count, notice audience or guardian's home screen, a
teacher's reach ends, and no new home visit is proposed to their family.

A roster sync withdraws the students its bulk file no longer lists (tests/roster prove that through
`coedu roster import`); here the arrangement sets the same column, so each surface is checked alone."""

from __future__ import annotations

from tortoise import connections

from services.notices.models import NoticeReceipt
from tests.helpers import contract_operation, make_student, user_error_codes
from tests.home_visits.helpers import PROPOSE, slot
from tests.wellbeing.helpers import eventually, raise_alert, row_id

TEACHER_CLASSES = contract_operation("organisation.graphql", "TeacherClasses")
SCHOOLS = contract_operation("organisation.graphql", "Schools")
PARENT_HOME = contract_operation("screens.graphql", "ParentHome")
SEND = contract_operation("notices.graphql", "SendNotice")
STUDENT = "query Student($id: ID!) { node(id: $id) { id ... on Student { displayName withdrawnAt } } }"
ALERT = "query Alert($id: ID!) { node(id: $id) { id ... on WellbeingAlert { status student { id } } } }"


async def _withdraw(student) -> None:
    await connections.get("default").execute_query("UPDATE student SET withdrawn_at = now() WHERE id = $1",
                                                   [student.id])


async def _class_a1(api, world, who="teacher_a") -> list[str]:
    classes = (await api.data(TEACHER_CLASSES, token=world[who].token))["viewer"]["classes"]
    return [s["id"] for c in classes if c["id"] == world.gid(world.class_a1) for s in c["students"]["nodes"]]


async def _student_count(api, world) -> int:
    body = await api.data(SCHOOLS, {"first": 10, "filter": {"districtId": world.gid(world.district_a)}},
                          token=world["school_admin_a"].token)
    return next(s["studentCount"] for s in body["schools"]["nodes"] if s["id"] == world.gid(world.school_a))


async def test_a_withdrawn_student_leaves_every_list_but_keeps_their_records(api, world):
    leaver, stays = world.students["a"], await make_student("王小丽", world.class_a1, world["parent_a2"])
    alert = await raise_alert(api, world, student="a")
    before = await _student_count(api, world)
    assert set(await _class_a1(api, world)) == {world.gid(leaver), world.gid(stays)}

    await _withdraw(leaver)

    assert await _class_a1(api, world) == [world.gid(stays)]
    assert await _student_count(api, world) == before - 1
    home = (await api.data(PARENT_HOME, token=world["parent_a"].token))["viewer"]
    assert home["children"] == []
    # the class's teacher no longer reaches them; their school's counsellor still does, and the alert
    for who, seen in (("teacher_a", None), ("teacher_a_other", None), ("counsellor_a", world.gid(leaver)),
                      ("parent_a", world.gid(leaver))):
        node = (await api.data(STUDENT, {"id": world.gid(leaver)}, token=world[who].token))["node"]
        assert (node and node["id"]) == seen, who
    seen_by_counsellor = (await api.data(STUDENT, {"id": world.gid(leaver)}, token=world["counsellor_a"].token))
    assert seen_by_counsellor["node"]["withdrawnAt"] is not None
    stayer = (await api.data(STUDENT, {"id": world.gid(stays)}, token=world["counsellor_a"].token))["node"]
    assert stayer["withdrawnAt"] is None
    followed = (await api.data(ALERT, {"id": alert["id"]}, token=world["counsellor_a"].token))["node"]
    assert followed["student"]["id"] == world.gid(leaver)

    proposed = (await api.data(PROPOSE, {"input": {
        "studentId": world.gid(leaver), "slots": [slot(2, 10)], "purpose": "了解孩子在家的学习情况",
        "address": "包头市昆都仑区阿尔丁大街 88 号"}}, token=world["teacher_a"].token,
        headers={"accept-language": "en"}))["proposeHomeVisit"]
    assert user_error_codes(proposed) == [("INVALID_STATE", "studentId")]
    assert "left the school" in proposed["userErrors"][0]["message"]

    sent = (await api.data(SEND, {"input": {
        "title": "春季运动会", "body": "请为孩子准备运动服。", "confirmationMode": "CONFIRM",
        "audience": {"schoolClassIds": [world.gid(world.class_a1)]}}}, token=world["teacher_a"].token))["sendNotice"]
    assert sent["userErrors"] == []

    async def delivered():
        return await NoticeReceipt.filter(notice_id=row_id(sent["notice"]["id"])).values_list("guardian_id", flat=True)

    assert await eventually(delivered) == [world["parent_a2"].user.id]  # not the leaver's mother
