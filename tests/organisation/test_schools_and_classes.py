"""Districts, the school directory, schools and classes."""

from __future__ import annotations

from tests.helpers import contract_operation, error_codes, user_error_codes

DISTRICTS = contract_operation("organisation.graphql", "Districts")
SCHOOLS = contract_operation("organisation.graphql", "Schools")
CREATE_SCHOOL = contract_operation("organisation.graphql", "CreateSchool")
UPDATE_SCHOOL = contract_operation("organisation.graphql", "UpdateSchool")
CREATE_CLASS = contract_operation("organisation.graphql", "CreateSchoolClass")
ASSIGN_CLASS_TEACHER = contract_operation("organisation.graphql", "AssignClassTeacher")


async def test_the_ten_districts_are_there_in_official_order(api, world):
    body = await api.data(DISTRICTS, token=world["parent_a"].token)
    assert [(d["code"], d["name"]) for d in body["districts"]] == [
        ("150203", "昆都仑区"), ("150204", "青山区"), ("150202", "东河区"), ("150207", "九原区"),
        ("150205", "石拐区"), ("150206", "白云鄂博矿区"), ("150221", "土默特右旗"), ("150222", "固阳县"),
        ("150223", "达尔罕茂明安联合旗"), ("150271", "稀土高新区"),
    ]
    assert all(len(d["id"]) == 23 and "150" not in d["id"] for d in body["districts"])


async def test_the_school_directory_filters_pages_and_counts(api, world):
    token = world["parent_a"].token
    everything = await api.data(SCHOOLS, {"first": 2}, token=token)
    assert everything["schools"]["totalCount"] == 3
    assert everything["schools"]["pageInfo"]["hasNextPage"] is True
    names = [s["name"] for s in everything["schools"]["nodes"]]
    rest = await api.data(SCHOOLS, {"first": 2, "after": everything["schools"]["pageInfo"]["endCursor"]}, token=token)
    assert rest["schools"]["pageInfo"]["hasNextPage"] is False
    assert sorted(names + [s["name"] for s in rest["schools"]["nodes"]]) == sorted(
        ["昆都仑区第一小学", "昆都仑区第一中学", "青山区实验小学"])
    pilots = await api.data(SCHOOLS, {"first": 10, "filter": {"pilotOnly": True}}, token=token)
    assert [s["name"] for s in pilots["schools"]["nodes"]] == ["昆都仑区第一小学"]
    in_b = await api.data(SCHOOLS, {"first": 10, "filter": {"districtId": world.gid(world.district_b)}}, token=token)
    assert [s["district"]["name"] for s in in_b["schools"]["nodes"]] == ["青山区"]
    search = await api.data(SCHOOLS, {"first": 10, "filter": {"search": "中学", "stage": "JUNIOR_SECONDARY"}},
                            token=token)
    assert [s["name"] for s in search["schools"]["nodes"]] == ["昆都仑区第一中学"]
    bogus = await api.data(SCHOOLS, {"first": 10, "filter": {"districtId": "bogus"}}, token=token)
    assert bogus["schools"]["totalCount"] == 0


async def test_student_counts_are_for_the_schools_staff_only(api, world):
    by_admin = await api.data(SCHOOLS, {"first": 10, "filter": {"pilotOnly": True}},
                              token=world["school_admin_a"].token)
    assert by_admin["schools"]["nodes"][0]["studentCount"] == 2
    by_parent = await api.data(SCHOOLS, {"first": 10, "filter": {"pilotOnly": True}}, token=world["parent_a"].token)
    assert by_parent["schools"]["nodes"][0]["studentCount"] is None


async def test_first_is_capped_at_100_and_cursors_are_checked(api, world):
    too_many = await api.gql(SCHOOLS, {"first": 101}, token=world["parent_a"].token)
    assert error_codes(too_many) == ["INVALID_INPUT"]
    bad_cursor = await api.gql(SCHOOLS, {"first": 5, "after": "!!"}, token=world["parent_a"].token)
    assert error_codes(bad_cursor) == ["INVALID_INPUT"]


async def test_a_district_administrator_creates_a_school_in_their_district_only(api, world):
    token = world["district_admin_a"].token
    created = await api.data(CREATE_SCHOOL, {"input": {
        "districtId": world.gid(world.district_a), "name": "昆都仑区第二小学", "stage": "PRIMARY",
        "isFamilyEducationPilot": True, "address": "包头市昆都仑区钢铁大街 1 号"}}, token=token)
    school = created["createSchool"]["school"]
    assert created["createSchool"]["userErrors"] == []
    assert school["name"] == "昆都仑区第二小学" and school["isFamilyEducationPilot"] is True
    assert school["district"]["id"] == world.gid(world.district_a)
    elsewhere = await api.gql(CREATE_SCHOOL, {"input": {
        "districtId": world.gid(world.district_b), "name": "青山区第九小学", "stage": "PRIMARY",
        "isFamilyEducationPilot": False}}, token=token)
    assert error_codes(elsewhere) == ["FORBIDDEN"]
    duplicate = await api.data(CREATE_SCHOOL, {"input": {
        "districtId": world.gid(world.district_a), "name": "昆都仑区第二小学", "stage": "PRIMARY",
        "isFamilyEducationPilot": False}}, token=token)
    assert user_error_codes(duplicate["createSchool"]) == [("CONFLICT", "name")]


async def test_create_school_reports_every_invalid_field(api, world):
    body = await api.data(CREATE_SCHOOL, {"input": {
        "districtId": "nonsense", "name": "  ", "stage": "PRIMARY", "isFamilyEducationPilot": False,
        "address": "x" * 201}}, token=world["city_admin"].token, headers={"accept-language": "en"})
    assert body["createSchool"]["school"] is None
    assert user_error_codes(body["createSchool"]) == [
        ("NOT_FOUND", "districtId"), ("INVALID_INPUT", "name"), ("INVALID_INPUT", "address")]
    assert body["createSchool"]["userErrors"][2]["message"] == "Too long: at most 200 characters."


async def test_a_school_administrator_edits_name_and_address_but_not_pilot_status(api, world):
    token = world["school_admin_a"].token
    school_id = world.gid(world.school_a)
    body = await api.data(UPDATE_SCHOOL, {"input": {"schoolId": school_id, "address": "钢铁大街 5 号"}}, token=token)
    assert body["updateSchool"]["school"] == {
        "id": school_id, "name": "昆都仑区第一小学", "isFamilyEducationPilot": True, "address": "钢铁大街 5 号"}
    cleared = await api.data(UPDATE_SCHOOL, {"input": {"schoolId": school_id, "address": None}}, token=token)
    assert cleared["updateSchool"]["school"]["address"] is None
    kept = await api.data(UPDATE_SCHOOL, {"input": {"schoolId": school_id, "name": "昆都仑区第一小学（新）"}},
                          token=token)
    assert kept["updateSchool"]["school"]["address"] is None
    pilot = await api.gql(UPDATE_SCHOOL, {"input": {"schoolId": school_id, "isFamilyEducationPilot": False}},
                          token=token)
    assert error_codes(pilot) == ["FORBIDDEN"]
    by_district = await api.data(UPDATE_SCHOOL, {"input": {"schoolId": school_id, "isFamilyEducationPilot": False}},
                                 token=world["district_admin_a"].token)
    assert by_district["updateSchool"]["school"]["isFamilyEducationPilot"] is False
    other_school = await api.gql(UPDATE_SCHOOL, {"input": {"schoolId": world.gid(world.school_b), "name": "x"}},
                                 token=token)
    assert error_codes(other_school) == ["FORBIDDEN"]


async def test_classes_fit_the_school_stage_and_take_a_teacher_of_the_school(api, world):
    token = world["school_admin_a"].token
    body = await api.data(CREATE_CLASS, {"input": {
        "schoolId": world.gid(world.school_a), "grade": 1, "name": "一年级1班",
        "homeroomTeacherId": world["teacher_a"].id}}, token=token)
    created = body["createSchoolClass"]["schoolClass"]
    assert created["grade"] == 1 and created["homeroomTeacher"]["id"] == world["teacher_a"].id
    wrong = await api.data(CREATE_CLASS, {"input": {
        "schoolId": world.gid(world.school_a), "grade": 8, "name": "一年级1班",
        "homeroomTeacherId": world["teacher_b"].id}}, token=token)
    assert user_error_codes(wrong["createSchoolClass"]) == [
        ("INVALID_INPUT", "grade"), ("INVALID_INPUT", "homeroomTeacherId")]
    duplicate = await api.data(CREATE_CLASS, {"input": {
        "schoolId": world.gid(world.school_a), "grade": 1, "name": "一年级1班"}}, token=token)
    assert user_error_codes(duplicate["createSchoolClass"]) == [("CONFLICT", "name")]


async def test_class_teachers_come_from_the_schools_teachers(api, world):
    token = world["school_admin_a"].token
    class_id = world.gid(world.class_a2)
    body = await api.data(ASSIGN_CLASS_TEACHER, {"schoolClassId": class_id, "teacherId": world["teacher_a"].id,
                                                 "subject": "语文"}, token=token)
    assert body["assignClassTeacher"]["schoolClass"]["teachers"] == [
        {"id": world["teacher_a"].id, "displayName": "王老师"}]
    again = await api.data(ASSIGN_CLASS_TEACHER, {"schoolClassId": class_id, "teacherId": world["teacher_a"].id},
                           token=token)
    assert user_error_codes(again["assignClassTeacher"]) == [("CONFLICT", "teacherId")]
    foreign = await api.data(ASSIGN_CLASS_TEACHER, {"schoolClassId": class_id, "teacherId": world["teacher_b"].id},
                             token=token)
    assert user_error_codes(foreign["assignClassTeacher"]) == [("INVALID_INPUT", "teacherId")]
    other_school = await api.gql(ASSIGN_CLASS_TEACHER, {"schoolClassId": world.gid(world.class_b1),
                                                        "teacherId": world["teacher_b"].id}, token=token)
    assert error_codes(other_school) == ["FORBIDDEN"]
