"""Paging is stable while a list grows or shrinks between pages: cursors are positions, not offsets."""

from __future__ import annotations

from tests.helpers import contract_operation, error_codes, make_person, make_student
from tests.wellbeing.helpers import QUEUE, raise_alert

INBOX = contract_operation("notifications.graphql", "Inbox")
CLASS_STUDENTS = """query Students($id: ID!, $after: String) {
  node(id: $id) { ... on SchoolClass { students(first: 2, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { displayName } } } }
}"""


async def _queue_page(api, world, after=None):
    body = await api.data(QUEUE, {"first": 2, "after": after}, token=world["counsellor_a"].token)
    return body["wellbeingAlerts"]


async def test_a_new_alert_between_two_pages_repeats_nothing_and_skips_nothing(api, world):
    raised = [await raise_alert(api, world, summary=f"预警{i}") for i in range(4)]  # newest first: 3, 2, 1, 0
    first = await _queue_page(api, world)
    assert [e["node"]["summary"] for e in first["edges"]] == ["预警3", "预警2"]
    newer = await raise_alert(api, world, summary="新预警")  # arrives at the top, before the next page
    second = await _queue_page(api, world, first["pageInfo"]["endCursor"])
    assert [e["node"]["summary"] for e in second["edges"]] == ["预警1", "预警0"]
    assert second["pageInfo"]["hasNextPage"] is False and second["totalCount"] == 5
    # every edge's cursor continues right after its own item
    after_one = await _queue_page(api, world, first["edges"][0]["cursor"])
    assert [e["node"]["summary"] for e in after_one["edges"]] == ["预警2", "预警1"]
    assert len(raised) == 4 and newer["id"]


async def test_a_class_list_that_grows_while_paging(api, world):
    for name in ("丁一", "丙二", "乙三"):
        await make_student(name, world.class_a1, await make_person(f"{name}家长"))
    gid = world.gid(world.class_a1)
    token = world["teacher_a"].token
    first = (await api.data(CLASS_STUDENTS, {"id": gid}, token=token))["node"]["students"]
    await make_student("一一", world.class_a1, await make_person("一一家长"))  # sorts first
    rest = []
    after = first["pageInfo"]["endCursor"]
    while after:
        page = (await api.data(CLASS_STUDENTS, {"id": gid, "after": after}, token=token))["node"]["students"]
        rest += [n["displayName"] for n in page["nodes"]]
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    seen = [n["displayName"] for n in first["nodes"]] + rest
    assert len(seen) == len(set(seen)) == 4  # the four there from the start, once each


async def test_cursors_are_opaque_and_tamper_proof(api, world):
    await raise_alert(api, world)
    await raise_alert(api, world)
    cursor = (await _queue_page(api, world))["edges"][0]["cursor"]
    assert "raised" not in cursor and len(cursor) > 40
    forged = cursor[:-4] + ("AAAA" if not cursor.endswith("AAAA") else "BBBB")
    body = await api.gql(QUEUE, {"first": 2, "after": forged}, token=world["counsellor_a"].token)
    assert error_codes(body) == ["INVALID_INPUT"]
    # a cursor of another list is refused as well, never a server error
    inbox_cursor = (await api.data(INBOX, {"first": 1}, token=world["counsellor_a"].token))
    other = inbox_cursor["viewer"]["notifications"]["edges"][0]["cursor"]
    students = await api.gql(CLASS_STUDENTS, {"id": world.gid(world.class_a1), "after": other},
                             token=world["teacher_a"].token)
    assert "INTERNAL_ERROR" not in error_codes(students)
