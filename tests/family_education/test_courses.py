"""The course catalogue: filters and Chinese search, pilot schools, enrolment, progress, certificates,
ratings, and what a catalogue page costs."""

from __future__ import annotations

import datetime as dt

from tortoise import connections

from services.family_education.courses import mask_name
from services.family_education.search import index_terms, query_terms
from tests.family_education.helpers import (
    CATALOGUE,
    COMPLETE_LESSON,
    CREATE_COURSE,
    DETAIL,
    RATE,
    SHANGHAI,
    create_course,
    enroll,
    local,
    offer,
    schedule_session,
)
from tests.helpers import make_student, statement_count, user_error_codes

VERIFY = """query Verify($number: String!) { verifyCourseCertificate(number: $number) {
  number courseTitle completedOn holderName } }"""


async def _titles(api, world, filter: dict, who: str = "parent_a") -> list[str]:
    body = await api.data(CATALOGUE, {"filter": filter, "first": 20}, token=world[who].token)
    return [e["node"]["title"] for e in body["courses"]["edges"]]


def test_search_terms_cut_chinese_into_characters_and_pairs():
    assert set(index_terms("家庭教育")) == {"家", "庭", "教", "育", "家庭", "庭教", "教育"}
    assert query_terms("家庭教育") == ["家庭", "庭教", "教育"]
    assert query_terms("育") == ["育"]
    assert query_terms("Safety 安全 ２０２６") == ["2026", "safety", "安全"]  # full-width digits fold
    assert mask_name("张丽华") == "张**" and mask_name("李") == "李*"


async def test_the_catalogue_filters_by_category_school_childs_grade_and_chinese_text(api, world):
    family = await create_course(api, world, title="家庭教育与亲子沟通", grades=(1, 6))
    await create_course(api, world, title="青春期心理健康", summary="理解初中生的情绪变化。", category="MENTAL_HEALTH",
                        grades=(7, 9))
    await create_course(api, world, title="Online safety at home", summary="Parental controls, screen time.",
                        category="SAFETY", grades=(1, 12))
    assert (await offer(api, world, family))["userErrors"] == []

    assert await _titles(api, world, {}) == ["Online safety at home", "青春期心理健康", "家庭教育与亲子沟通"]
    assert await _titles(api, world, {"search": "家庭教育"}) == ["家庭教育与亲子沟通"]
    assert await _titles(api, world, {"search": " 亲子 "}) == ["家庭教育与亲子沟通"]
    assert await _titles(api, world, {"search": "情绪"}) == ["青春期心理健康"]  # from the summary
    assert await _titles(api, world, {"search": "教育家"}) == []  # the characters, not in that order
    assert await _titles(api, world, {"search": "SCREEN"}) == ["Online safety at home"]
    assert await _titles(api, world, {"category": "MENTAL_HEALTH"}) == ["青春期心理健康"]
    assert await _titles(api, world, {"schoolId": world.gid(world.school_a)}) == ["家庭教育与亲子沟通"]
    # the parent's child is in grade 3
    child = world.gid(world.students["a"])
    assert await _titles(api, world, {"forStudentId": child}) == ["Online safety at home", "家庭教育与亲子沟通"]
    assert await _titles(api, world, {"forStudentId": child, "search": "家庭"}) == ["家庭教育与亲子沟通"]
    # someone else's child narrows to nothing, exactly as a missing one
    assert await _titles(api, world, {"forStudentId": world.gid(world.students["b"])}) == []
    assert await _titles(api, world, {"schoolId": "not-an-id"}) == []

    page = await api.data(CATALOGUE, {"first": 2}, token=world["parent_a"].token)
    assert page["courses"]["totalCount"] == 3 and page["courses"]["pageInfo"]["hasNextPage"] is True
    rest = await api.data(CATALOGUE, {"first": 2, "after": page["courses"]["pageInfo"]["endCursor"]},
                          token=world["parent_a"].token)
    assert [e["node"]["title"] for e in rest["courses"]["edges"]] == ["家庭教育与亲子沟通"]
    node = rest["courses"]["edges"][0]["node"]
    assert (node["lessonCount"], node["totalMinutes"], node["ratingAverage"], node["ratingCount"]) == (3, 60, None, 0)
    assert node["viewerEnrollment"] is None


async def test_a_course_needs_its_lessons_and_sane_grades(api, world):
    body = await api.data(CREATE_COURSE, {"input": {
        "title": " ", "summary": "x", "category": "HEALTH", "minGrade": 5, "maxGrade": 3,
        "lessons": [{"title": "第一课", "kind": "VIDEO", "durationMinutes": 0, "contentUrl": "javascript:alert(1)"}]}},
        token=world["city_admin"].token)
    assert user_error_codes(body["createCourse"]) == [
        ("INVALID_INPUT", "title"), ("INVALID_INPUT", "maxGrade"), ("INVALID_INPUT", "lessons[0].durationMinutes"),
        ("INVALID_INPUT", "lessons[0].contentUrl")]
    empty = await api.data(CREATE_COURSE, {"input": {
        "title": "空课程", "summary": "x", "category": "HEALTH", "minGrade": 1, "maxGrade": 3, "lessons": []}},
        token=world["city_admin"].token)
    assert user_error_codes(empty["createCourse"]) == [("INVALID_INPUT", "lessons")]
    created = await create_course(api, world, lessons=2)
    assert [lesson["position"] for lesson in created["lessons"]] == [1, 2] and created["lessonCount"] == 2


async def test_only_pilot_schools_offer_courses(api, world):
    course = await create_course(api, world)
    not_pilot = await api.data(
        "mutation($c: ID!, $s: ID!) { offerCourseAtSchool(input: {courseId: $c, schoolId: $s}) "
        "{ course { id } userErrors { code field } } }",
        {"c": course["id"], "s": world.gid(world.school_a2)}, token=world["district_admin_a"].token)
    assert user_error_codes(not_pilot["offerCourseAtSchool"]) == [("INVALID_STATE", "schoolId")]
    assert (await offer(api, world, course))["course"]["offeredAt"] == [{"id": world.gid(world.school_a)}]
    assert (await offer(api, world, course))["course"]["offeredAt"] == [{"id": world.gid(world.school_a)}]  # again
    # another school's administrator may not offer it at school A
    other = await api.gql(
        "mutation($c: ID!, $s: ID!) { offerCourseAtSchool(input: {courseId: $c, schoolId: $s}) { course { id } } }",
        {"c": course["id"], "s": world.gid(world.school_a)}, token=world["school_admin_b"].token)
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_enrolment_is_idempotent_and_the_last_lesson_issues_a_verifiable_certificate(api, world):
    course = await create_course(api, world, lessons=3)
    first = await enroll(api, world, course)
    assert await enroll(api, world, course) == first  # enrolling twice: the same enrolment
    assert first["progressPercent"] == 0
    lessons = [lesson["id"] for lesson in course["lessons"]]

    async def complete(lesson_id: str) -> dict:
        body = await api.data(COMPLETE_LESSON, {"enrollmentId": first["id"], "lessonId": lesson_id},
                              token=world["parent_a"].token)
        return body["completeLesson"]

    assert (await complete(lessons[1]))["enrollment"]["progressPercent"] == 33
    assert (await complete(lessons[1]))["enrollment"]["progressPercent"] == 33  # the same lesson again
    assert (await complete(lessons[0]))["enrollment"]["certificateNumber"] is None
    done = (await complete(lessons[2]))["enrollment"]
    assert done["progressPercent"] == 100 and done["completedAt"] is not None
    number = done["certificateNumber"]
    assert number.startswith("JTJY-") and len(number) == 18
    assert (await complete(lessons[0]))["enrollment"]["certificateNumber"] == number  # stays the same

    detail = (await api.data(DETAIL, {"id": course["id"]}, token=world["parent_a"].token))["node"]
    assert [lesson["id"] for lesson in detail["viewerEnrollment"]["completedLessons"]] == [
        lessons[1], lessons[0], lessons[2]]
    # the public check: no token needed; the holder's name is masked
    verified = (await api.data(VERIFY, {"number": number.lower()}))["verifyCourseCertificate"]
    assert verified["courseTitle"] == "家庭教育与亲子沟通" and verified["holderName"] == "张**"
    completed = dt.datetime.fromisoformat(done["completedAt"]).astimezone(SHANGHAI).date()
    assert verified["completedOn"] == completed.isoformat()  # the programme's date, not UTC's
    assert (await api.data(VERIFY, {"number": "JTJY-2026-NOTHING1"}))["verifyCourseCertificate"] is None

    # another parent cannot move this enrolment, nor a lesson of another course
    other_course = await create_course(api, world, title="另一门课", lessons=1)
    body = await api.data(COMPLETE_LESSON, {"enrollmentId": first["id"], "lessonId": lessons[0]},
                          token=world["parent_b"].token)
    assert user_error_codes(body["completeLesson"]) == [("NOT_FOUND", "enrollmentId")]
    body = await api.data(COMPLETE_LESSON, {"enrollmentId": first["id"],
                                            "lessonId": other_course["lessons"][0]["id"]},
                          token=world["parent_a"].token)
    assert user_error_codes(body["completeLesson"]) == [("NOT_FOUND", "lessonId")]


async def test_certificate_numbers_are_unique(api, world):
    course = await create_course(api, world, lessons=1)
    numbers = set()
    for index in range(6):
        parent = await _parent(world, index)
        enrolment = await enroll(api, world, course, who=parent)
        body = await api.data(COMPLETE_LESSON, {"enrollmentId": enrolment["id"],
                                                "lessonId": course["lessons"][0]["id"]}, token=world[parent].token)
        numbers.add(body["completeLesson"]["enrollment"]["certificateNumber"])
    assert len(numbers) == 6
    rows = await connections.get("default").execute_query_dict(
        "SELECT count(DISTINCT certificate_number) AS n FROM enrollment WHERE certificate_number IS NOT NULL")
    assert rows[0]["n"] == 6


async def _parent(world, index: int) -> str:
    from tests.helpers import make_person

    name = f"parent{index}"
    world.people[name] = await make_person(f"家长{index}", ("PARENT", {}))
    return name


async def test_one_rating_per_parent_and_course_only_after_enrolling(api, world):
    course = await create_course(api, world)
    before = await api.data(RATE, {"courseId": course["id"], "stars": 5}, token=world["parent_a"].token)
    assert user_error_codes(before["rateCourse"]) == [("INVALID_STATE", "courseId")]
    await enroll(api, world, course)
    await enroll(api, world, course, who="parent_b")
    await api.data(RATE, {"courseId": course["id"], "stars": 5, "comment": "很实用"}, token=world["parent_a"].token)
    again = await api.data(RATE, {"courseId": course["id"], "stars": 3}, token=world["parent_a"].token)
    assert again["rateCourse"]["course"] == {"id": course["id"], "ratingAverage": 3.0, "ratingCount": 1}
    both = await api.data(RATE, {"courseId": course["id"], "stars": 4}, token=world["parent_b"].token)
    assert both["rateCourse"]["course"]["ratingAverage"] == 3.5 and both["rateCourse"]["course"]["ratingCount"] == 2
    bad = await api.data(RATE, {"courseId": course["id"], "stars": 6}, token=world["parent_b"].token,
                         headers={"accept-language": "en"})
    assert user_error_codes(bad["rateCourse"]) == [("INVALID_INPUT", "stars")]
    assert bad["rateCourse"]["userErrors"][0]["message"].isascii()


async def test_course_detail_shows_lessons_schools_and_upcoming_sessions(api, world):
    course = await create_course(api, world)
    await offer(api, world, course)
    await schedule_session(api, world, course, capacity=12)
    await schedule_session(api, world, course, at_station=False, by="school_admin_a",
                           starts=local(5, 9))
    detail = (await api.data(DETAIL, {"id": course["id"]}, token=world["parent_b"].token))["node"]
    assert [s["id"] for s in detail["offeredAt"]] == [world.gid(world.school_a)]
    sessions = detail["upcomingSessions"]["nodes"]
    assert [s["venue"]["__typename"] for s in sessions] == ["ServiceStation", "School"]
    assert sessions[0]["venue"]["address"] == "昆都仑区友谊大街 20 号"
    assert sessions[0]["seatsLeft"] == 12 and sessions[0]["instructor"]["displayName"] == "家庭教育指导师"
    assert detail["viewerEnrollment"] is None


async def test_a_catalogue_page_costs_the_same_statements_for_1_and_50_courses(api, world):
    variables = {"first": 50, "filter": None}
    token = world["parent_a"].token
    course = await create_course(api, world)
    await enroll(api, world, course)
    one = await statement_count(api, CATALOGUE, variables, token)
    for index in range(49):
        await create_course(api, world, title=f"课程{index}", lessons=2)
    fifty = await statement_count(api, CATALOGUE, variables, token)
    assert one == fifty, (one, fifty)
    assert fifty <= 6


async def test_a_child_in_another_grade_is_filtered_by_their_own_grade(api, world):
    from services.organisation.models import SchoolClass

    older = await SchoolClass.create(school_id=world.school_a2.id, grade=8, name="八年级1班")
    world.students["older"] = await make_student("张大明", older, world["parent_a"])
    await create_course(api, world, title="青春期沟通", grades=(7, 9))
    await create_course(api, world, title="小学生习惯养成", grades=(1, 6))
    assert await _titles(api, world, {"forStudentId": world.gid(world.students["older"])}) == ["青春期沟通"]
