"""Roles, students, guardians, transfers and what each person sees of them."""

from __future__ import annotations

import asyncpg

from services.identity.models import User
from services.organisation.models import Student
from tests.helpers import contract_operation, error_codes, make_person, make_student, user_error_codes

ASSIGN_ROLE = contract_operation("organisation.graphql", "AssignRole")
REVOKE_ROLE = contract_operation("organisation.graphql", "RevokeRole")
ENROLL = contract_operation("organisation.graphql", "EnrollStudent")
LINK_GUARDIAN = contract_operation("organisation.graphql", "LinkGuardian")
TRANSFER = contract_operation("organisation.graphql", "TransferStudent")
TEACHER_CLASSES = contract_operation("organisation.graphql", "TeacherClasses")
VIEWER = contract_operation("account.graphql", "Viewer")
STUDENT = "query Student($id: ID!) { node(id: $id) { id ... on Student { displayName school { name } } } }"
CREATE_SCHOOL = contract_operation("organisation.graphql", "CreateSchool")


def _assign(world, role, phone="13900000011", **scope):
    return {"input": {"phone": phone, "displayName": "新同事", "role": role, **scope}}


async def test_roles_take_the_scope_their_role_needs(api, world):
    admin = world["city_admin"].token
    school = world.gid(world.school_a)
    district = world.gid(world.district_a)
    cases = [
        (_assign(world, "TEACHER"), ("INVALID_INPUT", "role")),
        (_assign(world, "TEACHER", districtId=district), ("INVALID_INPUT", "role")),
        (_assign(world, "DISTRICT_ADMIN", schoolId=school), ("INVALID_INPUT", "role")),
        (_assign(world, "STATION_STAFF"), ("INVALID_INPUT", "role")),
        (_assign(world, "COUNSELLOR", schoolId=school, districtId=district), ("INVALID_INPUT", "role")),
        (_assign(world, "PARENT"), ("INVALID_INPUT", "role")),
        (_assign(world, "INSTRUCTOR", districtId=district), ("INVALID_INPUT", "role")),
        (_assign(world, "TEACHER", schoolId="nope"), ("NOT_FOUND", "schoolId")),
        (_assign(world, "TEACHER", phone="123", schoolId=school), ("INVALID_INPUT", "phone")),
    ]
    for variables, expected in cases:
        body = await api.data(ASSIGN_ROLE, variables, token=admin, headers={"accept-language": "en"})
        assert user_error_codes(body["assignRole"]) == [expected], variables
    message = (await api.data(ASSIGN_ROLE, _assign(world, "DISTRICT_ADMIN"), token=admin))["assignRole"]
    assert message["userErrors"][0]["message"] == "该角色的范围不正确：区县。"
    for role, scope in [("TEACHER", {"schoolId": school}), ("COUNSELLOR", {"districtId": district}),
                        ("COUNSELLOR", {}), ("STATION_STAFF", {"stationId": world.gid(world.station_a)}),
                        ("DISTRICT_ADMIN", {"districtId": district}), ("CITY_ADMIN", {})]:
        body = await api.data(ASSIGN_ROLE, _assign(world, role, **scope), token=admin)
        assert body["assignRole"]["userErrors"] == [], role
    roles = body["assignRole"]["user"]["roles"]
    assert len(roles) == 6
    again = await api.data(ASSIGN_ROLE, _assign(world, "CITY_ADMIN"), token=admin)
    assert user_error_codes(again["assignRole"]) == [("CONFLICT", "role")]


async def test_an_invitation_only_for_people_who_have_not_activated(api, world):
    admin = world["school_admin_a"].token
    new = await api.data(ASSIGN_ROLE, _assign(world, "TEACHER", schoolId=world.gid(world.school_a)), token=admin)
    assert len(new["assignRole"]["invitation"]["code"]) == 10
    existing = await api.data(ASSIGN_ROLE, {"input": {
        "phone": world["teacher_a"].phone, "displayName": "ignored", "role": "COUNSELLOR",
        "schoolId": world.gid(world.school_a)}}, token=admin)
    assert existing["assignRole"]["invitation"] is None
    assert existing["assignRole"]["user"]["displayName"] == "王老师"


async def test_administrators_assign_only_inside_their_scope(api, world):
    school_admin = world["school_admin_a"].token
    forbidden = [
        _assign(world, "TEACHER", schoolId=world.gid(world.school_b)),
        _assign(world, "SCHOOL_ADMIN", schoolId=world.gid(world.school_a)),
        _assign(world, "COUNSELLOR", districtId=world.gid(world.district_a)),
        _assign(world, "CITY_ADMIN"),
    ]
    for variables in forbidden:
        assert error_codes(await api.gql(ASSIGN_ROLE, variables, token=school_admin)) == ["FORBIDDEN"], variables
    district_admin = world["district_admin_a"].token
    assert error_codes(await api.gql(ASSIGN_ROLE, _assign(world, "DISTRICT_ADMIN", districtId=world.gid(
        world.district_a)), token=district_admin)) == ["FORBIDDEN"]
    allowed = await api.data(ASSIGN_ROLE, _assign(world, "SCHOOL_ADMIN", schoolId=world.gid(world.school_a2)),
                             token=district_admin)
    assert allowed["assignRole"]["userErrors"] == []
    teacher = world["teacher_a"].token
    assert error_codes(await api.gql(ASSIGN_ROLE, _assign(world, "TEACHER", schoolId=world.gid(world.school_a)),
                                     token=teacher)) == ["FORBIDDEN"]


async def test_revoking_a_role_takes_effect_on_the_next_request(api, world):
    # given: a district administrator whose token is in use (and cached)
    district_admin = world["district_admin_a"]
    viewer = await api.data(VIEWER, token=district_admin.token)
    assert [r["role"] for r in viewer["viewer"]["roles"]] == ["DISTRICT_ADMIN"]
    # when: the city administrator revokes the role
    body = await api.data(REVOKE_ROLE, {"input": {
        "userId": district_admin.id, "role": "DISTRICT_ADMIN", "districtId": world.gid(world.district_a)}},
        token=world["city_admin"].token)
    assert body["revokeRole"] == {"user": {"id": district_admin.id, "roles": []}, "userErrors": []}
    # then: the same token can no longer act as one
    denied = await api.gql(CREATE_SCHOOL, {"input": {
        "districtId": world.gid(world.district_a), "name": "新学校", "stage": "PRIMARY",
        "isFamilyEducationPilot": False}}, token=district_admin.token)
    assert error_codes(denied) == ["FORBIDDEN"]
    again = await api.data(REVOKE_ROLE, {"input": {
        "userId": district_admin.id, "role": "DISTRICT_ADMIN", "districtId": world.gid(world.district_a)}},
        token=world["city_admin"].token)
    assert user_error_codes(again["revokeRole"]) == [("NOT_FOUND", "role")]


async def test_a_revoked_teacher_no_longer_sees_their_former_class(api, world):
    teacher = world["teacher_a"]
    student_id = world.gid(world.students["a"])
    assert (await api.data(STUDENT, {"id": student_id}, token=teacher.token))["node"]["id"] == student_id
    await api.data(REVOKE_ROLE, {"input": {"userId": teacher.id, "role": "TEACHER",
                                           "schoolId": world.gid(world.school_a)}},
                   token=world["school_admin_a"].token)
    assert (await api.data(STUDENT, {"id": student_id}, token=teacher.token))["node"] is None
    assert (await api.data(TEACHER_CLASSES, token=teacher.token))["viewer"]["classes"] == []


async def test_the_last_city_administrator_stays(api, world):
    admin = world["city_admin"]
    body = await api.data(REVOKE_ROLE, {"input": {"userId": admin.id, "role": "CITY_ADMIN"}}, token=admin.token)
    assert user_error_codes(body["revokeRole"]) == [("INVALID_STATE", "role")]


async def test_enrolling_a_student_seals_the_student_number(api, world, settings):
    body = await api.data(ENROLL, {"input": {
        "schoolClassId": world.gid(world.class_a1), "displayName": "王小丽", "gender": "FEMALE",
        "birthDate": "2017-09-01", "studentNumber": "g150203201709010011"}}, token=world["school_admin_a"].token)
    student = body["enrollStudent"]["student"]
    assert student["grade"] == 3 and student["school"]["id"] == world.gid(world.school_a)
    duplicate = await api.data(ENROLL, {"input": {
        "schoolClassId": world.gid(world.class_b1), "displayName": "别人", "gender": "MALE",
        "birthDate": "2017-09-01", "studentNumber": "G150203201709010011"}}, token=world["school_admin_b"].token)
    assert user_error_codes(duplicate["enrollStudent"]) == [("CONFLICT", "studentNumber")]
    invalid = await api.data(ENROLL, {"input": {
        "schoolClassId": world.gid(world.class_a1), "displayName": "", "gender": "MALE",
        "birthDate": "1950-01-01", "studentNumber": "12"}}, token=world["school_admin_a"].token)
    assert user_error_codes(invalid["enrollStudent"]) == [
        ("INVALID_INPUT", "displayName"), ("INVALID_INPUT", "studentNumber"), ("INVALID_INPUT", "birthDate")]
    connection = await asyncpg.connect(settings.database_url.replace("postgres://", "postgresql://"))
    try:
        dump = await connection.fetch("SELECT student_number_index, student_number_sealed::text AS s FROM student")
        phones = await connection.fetch("SELECT phone_sealed::text AS p, phone_masked FROM app_user")
    finally:
        await connection.close()
    assert all("150203201709010011" not in (r["student_number_index"] + r["s"]) for r in dump)
    assert all(world["teacher_a"].phone not in r["p"] for r in phones)


async def test_a_homeroom_teacher_links_a_guardian_and_the_primary_moves(api, world):
    teacher = world["teacher_a"].token
    student_id = world.gid(world.students["a"])
    body = await api.data(LINK_GUARDIAN, {"input": {
        "studentId": student_id, "phone": "13900000021", "displayName": "张爷爷", "relationship": "GRANDPARENT",
        "isPrimary": True}}, token=teacher)
    link = body["linkGuardian"]
    assert link["userErrors"] == [] and link["invitation"] is not None
    assert link["guardianship"]["isPrimary"] is True
    classes = await api.data(TEACHER_CLASSES, token=teacher)
    class_a1 = next(c for c in classes["viewer"]["classes"] if c["id"] == world.gid(world.class_a1))
    guardians = class_a1["students"]["nodes"][0]["guardians"]
    assert [(g["guardian"]["displayName"], g["isPrimary"]) for g in guardians] == [("张爷爷", True), ("张妈妈", False)]
    phone = world["parent_a"].phone
    assert guardians[1]["guardian"]["phoneMasked"] == phone[:3] + "****" + phone[-4:]
    again = await api.data(LINK_GUARDIAN, {"input": {
        "studentId": student_id, "phone": "13900000021", "displayName": "张爷爷", "relationship": "GRANDPARENT",
        "isPrimary": False}}, token=teacher)
    assert user_error_codes(again["linkGuardian"]) == [("CONFLICT", "phone")]
    # a teacher who only teaches the class is not its homeroom teacher
    other = await api.gql(LINK_GUARDIAN, {"input": {
        "studentId": student_id, "phone": "13900000022", "displayName": "x", "relationship": "OTHER",
        "isPrimary": False}}, token=world["teacher_a_other"].token)
    assert error_codes(other) == ["FORBIDDEN"]
    hidden = await api.data(LINK_GUARDIAN, {"input": {
        "studentId": world.gid(world.students["b"]), "phone": "13900000023", "displayName": "x",
        "relationship": "OTHER", "isPrimary": False}}, token=teacher)
    assert user_error_codes(hidden["linkGuardian"]) == [("NOT_FOUND", "studentId")]


async def test_a_parent_sees_all_their_children_under_one_sign_in(api, world):
    parent = world["parent_a"]
    await make_student("张小华", world.class_b1, parent)
    body = await api.data("query { viewer { children { displayName school { name } schoolClass { name } } } }",
                          token=parent.token)
    assert sorted((c["displayName"], c["school"]["name"]) for c in body["viewer"]["children"]) == [
        ("张小华", "青山区实验小学"), ("张小明", "昆都仑区第一小学")]
    other_child = await api.data(STUDENT, {"id": world.gid(world.students["b"])}, token=parent.token)
    assert other_child["node"] is None


async def test_a_teacher_who_is_also_a_parent_holds_both_roles(api, world):
    teacher = world["teacher_b"]
    await api.data(LINK_GUARDIAN, {"input": {
        "studentId": world.gid(world.students["a"]), "phone": teacher.phone, "displayName": "赵老师",
        "relationship": "FATHER", "isPrimary": False}}, token=world["school_admin_a"].token)
    body = await api.data("query { viewer { roles { role } children { displayName } classes { name } } }",
                          token=teacher.token)
    assert sorted(r["role"] for r in body["viewer"]["roles"]) == ["PARENT", "TEACHER"]
    assert [c["displayName"] for c in body["viewer"]["children"]] == ["张小明"]
    assert [c["name"] for c in body["viewer"]["classes"]] == ["三年级1班"]


async def test_transfer_moves_the_student_and_what_the_schools_see(api, world):
    student = world.students["a"]
    student_id = world.gid(student)
    junior_class = await world.class_a1.__class__.create(school_id=world.school_a2.id, grade=7, name="初一1班")
    junior_admin = await make_person("一中管理员", ("SCHOOL_ADMIN", {"school_id": world.school_a2.id}))
    variables = {"input": {"studentId": student_id, "toSchoolClassId": world.gid(junior_class), "reason": "升入初中"}}
    # a school administrator of only one side may not move the student
    assert error_codes(await api.gql(TRANSFER, variables, token=world["school_admin_a"].token)) == ["FORBIDDEN"]
    body = await api.data(TRANSFER, variables, token=world["district_admin_a"].token)
    assert body["transferStudent"] == {"student": {"id": student_id, "school": {"id": world.gid(world.school_a2)},
                                                   "schoolClass": {"id": world.gid(junior_class)}},
                                       "userErrors": []}
    assert (await api.data(STUDENT, {"id": student_id}, token=junior_admin.token))["node"]["school"]["name"] == \
        "昆都仑区第一中学"
    assert (await api.data(STUDENT, {"id": student_id}, token=world["teacher_a"].token))["node"] is None
    assert (await api.data(STUDENT, {"id": student_id}, token=world["parent_a"].token))["node"]["id"] == student_id
    same = await api.data(TRANSFER, variables, token=world["district_admin_a"].token)
    assert user_error_codes(same["transferStudent"]) == [("INVALID_STATE", "toSchoolClassId")]
    across = {"input": {"studentId": student_id, "toSchoolClassId": world.gid(world.class_b1), "reason": "搬家"}}
    assert error_codes(await api.gql(TRANSFER, across, token=world["district_admin_a"].token)) == ["FORBIDDEN"]
    moved = await api.data(TRANSFER, across, token=world["city_admin"].token)
    assert moved["transferStudent"]["student"]["school"]["id"] == world.gid(world.school_b)
    assert (await Student.get(id=student.id)).school_id == world.school_b.id


async def test_forged_and_foreign_ids_resolve_to_null(api, world):
    token = world["city_admin"].token
    real = world.gid(world.students["a"])
    tampered = real[:-2] + ("AA" if real[-2:] != "AA" else "BB")
    for candidate in [tampered, "x" * 23, "", real.replace(real[0], "B" if real[0] != "B" else "C", 1)]:
        assert (await api.data(STUDENT, {"id": candidate}, token=token))["node"] is None, candidate
    assert (await User.all().count()) > 0
