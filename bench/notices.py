"""School notices and waitlists at city scale: a district-wide notice's fan-out, the parents' notices
list, and a waitlist race.

  .venv/bin/python -m bench.notices            # seeds the city into a fresh database first
  .venv/bin/python -m bench.notices --quick    # the demo's size

Also run by bench.suite. Results: bench/results/notices.md.

- Fan-out: the administrator of the district with the most guardians sends one notice to all its
  schools; measured are the request (it only writes the notice and its job), the time until every
  guardian has a receipt, inbox row and push deliveries, the longest delivery transaction (from the
  jobs' own records), and that every guardian got exactly one receipt.
- The parents' list: MyNotices for a parent with receipts, p50/p95 over many requests.
- Waitlist race: a full session with a line, then at once its holders give seats back, newcomers
  register, more join the line and some leave; afterwards: seats held against capacity, anyone both
  seated and waiting, promotions without a seat.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from tortoise import connections

from bench.common import environment, percentile, run_seeded, seeded
from schema.common.ids import to_global_id
from services.identity import sessions
from tests.helpers import contract_operation

SEND = contract_operation("notices.graphql", "SendNotice")
MINE = contract_operation("notices.graphql", "MyNotices")
REGISTER = contract_operation("family-education.graphql", "RegisterForCourseSession")
CANCEL = contract_operation("family-education.graphql", "CancelCourseSessionRegistration")
JOIN = contract_operation("family-education-next.graphql", "JoinCourseSessionWaitlist")
LEAVE = contract_operation("family-education-next.graphql", "LeaveCourseSessionWaitlist")


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    return await connections.get("default").execute_query_dict(sql, list(args))


async def _token(user_id: Any) -> str:
    from tortoise.transactions import in_transaction

    async with in_transaction() as tx:
        return (await sessions.start(user_id, using=tx)).access_token


async def _post(client: httpx.AsyncClient, address: str, query: str, variables: dict, token: str) -> dict:
    response = await client.post(f"http://{address}/graphql", json={"query": query, "variables": variables},
                                 headers={"authorization": f"Bearer {token}"})
    return response.json()


async def notice_fan_out(api: Any) -> dict[str, Any]:
    (district,) = await _rows("""
        SELECT sc.district_id AS id, count(DISTINCT g.guardian_id) AS guardians,
               (SELECT user_id FROM role_assignment r WHERE r.role = 'DISTRICT_ADMIN' AND r.district_id = sc.district_id
                 LIMIT 1) AS admin
          FROM guardianship g JOIN student st ON st.id = g.student_id JOIN school sc ON sc.id = st.school_id
         GROUP BY sc.district_id ORDER BY guardians DESC LIMIT 1""")
    token = await _token(district["admin"])
    async with httpx.AsyncClient(timeout=120) as client:
        started = time.perf_counter()
        body = await _post(client, api.address, SEND, {"input": {
            "title": "寒假安全告家长书", "body": "请家长督促孩子注意交通、用火和网络安全。",
            "confirmationMode": "SIGNATURE",
            "audience": {"districtId": to_global_id("District", district["id"])}}}, token)
        request_ms = (time.perf_counter() - started) * 1000
    payload = body["data"]["sendNotice"]
    assert payload["userErrors"] == [], payload
    from schema.common.ids import decode_id

    notice_id = decode_id(payload["notice"]["id"], "Notice")
    delivered = None
    while delivered is None:  # the database is the only one to ask: poll it
        delivered = (await _rows("SELECT delivered_at FROM notice WHERE id = $1", notice_id))[0]["delivered_at"]
        await asyncio.sleep(0 if delivered else 0.05)
    delivered_s = time.perf_counter() - started
    (counts,) = await _rows("""
        SELECT (SELECT count(*) FROM notice_receipt WHERE notice_id = $1) AS receipts,
               (SELECT count(DISTINCT guardian_id) FROM notice_receipt WHERE notice_id = $1) AS guardians,
               (SELECT count(*) FROM notice_child WHERE notice_id = $1) AS children,
               (SELECT count(*) FROM notification WHERE subject_type = 'Notice' AND subject_id = $1) AS inbox,
               (SELECT count(*) FROM scheduled_job WHERE kind = 'notice_send' AND subject_id = $1) AS batches,
               -- each batch's done_at is its transaction's start (now()): the longest gap between two
               -- is an upper bound on one batch's transaction
               (SELECT max(gap) FROM (SELECT extract(epoch FROM lead(done_at) OVER (ORDER BY done_at) - done_at)
                                          AS gap FROM scheduled_job
                                         WHERE kind = 'notice_send' AND subject_id = $1) gaps) AS longest""",
                            notice_id)
    return {"district_guardians": district["guardians"], "request_ms": request_ms, "delivered_s": delivered_s,
            "receipts": counts["receipts"], "duplicates": counts["receipts"] - counts["guardians"],
            "children": counts["children"], "inbox_rows": counts["inbox"], "batches": counts["batches"],
            "longest_batch_s": float(counts["longest"] or 0), "guardians_per_s": counts["receipts"] / delivered_s}


async def notices_list(api: Any, requests: int) -> dict[str, Any]:
    (parent,) = await _rows("SELECT guardian_id FROM notice_receipt GROUP BY guardian_id ORDER BY count(*) DESC, "
                            "guardian_id LIMIT 1")
    token = await _token(parent["guardian_id"])
    times = []
    async with httpx.AsyncClient(timeout=60) as client:
        for number in range(requests + 5):
            started = time.perf_counter()
            body = await _post(client, api.address, MINE, {"first": 20}, token)
            assert "errors" not in body, body
            if number >= 5:
                times.append((time.perf_counter() - started) * 1000)
    total = body["data"]["viewer"]["notices"]["totalCount"]
    return {"notices": total, "p50": percentile(times, 0.5), "p95": percentile(times, 0.95), "max": max(times)}


async def waitlist_race(api: Any) -> dict[str, Any]:
    """Ten seats held, ten in line; then at once: the ten holders cancel, twenty newcomers register,
    twenty more join and five of the line leave."""
    db = connections.get("default")
    (session,) = await _rows("SELECT id FROM course_session WHERE starts_at > now() + interval '1 day' "
                             "ORDER BY starts_at DESC LIMIT 1")
    await db.execute_query("DELETE FROM session_registration WHERE session_id = $1", [session["id"]])
    await db.execute_query("UPDATE course_session SET capacity = 10, registered = 0 WHERE id = $1", [session["id"]])
    people = [r["guardian_id"] for r in await _rows(
        "SELECT DISTINCT guardian_id FROM guardianship ORDER BY guardian_id DESC LIMIT 60")]
    tokens = [await _token(p) for p in people]
    gid = to_global_id("CourseSession", session["id"])
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=80)) as client:
        seats = [(await _post(client, api.address, REGISTER, {"sessionId": gid}, t))["data"][
            "registerForCourseSession"]["registration"]["id"] for t in tokens[:10]]
        line = [(await _post(client, api.address, JOIN, {"sessionId": gid}, t))["data"][
            "joinCourseSessionWaitlist"]["waitlistEntry"]["id"] for t in tokens[10:20]]
        started = time.perf_counter()
        holders, leavers = zip(seats, tokens[:10], strict=True), zip(line[5:], tokens[15:20], strict=True)
        await asyncio.gather(
            *(_post(client, api.address, CANCEL, {"registrationId": s}, t) for s, t in holders),
            *(_post(client, api.address, REGISTER, {"sessionId": gid}, t) for t in tokens[20:40]),
            *(_post(client, api.address, JOIN, {"sessionId": gid}, t) for t in tokens[40:60]),
            *(_post(client, api.address, LEAVE, {"waitlistEntryId": e}, t) for e, t in leavers))
        burst_ms = (time.perf_counter() - started) * 1000
    (state,) = await _rows("""
        SELECT s.capacity, s.registered,
               (SELECT count(*) FROM session_registration r WHERE r.session_id = s.id AND r.status = 'REGISTERED')
                   AS seated,
               (SELECT count(*) FROM session_waitlist_entry w WHERE w.session_id = s.id AND w.status = 'WAITING')
                   AS waiting,
               (SELECT count(*) FROM session_waitlist_entry w JOIN session_registration r
                   ON r.session_id = w.session_id AND r.guardian_id = w.guardian_id AND r.status = 'REGISTERED'
                 WHERE w.session_id = s.id AND w.status = 'WAITING') AS both_seated_and_waiting,
               (SELECT count(*) FROM session_waitlist_entry w WHERE w.session_id = s.id AND w.status = 'PROMOTED')
                   AS promoted
          FROM course_session s WHERE s.id = $1""", session["id"])
    return dict(state) | {"requests": 55, "burst_ms": burst_ms,
                          "over_capacity": max(0, state["seated"] - state["capacity"])}


async def measure(api: Any, quick: bool) -> dict[str, Any]:
    return {"fan_out": await notice_fan_out(api), "list": await notices_list(api, 20 if quick else 100),
            "waitlist": await waitlist_race(api)}


def report(r: dict[str, Any]) -> str:
    f, li, w = r["fan_out"], r["list"], r["waitlist"]
    return "\n".join([
        "| measure | result |", "| --- | --- |",
        f"| district notice: request | {f['request_ms']:.0f} ms (writes the notice and its job) |",
        f"| district notice: every guardian reached | {f['delivered_s']:.1f} s for {f['receipts']:,} guardians "
        f"({f['guardians_per_s']:,.0f}/s), {f['batches']} batches, longest gap between batches (a bound on one "
        f"batch's transaction) {f['longest_batch_s'] * 1000:.0f} ms |",
        f"| district notice: rows | {f['receipts']:,} receipts ({f['duplicates']} duplicates) of "
        f"{f['district_guardians']:,} guardians, {f['children']:,} children, {f['inbox_rows']:,} inbox rows |",
        f"| MyNotices (first 20 of {li['notices']}) | p50 {li['p50']:.1f} ms, p95 {li['p95']:.1f} ms, "
        f"max {li['max']:.1f} ms |",
        f"| waitlist race ({w['requests']} at once, {w['burst_ms']:.0f} ms) | {w['seated']} seated of "
        f"{w['capacity']} (over capacity: {w['over_capacity']}), {w['waiting']} waiting, {w['promoted']} promoted, "
        f"{w['both_seated_and_waiting']} both seated and waiting |",
    ])


async def main(quick: bool, seed_number: int) -> dict[str, Any]:
    async with environment() as env:
        results = await seeded(quick, seed_number)
        api = env.server("api")
        try:
            await api.ready()
            results |= await measure(api, quick)
        finally:
            api.stop()
    return results


def _heading(outcome: dict[str, Any]) -> str:
    return (f"# Notices and waitlists ({outcome['scale']} scale, {outcome['when']})\n\n"
            f"Seeded {outcome['seed']['rows']:,} rows in {outcome['seed']['seconds']:.0f} s.\n\n{report(outcome)}\n")


if __name__ == "__main__":
    run_seeded(__doc__, main, "notices", _heading)
