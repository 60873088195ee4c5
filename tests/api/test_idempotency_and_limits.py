"""Idempotency keys, the execution timeout, and SQL statements per request."""

from __future__ import annotations

import asyncio
import dataclasses
import re

import httpx

from services.organisation.models import School
from tests.conftest import RunningServer
from tests.helpers import contract_operation, make_person, make_student, statement_count

CREATE_SCHOOL = contract_operation("organisation.graphql", "CreateSchool")
TEACHER_CLASSES = contract_operation("organisation.graphql", "TeacherClasses")
SCHOOLS = contract_operation("organisation.graphql", "Schools")


def _create(world, name="幂等小学"):
    return {"input": {"districtId": world.gid(world.district_a), "name": name, "stage": "PRIMARY",
                      "isFamilyEducationPilot": False}}


async def test_a_retry_with_the_same_key_replays_and_changes_nothing(api, world):
    token = world["city_admin"].token
    headers = {"idempotency-key": "create-school-1"}
    first = await api.post(CREATE_SCHOOL, _create(world), token=token, headers=headers)
    second = await api.post(CREATE_SCHOOL, _create(world), token=token, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert first.json()["data"]["createSchool"]["userErrors"] == []
    assert await School.filter(name="幂等小学").count() == 1
    # without the key, the same request is a new request (and here a conflict)
    third = await api.data(CREATE_SCHOOL, _create(world), token=token)
    assert third["createSchool"]["userErrors"][0]["code"] == "CONFLICT"


async def test_the_same_key_with_another_body_is_refused(api, world):
    token = world["city_admin"].token
    headers = {"idempotency-key": "k-2"}
    await api.post(CREATE_SCHOOL, _create(world), token=token, headers=headers)
    other = await api.post(CREATE_SCHOOL, _create(world, "另一所小学"), token=token, headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await School.filter(name="另一所小学").count() == 0


async def test_keys_belong_to_their_user(api, world):
    headers = {"idempotency-key": "shared-key"}
    first = await api.post(CREATE_SCHOOL, _create(world, "甲小学"), token=world["city_admin"].token, headers=headers)
    second = await api.post(CREATE_SCHOOL, _create(world, "乙小学"), token=world["district_admin_a"].token,
                            headers=headers)
    assert first.status_code == second.status_code == 200
    assert await School.filter(name__in=["甲小学", "乙小学"]).count() == 2


async def test_concurrent_retries_run_the_mutation_once(api, world):
    token = world["city_admin"].token
    headers = {"idempotency-key": "race-1"}
    responses = await asyncio.gather(*[
        api.post(CREATE_SCHOOL, _create(world, "并发小学"), token=token, headers=headers) for _ in range(8)])
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}
    successes = [r for r in responses if r.status_code == 200]
    assert all(r.json() == successes[0].json() for r in successes)
    assert await School.filter(name="并发小学").count() == 1


async def test_queries_ignore_the_key(api, world):
    response = await api.post("{ privacyNotice { version } }", headers={"idempotency-key": "q"})
    assert response.status_code == 200 and "idempotent-replayed" not in response.headers


async def test_execution_is_cut_off_at_the_timeout(settings):
    quick = dataclasses.replace(settings, request_timeout_s=0.000001)
    running = RunningServer(quick)
    address = await running.start()
    try:
        person = await make_person("超时者")
        async with httpx.AsyncClient(base_url=f"http://{address}") as client:
            response = await client.post("/graphql", json={"query": "{ districts { id } }"},
                                         headers={"authorization": f"Bearer {person.token}"})
        assert response.status_code == 504
        assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
    finally:
        await running.stop()


async def test_metrics_count_requests_and_statements(api, world):
    await api.data(SCHOOLS, {"first": 5}, token=world["teacher_a"].token, )
    text = (await api.client.get("/metrics")).text
    assert re.search(r'^coedu_graphql_requests_total\{operation="Schools",outcome="ok",transport="http"\} 1\.0$',
                     text, re.M)
    assert float(re.search(r"^coedu_db_statements_total (\S+)$", text, re.M).group(1)) > 0
    assert re.search(r"^coedu_db_pool_connections \S+$", text, re.M)


async def test_a_list_costs_the_same_statements_for_1_and_50_items(api, world):
    teacher = world["teacher_a"]
    one = await statement_count(api, TEACHER_CLASSES, {}, teacher.token)
    for index in range(49):
        parent = await make_person(f"家长{index}")
        await make_student(f"学生{index}", world.class_a1, parent)
    fifty = await statement_count(api, TEACHER_CLASSES, {}, teacher.token)
    body = await api.data(TEACHER_CLASSES, token=teacher.token)
    class_a1 = next(c for c in body["viewer"]["classes"] if c["name"] == "三年级1班")
    assert class_a1["students"]["totalCount"] == 50
    assert one == fifty
    assert one <= 6


async def test_the_school_directory_costs_the_same_statements_for_1_and_50_schools(api, world):
    token = world["school_admin_a"].token
    variables = {"first": 50, "filter": {"search": "测试"}}
    await School.create(district_id=world.district_a.id, name="测试学校0", stage="PRIMARY")
    one = await statement_count(api, SCHOOLS, variables, token)
    for index in range(1, 50):
        await School.create(district_id=world.district_b.id if index % 2 else world.district_a.id,
                            name=f"测试学校{index}", stage="PRIMARY")
    fifty = await statement_count(api, SCHOOLS, variables, token)
    assert one == fifty
    assert one <= 4
