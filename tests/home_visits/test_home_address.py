"""The family's home address: one per guardian household, read by few, every read and change audited,
and the home visits that take place at it."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections

from services.organisation.models import Guardianship
from tests.helpers import contract_operation, error_codes, user_error_codes
from tests.home_visits.helpers import PROPOSE, RECORD, VISIT, accept, move_into_past, slot
from tests.test_access_matrix import ROLES
from tests.wellbeing.helpers import row_id

FAMILY = contract_operation("home-address.graphql", "FamilyHomeAddresses")
SET = contract_operation("home-address.graphql", "SetHomeAddress")
CLEAR = contract_operation("home-address.graphql", "ClearHomeAddress")
CHOICES = contract_operation("home-address.graphql", "HomeVisitAddressChoices")
INBOX = contract_operation("notifications.graphql", "Inbox")
HOME_A = "包头市昆都仑区钢铁大街 37 号 5 栋 2 单元 301"
HOME_B = "包头市青山区文化路 12 号"


async def _set(api, person, address, shared=None):
    variables = {"address": address} | ({} if shared is None else {"sharedWithCoGuardians": shared})
    return (await api.data(SET, variables, token=person.token))["setHomeAddress"]


async def _audits(person, action: str) -> list[tuple[str, str]]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT subject_type, subject_id::text AS subject FROM audit_event WHERE actor_id = $1 AND action = $2"
        " ORDER BY at, id", [person.user.id, action])
    return [(r["subject_type"], r["subject"]) for r in rows]


async def _co_guardian(world):
    """陈爸爸 (parent_a2) becomes a second guardian of 张小明, beside 张妈妈 (parent_a)."""
    await Guardianship.create(student_id=world.students["a"].id, guardian_id=world["parent_a2"].user.id,
                              relationship="FATHER", is_primary=False)
    return world["parent_a2"]


def _guardian(body, person) -> dict:
    return next(g for g in body["guardians"] if g["guardian"]["id"] == person.id)


# --------------------------------------------------------------------------
# Setting it.


async def test_a_guardian_sets_replaces_and_erases_their_household_address(api, world):
    parent = world["parent_a"]
    saved = await _set(api, parent, f"  {HOME_A}  ")
    assert saved["userErrors"] == []
    assert saved["homeAddress"]["address"] == HOME_A and saved["homeAddress"]["sharedWithCoGuardians"] is False
    viewer = (await api.data(FAMILY, token=parent.token))["viewer"]
    assert viewer["homeAddress"]["address"] == HOME_A
    assert _guardian(viewer["children"][0], parent)["hasHomeAddress"] is True
    assert _guardian(viewer["children"][0], parent)["homeAddress"]["address"] == HOME_A

    replaced = await _set(api, parent, HOME_B, shared=True)
    assert replaced["homeAddress"] == {"address": HOME_B, "sharedWithCoGuardians": True,
                                       "updatedAt": replaced["homeAddress"]["updatedAt"]}
    assert await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM home_address WHERE guardian_id = $1", [parent.user.id]) == [{"n": 1}]
    stored = await connections.get("default").execute_query_dict(
        "SELECT address_sealed FROM home_address WHERE guardian_id = $1", [parent.user.id])
    assert HOME_B.encode() not in bytes(stored[0]["address_sealed"])  # sealed at rest

    cleared = (await api.data(CLEAR, token=parent.token))["setHomeAddress"]
    assert cleared == {"homeAddress": None, "userErrors": []}
    assert (await api.data(FAMILY, token=parent.token))["viewer"]["homeAddress"] is None
    assert await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM home_address WHERE guardian_id = $1", [parent.user.id]) == [{"n": 0}]
    again = (await api.data(CLEAR, token=parent.token))["setHomeAddress"]
    assert again == {"homeAddress": None, "userErrors": []}
    own = [("HomeAddress", str(parent.user.id))]
    assert await _audits(parent, "UPDATE_HOME_ADDRESS") == own * 3  # set, replaced, erased; the no-op clear is not
    assert await _audits(parent, "READ_HOME_ADDRESS") == own * 2  # viewer.homeAddress and the child's guardians


@pytest.mark.parametrize(("address", "code"), [
    ("四个字符", "INVALID_INPUT"), ("    ", "INVALID_INPUT"), ("x" * 201, "INVALID_INPUT"),
    ("昆都仑区\x00钢铁大街", "INVALID_INPUT"), ("  五个字符了  ", None), ("路" * 200, None),
])
async def test_an_address_is_five_to_two_hundred_characters_of_text(api, world, address, code):
    saved = await _set(api, world["parent_a"], address)
    assert user_error_codes(saved) == ([] if code is None else [(code, "address")])
    assert (saved["homeAddress"] is None) == (code is not None)


async def test_a_forgotten_address_field_erases_nothing_and_messages_follow_the_language(api, world):
    parent = world["parent_a"]
    await _set(api, parent, HOME_A)
    body = await api.data("mutation { setHomeAddress(input: {sharedWithCoGuardians: true}) "
                          "{ homeAddress { address } userErrors { code field message } } }", token=parent.token,
                          headers={"accept-language": "en"})
    assert body["setHomeAddress"]["userErrors"] == [
        {"code": "INVALID_INPUT", "field": "address", "message": "This field is required."}]
    short = await api.data(SET, {"address": "短"}, token=parent.token)
    assert short["setHomeAddress"]["userErrors"][0]["message"] == "内容太短，至少 5 个字符。"
    assert (await api.data(FAMILY, token=parent.token))["viewer"]["homeAddress"]["address"] == HOME_A


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("anonymous", "parent")])
async def test_only_guardians_have_a_household_address(api, world, role):
    body = await api.gql(SET, {"address": HOME_A}, token=world[ROLES[role]].token)
    assert error_codes(body) == ["FORBIDDEN"] and body["data"] is None
    assert error_codes(await api.gql(SET, {"address": HOME_A})) == ["UNAUTHENTICATED"]


async def test_a_guardian_saving_twice_at_once_keeps_one_readable_address(api, world):
    parent = world["parent_a"]
    answers = await asyncio.gather(*[_set(api, parent, f"{HOME_A} 之 {i}") for i in range(8)])
    assert all(a["userErrors"] == [] for a in answers)
    rows = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM home_address WHERE guardian_id = $1", [parent.user.id])
    assert rows == [{"n": 1}]
    kept = (await api.data(FAMILY, token=parent.token))["viewer"]["homeAddress"]["address"]
    assert kept in {f"{HOME_A} 之 {i}" for i in range(8)}


# --------------------------------------------------------------------------
# Who reads it.


async def test_a_co_guardian_reads_it_only_while_it_is_shared(api, world):
    father = await _co_guardian(world)
    await _set(api, world["parent_a"], HOME_A)
    child = (await api.data(FAMILY, token=father.token))["viewer"]["children"]
    mother = _guardian(next(c for c in child if c["displayName"] == "张小明"), world["parent_a"])
    assert mother["hasHomeAddress"] is True and mother["homeAddress"] is None
    await _set(api, world["parent_a"], HOME_A, shared=True)
    child = (await api.data(FAMILY, token=father.token))["viewer"]["children"]
    mother = _guardian(next(c for c in child if c["displayName"] == "张小明"), world["parent_a"])
    assert mother["homeAddress"]["address"] == HOME_A
    assert await _audits(father, "READ_HOME_ADDRESS") == [("HomeAddress", str(world["parent_a"].user.id))]
    # the father's other child (陈小红) is not the mother's: nothing of hers shows there
    other = next(c for c in child if c["displayName"] == "陈小红")
    assert all(g["guardian"]["id"] != world["parent_a"].id for g in other["guardians"])


#: role -> what it sees of the guardian's address through the student (hasHomeAddress, address), on
#: its own side's student and on the other side's; "NULL": the student itself is not visible.
ADDRESS_READS = {
    "parent": ((True, HOME_A), "NULL"),
    "teacher": ((True, None), "NULL"),
    "counsellor": ((None, None), "NULL"),
    "district_counsellor": ((None, None), "NULL"),
    "city_counsellor": ((None, None), (None, None)),
    "school_admin": ((True, None), "NULL"),
    "district_admin": ((None, None), "NULL"),
    "city_admin": ((None, None), (None, None)),
    "instructor": ("NULL", "NULL"),
    "station_staff": ("NULL", "NULL"),
}
STUDENT_ADDRESS = """query StudentAddress($id: ID!) { node(id: $id) { ... on Student {
  guardians { guardian { id } hasHomeAddress homeAddress { address } } } } }"""


async def test_the_address_matrix_every_role_on_own_and_other_families(api, world):
    await _set(api, world["parent_a"], HOME_A, shared=True)
    await _set(api, world["parent_b"], HOME_B, shared=True)
    seen = {}
    for role, key in ROLES.items():
        if key is None:
            assert error_codes(await api.gql(STUDENT_ADDRESS, {"id": world.gid(world.students["a"])})) == [
                "UNAUTHENTICATED"]
            continue
        outcomes = []
        for student, owner in (("a", "parent_a"), ("b", "parent_b")):
            node = (await api.data(STUDENT_ADDRESS, {"id": world.gid(world.students[student])},
                                   token=world[key].token))["node"]
            if node is None:
                outcomes.append("NULL")
                continue
            link = _guardian(node, world[owner])
            outcomes.append((link["hasHomeAddress"], link["homeAddress"] and link["homeAddress"]["address"]))
        seen[role] = tuple(outcomes)
    assert seen == ADDRESS_READS
    readers = await connections.get("default").execute_query_dict(
        "SELECT DISTINCT actor_id FROM audit_event WHERE action = 'READ_HOME_ADDRESS' AND subject_id = $1",
        [world["parent_a"].user.id])
    assert [r["actor_id"] for r in readers] == [world["parent_a"].user.id]


async def test_a_teacher_choosing_whose_home_sees_who_has_one_never_the_text(api, world):
    await _set(api, world["parent_a"], HOME_A)
    body = await api.data(CHOICES, {"studentId": world.gid(world.students["a"])}, token=world["teacher_a"].token)
    assert [(g["guardian"]["displayName"], g["hasHomeAddress"]) for g in body["node"]["guardians"]] == [
        ("张妈妈", True)]
    assert HOME_A not in str(body)


# --------------------------------------------------------------------------
# Visits at a home on file.


async def _propose(api, world, **where):
    body = await api.data(PROPOSE, {"input": {
        "studentId": world.gid(world.students["a"]), "slots": [slot(2, 10), slot(3, 19)], "purpose": "了解学习情况",
        **where}}, token=world["teacher_a"].token)
    return body["proposeHomeVisit"]


async def _address(api, world, who, visit):
    return (await api.data(VISIT, {"id": visit["id"]}, token=world[who].token))["node"]["address"]


async def test_the_teachers_see_an_address_on_file_only_from_confirmation_until_the_visit_ends(api, world):
    await _set(api, world["parent_a"], HOME_A)
    proposed = await _propose(api, world, addressGuardianId=world["parent_a"].id)
    assert proposed["userErrors"] == []
    visit = proposed["homeVisit"]
    assert await _address(api, world, "teacher_a", visit) is None
    assert await _address(api, world, "parent_a", visit) == HOME_A
    assert (await accept(api, world, visit))["userErrors"] == []
    assert await _address(api, world, "teacher_a", visit) == HOME_A
    # read live: a change shows at once, and the teacher is told it changed (not what it is)
    await _set(api, world["parent_a"], HOME_B)
    assert await _address(api, world, "teacher_a", visit) == HOME_B
    inbox = (await api.data(INBOX, {"first": 5}, token=world["teacher_a"].token))["viewer"]["notifications"]
    told = [e["node"] for e in inbox["edges"] if e["node"]["title"] == "家访地址有变"]
    assert told and HOME_B not in str(told)
    await move_into_past(visit["id"])
    recorded = await api.data(RECORD, {"input": {"homeVisitId": visit["id"], "durationMinutes": 40, "topics": ["学习"],
                                                 "summary": "顺利", "followUpNeeded": False}},
                              token=world["teacher_a"].token)
    assert recorded["recordHomeVisit"]["userErrors"] == []
    assert await _address(api, world, "teacher_a", visit) is None
    assert await _address(api, world, "parent_a", visit) == HOME_B
    for who in ("teacher_a_other", "school_admin_a", "counsellor_a"):
        assert await _address(api, world, who, visit) is None, who
    trail = await _audits(world["teacher_a"], "READ_HOME_ADDRESS")
    assert trail == [("HomeVisit", str(row_id(visit["id"])))] * 2  # the two reads while confirmed


async def test_clearing_the_address_empties_the_confirmed_visit_and_tells_its_teachers(api, world):
    await _set(api, world["parent_a"], HOME_A)
    visit = (await _propose(api, world, addressGuardianId=world["parent_a"].id))["homeVisit"]
    await accept(api, world, visit)
    await api.data(CLEAR, token=world["parent_a"].token)
    assert await _address(api, world, "teacher_a", visit) is None
    inbox = (await api.data(INBOX, {"first": 5}, token=world["teacher_a"].token))["viewer"]["notifications"]
    assert any(e["node"]["title"] == "家访地址有变" and "删除" in e["node"]["body"] for e in inbox["edges"])


async def test_whose_home_a_proposal_names_is_checked(api, world):
    not_theirs = await _propose(api, world, addressGuardianId=world["parent_b"].id)
    assert user_error_codes(not_theirs) == [("INVALID_INPUT", "addressGuardianId")]
    garbage = await _propose(api, world, addressGuardianId="not-an-id")
    assert user_error_codes(garbage) == [("INVALID_INPUT", "addressGuardianId")]
    none_on_file = await _propose(api, world, addressGuardianId=world["parent_a"].id)
    assert user_error_codes(none_on_file) == [("INVALID_STATE", "addressGuardianId")]
    both = await _propose(api, world, address="体育馆", addressGuardianId=world["parent_a"].id)
    assert user_error_codes(both) == [("INVALID_INPUT", "addressGuardianId")]
    visits = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM home_visit WHERE student_id = $1", [world.students["a"].id])
    assert visits == [{"n": 0}]


async def test_a_visit_left_open_is_at_the_home_of_the_guardian_who_accepts(api, world):
    visit = (await _propose(api, world))["homeVisit"]
    assert visit is not None and await _address(api, world, "parent_a", visit) is None
    refused = await accept(api, world, visit)
    assert user_error_codes(refused) == [("INVALID_STATE", None)]
    assert refused["userErrors"][0]["message"] == "请先填写您的家庭住址，再确认家访。"
    assert (await api.data(VISIT, {"id": visit["id"]}, token=world["parent_a"].token))["node"]["status"] == "PROPOSED"
    await _set(api, world["parent_a"], HOME_A)
    assert (await accept(api, world, visit))["userErrors"] == []
    assert await _address(api, world, "teacher_a", visit) == HOME_A


async def test_a_co_guardian_cannot_disclose_a_home_not_shared_with_them(api, world):
    father = await _co_guardian(world)
    await _set(api, world["parent_a"], HOME_A)
    visit = (await _propose(api, world, addressGuardianId=world["parent_a"].id))["homeVisit"]
    assert await _address(api, world, "parent_a2", visit) is None
    refused = await accept(api, world, visit, by="parent_a2")
    assert user_error_codes(refused) == [("INVALID_STATE", None)]
    await _set(api, world["parent_a"], HOME_A, shared=True)
    assert await _address(api, world, "parent_a2", visit) == HOME_A
    assert (await accept(api, world, visit, by="parent_a2"))["userErrors"] == []
    assert father is world["parent_a2"]


async def test_a_place_the_teacher_writes_is_kept_as_written(api, world):
    await _set(api, world["parent_a"], HOME_A)
    visit = (await _propose(api, world, address="青山区图书馆二楼"))["homeVisit"]
    assert await _address(api, world, "teacher_a", visit) == "青山区图书馆二楼"
    await _set(api, world["parent_a"], HOME_B)
    assert await _address(api, world, "parent_a", visit) == "青山区图书馆二楼"


async def test_staff_linking_a_guardian_give_an_address_only_when_the_family_has_none(api, world):
    link = contract_operation("organisation.graphql", "LinkGuardian")
    await _set(api, world["parent_a"], HOME_A)
    for phone, expected in ((world["parent_a"].phone, HOME_A), ("13900000031", "青山区幸福路 1 号")):
        await api.data(link, {"input": {
            "studentId": world.gid(world.students["a2"]), "phone": phone, "displayName": "张爷爷",
            "relationship": "GRANDPARENT", "isPrimary": False, "homeAddress": "青山区幸福路 1 号"}},
            token=world["school_admin_a"].token)
        rows = await connections.get("default").execute_query_dict(
            "SELECT h.id, h.address_sealed FROM home_address h JOIN app_user u ON u.id = h.guardian_id "
            "WHERE u.phone_masked = $1", [phone[:3] + "****" + phone[-4:]])
        from services.organisation.home_addresses import unseal

        assert [unseal(r["address_sealed"], r["id"]) for r in rows] == [expected]
    updates = await _audits(world["school_admin_a"], "UPDATE_HOME_ADDRESS")
    assert len(updates) == 1  # only the new guardian's
