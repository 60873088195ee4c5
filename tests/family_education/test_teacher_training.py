"""Teachers' family-education guidance training: TEACHER courses with credit hours, who sees and takes
them, certificates with hours, and the trained teachers per school."""

from __future__ import annotations

import datetime as dt

from tortoise import connections

from tests.family_education.helpers import (
    CATALOGUE,
    COMPLETE_LESSON,
    CREATE_COURSE,
    DETAIL,
    ENROLL,
    REGISTER,
    ok,
    schedule_session,
)
from tests.helpers import contract_operation, error_codes, make_person, user_error_codes
from tests.test_access_matrix import ROLES
from tests.wellbeing.helpers import row_id

TRAINING_CATALOGUE = contract_operation("family-education-next.graphql", "TeacherTrainingCatalogue")
MY_TRAINING = contract_operation("family-education-next.graphql", "MyTeacherTraining")
SCHOOL_TRAINING = contract_operation("family-education-next.graphql", "SchoolTeacherTraining")
DASHBOARD = """query D($year: Int!, $districtId: ID) { programmeDashboard(year: $year, districtId: $districtId) {
  trainedTeachers courseEnrollments byDistrict { district { id } trainedTeachers } } }"""
THIS_YEAR = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).year


async def _create(api, world, *, audience=None, credit_hours=None, lessons=2, by="city_admin", title="家校沟通指导"):
    extra = {k: v for k, v in (("audience", audience), ("creditHours", credit_hours)) if v is not None}
    body = await api.data(CREATE_COURSE, {"input": {
        "title": title, "summary": "提升教师家庭教育指导能力", "category": "PARENTING", "minGrade": 1, "maxGrade": 12,
        "lessons": [{"title": f"第{i + 1}讲", "kind": "VIDEO", "durationMinutes": 45} for i in range(lessons)],
        **extra}}, token=world[by].token)
    return body["createCourse"]


async def _complete(api, world, course, who="teacher_a") -> dict:
    enrolled = ok((await api.data(ENROLL, {"courseId": course["id"]}, token=world[who].token))["enrollInCourse"])
    result = None
    for lesson in course["lessons"]:
        result = await api.data(COMPLETE_LESSON, {"enrollmentId": enrolled["enrollment"]["id"],
                                                  "lessonId": lesson["id"]}, token=world[who].token)
    return ok(result["completeLesson"])["enrollment"]


async def test_a_teacher_course_needs_credit_hours_and_a_parent_course_has_none(api, world):
    for hours in (None, 0, 101):
        refused = await _create(api, world, audience="TEACHER", credit_hours=hours)
        assert user_error_codes(refused) == [("INVALID_INPUT", "creditHours")], hours
    assert user_error_codes(await _create(api, world, credit_hours=4)) == [("INVALID_INPUT", "creditHours")]
    assert user_error_codes(await _create(api, world, audience="PARENT", credit_hours=4)) == [
        ("INVALID_INPUT", "creditHours")]
    made = ok(await _create(api, world, audience="TEACHER", credit_hours=100))["course"]
    rows = await connections.get("default").execute_query_dict(
        "SELECT audience, credit_hours FROM course WHERE id = $1", [row_id(made["id"])])
    assert rows == [{"audience": "TEACHER", "credit_hours": 100}]


async def test_teacher_courses_exist_for_teachers_counsellors_and_administrators_only(api, world):
    course = ok(await _create(api, world, audience="TEACHER", credit_hours=8))["course"]
    parents = ok(await _create(api, world, title="亲子阅读"))["course"]
    for role, key in ROLES.items():
        if key is None:
            continue
        sees = role in ("teacher", "counsellor", "district_counsellor", "city_counsellor", "school_admin",
                        "district_admin", "city_admin")
        listed = (await api.data(TRAINING_CATALOGUE, {"first": 10}, token=world[key].token))["courses"]
        assert [n["id"] for n in listed["nodes"]] == ([course["id"]] if sees else []), role
        detail = (await api.data(DETAIL, {"id": course["id"]}, token=world[key].token))["node"]
        assert (detail is not None) == sees, role
        # the family catalogue (audience left out) is the parents' courses, for everyone
        family = (await api.data(CATALOGUE, {"first": 10}, token=world[key].token))["courses"]
        assert [e["node"]["id"] for e in family["edges"]] == [parents["id"]], role
    node = (await api.data(TRAINING_CATALOGUE, {"first": 1}, token=world["teacher_a"].token))["courses"]["nodes"][0]
    assert (node["audience"], node["creditHours"], node["lessonCount"], node["totalMinutes"]) == ("TEACHER", 8, 2, 90)


async def test_only_holders_of_the_teacher_role_take_the_training(api, world):
    course = ok(await _create(api, world, audience="TEACHER", credit_hours=8))["course"]
    parents = ok(await _create(api, world, title="亲子阅读"))["course"]
    outcomes = {}
    for who in ("teacher_a", "counsellor_a", "school_admin_a", "parent_a", "instructor"):
        body = await api.gql(ENROLL, {"courseId": course["id"]}, token=world[who].token)
        outcomes[who] = error_codes(body) or user_error_codes(body["data"]["enrollInCourse"])
    assert outcomes == {"teacher_a": [], "counsellor_a": [("INVALID_STATE", "courseId")],
                        "school_admin_a": [("INVALID_STATE", "courseId")], "parent_a": [("NOT_FOUND", "courseId")],
                        "instructor": ["FORBIDDEN"]}
    # the family courses stay the parents'
    assert error_codes(await api.gql(ENROLL, {"courseId": parents["id"]}, token=world["teacher_a"].token)) == [
        "FORBIDDEN"]
    assert error_codes(await api.gql(ENROLL, {"courseId": parents["id"]}, token=world["counsellor_a"].token)) == [
        "FORBIDDEN"]


async def test_completing_the_last_lesson_issues_a_certificate_with_the_hours(api, world):
    course = ok(await _create(api, world, audience="TEACHER", credit_hours=12, lessons=3))["course"]
    other = ok(await _create(api, world, audience="TEACHER", credit_hours=6, lessons=1, title="家访技巧"))["course"]
    done = await _complete(api, world, course)
    assert done["completedAt"] and done["certificateNumber"].startswith(f"JTJY-{THIS_YEAR}-")
    await api.data(ENROLL, {"courseId": other["id"]}, token=world["teacher_a"].token)  # enrolled, not finished
    mine = (await api.data(MY_TRAINING, {"first": 10, "year": THIS_YEAR}, token=world["teacher_a"].token))["viewer"]
    assert mine["teacherTraining"] == {"coursesCompleted": 1, "creditHours": 12}
    by_course = {n["course"]["id"]: n for n in mine["enrollments"]["nodes"]}
    assert by_course[course["id"]]["creditHours"] == 12 and by_course[course["id"]]["progressPercent"] == 100
    assert by_course[other["id"]]["creditHours"] is None and by_course[other["id"]]["certificateNumber"] is None
    assert mine["enrollments"]["totalCount"] == 2
    last_year = (await api.data(MY_TRAINING, {"first": 1, "year": THIS_YEAR - 1}, token=world["teacher_a"].token))
    assert last_year["viewer"]["teacherTraining"] == {"coursesCompleted": 0, "creditHours": 0}
    every = (await api.data(MY_TRAINING, {"first": 1}, token=world["teacher_a"].token))["viewer"]
    assert every["teacherTraining"] == {"coursesCompleted": 1, "creditHours": 12}
    # a parent's enrolments leave the training out, and the filter sorts them
    family = ok(await _create(api, world, title="亲子阅读"))["course"]
    await api.data(ENROLL, {"courseId": family["id"]}, token=world["parent_a"].token)
    parent = (await api.data(MY_TRAINING, {"first": 5}, token=world["parent_a"].token))["viewer"]
    assert parent["enrollments"]["totalCount"] == 0 and parent["teacherTraining"]["coursesCompleted"] == 0


async def test_trained_teachers_per_school_for_its_administrators(api, world):
    course = ok(await _create(api, world, audience="TEACHER", credit_hours=10, lessons=1))["course"]
    await _complete(api, world, course, who="teacher_a")
    await _complete(api, world, course, who="teacher_b")
    # a teacher at two schools counts at each
    both = await make_person("两校老师", ("TEACHER", {"school_id": world.school_a.id}),
                             ("TEACHER", {"school_id": world.school_b.id}))
    world.people["both"] = both
    await _complete(api, world, course, who="both")

    async def figures(who: str) -> dict:
        body = await api.data(SCHOOL_TRAINING, {"year": THIS_YEAR, "first": 10}, token=world[who].token)
        return {n["name"]: n["teacherTraining"] for n in body["schools"]["nodes"]}

    city = await figures("city_admin")
    assert city["昆都仑区第一小学"] == {"teachers": 3, "trainedTeachers": 2, "creditHours": 20}
    assert city["青山区实验小学"] == {"teachers": 2, "trainedTeachers": 2, "creditHours": 20}
    assert city["昆都仑区第一中学"] == {"teachers": 0, "trainedTeachers": 0, "creditHours": 0}
    district = await figures("district_admin_a")
    assert district["昆都仑区第一小学"] == city["昆都仑区第一小学"] and district["青山区实验小学"] is None
    school = await figures("school_admin_a")
    assert school["昆都仑区第一小学"] == city["昆都仑区第一小学"] and school["昆都仑区第一中学"] is None
    assert set((await figures("teacher_a")).values()) == {None}
    bad = await api.gql(SCHOOL_TRAINING, {"year": 1900, "first": 1}, token=world["city_admin"].token)
    assert error_codes(bad) == ["INVALID_INPUT"]
    # the dashboard counts each trained teacher once in the city and once in each district they teach in;
    # the training is not a family course
    board = (await api.data(DASHBOARD, {"year": THIS_YEAR}, token=world["city_admin"].token))["programmeDashboard"]
    assert board["trainedTeachers"] == 3 and board["courseEnrollments"] == 0
    by_district = {d["district"]["id"]: d["trainedTeachers"] for d in board["byDistrict"]}
    assert (by_district[world.gid(world.district_a)], by_district[world.gid(world.district_b)]) == (2, 2)
    own = await api.data(DASHBOARD, {"year": THIS_YEAR, "districtId": world.gid(world.district_a)},
                         token=world["district_admin_a"].token)
    assert own["programmeDashboard"]["trainedTeachers"] == 2


async def test_sessions_of_the_training_are_for_teachers(api, world):
    course = ok(await _create(api, world, audience="TEACHER", credit_hours=4, lessons=1))["course"]
    session = await schedule_session(api, world, course, capacity=5)
    seated = (await api.data(REGISTER, {"sessionId": session["id"]}, token=world["teacher_a"].token))
    assert seated["registerForCourseSession"]["userErrors"] == []
    parent = await api.data(REGISTER, {"sessionId": session["id"]}, token=world["parent_a"].token)
    assert user_error_codes(parent["registerForCourseSession"]) == [("NOT_FOUND", "sessionId")]
    node = await api.data("query S($id: ID!) { node(id: $id) { id } }", {"id": session["id"]},
                          token=world["parent_a"].token)
    assert node["node"] is None
