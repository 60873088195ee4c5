"""The benchmark suite: one command, city-scale data, every comparison side by side in one run.

  .venv/bin/python -m bench.suite            # seeds the city into a fresh database (about a minute)
  .venv/bin/python -m bench.suite --quick    # the demo's size and short runs: a smoke test of the suite

Results: a table on standard output, bench/results/suite.md and bench/results/suite.png.

1. ParentHome through /graphql against the floor (bench/floor.py: Starlette + asyncpg, the same JSON):
   throughput and p50/p99 at a fixed concurrency, and the ratio.
2. A flat list against the same list nested three levels deep: the drop in throughput.
3. SQL statements per request for lists of 1, 10 and 100 items.
4. ProgrammeDashboard latency at city scale: the screen, every figure, and two figures (only their
   statements run); statements and CPU per request, the server's and PostgreSQL's.
5. Live-feed fan-out to 1,000 subscribers over two server processes (bench/live_feed.py).
6. Escalation lateness with one of two processes killed midway (bench/escalation.py).
7. 50-way races on one home-visit slot, one seat, one consultation slot: double bookings.
8. Memory: peak RSS of the API process over the suite, and memory per idle subscriber (the second
   thousand's; the first thousand's, which reuses the heap earlier benchmarks freed, beside it).
10. Writes: a parent marking the inbox read, a teacher raising an alert (with its pages, deadline and
    events), alternating: throughput, latency and CPU per request.

Every load run also counts the CPU time its server spent per request (user and system, from
/proc), warm-up and background work included: the cost of a request is what a server must spend
to keep serving it.

The API server and the floor run alone on CPU 0 and the load generator on CPU 1 (PostgreSQL and
Redis float); the two sides of a comparison alternate, round after round, and the medians count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import resource
import statistics
import time
from typing import Any

import httpx
import orjson
from tortoise import connections
from tortoise.transactions import in_transaction

from bench import load, notices
from bench.common import RESULTS, environment, percentile, seeded
from schema.common.ids import to_global_id
from services.enums import HomeVisitDecision
from services.family_education import courses as course_service
from services.family_education import sessions as session_service
from services.family_education.instructors import open_slots
from services.family_education.models import Instructor
from services.home_visits import service as visit_service
from services.home_visits.rules import Window
from services.identity import principals, sessions
from tests.helpers import contract_operation
from tests.screens import dashboard_selections

PARENT_HOME = contract_operation("screens.graphql", "ParentHome")
DASHBOARD = contract_operation("screens.graphql", "ProgrammeDashboard")
MARK_READ = contract_operation("notifications.graphql", "MarkNotificationsRead")
RAISE_ALERT = contract_operation("wellbeing.graphql", "RaiseWellbeingAlert")
FLAT = """query Flat($id: ID!) { node(id: $id) { ... on SchoolClass { students(first: 40) {
  nodes { id displayName gender } } } } }"""
NESTED = """query Nested($id: ID!) { node(id: $id) { ... on SchoolClass { students(first: 40) {
  nodes { id displayName gender schoolClass { id name grade school { id name district { id name } } } } } } } }"""
LISTS = {
    "schools": ("query Schools($n: Int!) { schools(first: $n) { nodes { id name stage district { id name } } } }",
                "city_admin"),
    "instructors": (contract_operation("family-education.graphql", "FindInstructors"), "parent"),
    "home visits": ("query Visits($n: Int!) { homeVisits(first: $n) { nodes { id status student { id displayName } "
                    "teacher { id displayName } } } }", "district_admin"),
}
CONCURRENCY = 8


def _drop(fraction: float) -> str:
    """How much slower nested is than flat, signed: −5 % (nested slower), +1 % (nested faster)."""
    return f"{'−' if fraction >= 0 else '+'}{abs(fraction) * 100:.0f} %"


def _cpus() -> tuple[int | None, int | None]:
    """The servers on CPU 0 and the load on CPU 1, where there are two."""
    return (0, 1) if (os.cpu_count() or 1) >= 2 and hasattr(os, "sched_setaffinity") else (None, None)


async def _token(user_id) -> str:
    async with in_transaction() as tx:
        return (await sessions.start(user_id, using=tx)).access_token


async def _one(sql: str, *args: Any) -> Any:
    rows = await connections.get("default").execute_query_dict(sql, list(args))
    return rows[0] if rows else None


# --------------------------------------------------------------------------
# The people the workloads act as.


async def _parent() -> Any:
    """A parent of two with an upcoming home visit, courses under way and a seat at a coming session."""
    row = await _one("""SELECT g.guardian_id FROM guardianship g GROUP BY g.guardian_id HAVING count(*) = 2
                        ORDER BY g.guardian_id LIMIT 1""")
    parent_id = row["guardian_id"]
    parent = await principals.of_user(parent_id)
    children = await connections.get("default").execute_query_dict(
        "SELECT st.id, c.homeroom_teacher_id FROM guardianship g JOIN student st ON st.id = g.student_id "
        "JOIN school_class c ON c.id = st.school_class_id WHERE g.guardian_id = $1", [parent_id])
    for number, child in enumerate(children):
        open_visit = await _one("SELECT 1 FROM home_visit WHERE student_id = $1 AND status IN "
                                "('PROPOSED', 'RESCHEDULE_REQUESTED', 'CONFIRMED')", child["id"])
        if open_visit is None:
            teacher = await principals.of_user(child["homeroom_teacher_id"])
            day = dt.datetime.now(dt.UTC).replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(
                days=40 + number)
            await visit_service.propose(teacher, visit_service.Proposal(
                child["id"], [Window(day, day + dt.timedelta(hours=1)), Window(day + dt.timedelta(days=1),
                                                                             day + dt.timedelta(days=1, hours=1))],
                "了解孩子在家的学习情况", [], None))
    for course in (await connections.get("default").execute_query_dict(
            "SELECT id FROM course WHERE audience = 'PARENT' LIMIT 3")):
        await course_service.enroll(parent, course["id"])
    upcoming = await connections.get("default").execute_query_dict(
        "SELECT id FROM course_session WHERE starts_at > now() AND registered < capacity ORDER BY starts_at LIMIT 2")
    for session in upcoming:
        await session_service.register(parent, session["id"])
    return parent_id


async def _people() -> dict[str, Any]:
    parent = await _parent()
    city_admin = (await _one("SELECT user_id FROM role_assignment WHERE role = 'CITY_ADMIN' LIMIT 1"))["user_id"]
    district_admin = (await _one("SELECT user_id FROM role_assignment WHERE role = 'DISTRICT_ADMIN' ORDER BY "
                                 "(SELECT position FROM district WHERE id = district_id) LIMIT 1"))["user_id"]
    big_class = await _one("""SELECT c.id, c.homeroom_teacher_id, min(st.id::text)::uuid AS student
                                FROM school_class c JOIN student st ON st.school_class_id = c.id
                              GROUP BY c.id ORDER BY count(*) DESC, c.id LIMIT 1""")
    return {"parent": parent, "city_admin": city_admin, "district_admin": district_admin,
            "teacher": big_class["homeroom_teacher_id"], "class": big_class["id"], "student": big_class["student"]}


# --------------------------------------------------------------------------
# Side-by-side throughput.


def _cpu_seconds(pid: int) -> float:
    """The CPU time, user and system, a process has spent so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()  # after the command's name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _side_by_side(targets: dict[str, tuple[load.Target, int]], rounds: int, duration: float, cpu: int | None
                  ) -> dict[str, dict[str, float]]:
    """Each target (with the pid of the server answering it) loaded in turn, ``rounds`` times,
    alternating; medians of the rounds, the server's CPU time per request among them."""
    runs: dict[str, list[load.Result]] = {name: [] for name in targets}
    cpu_ms: dict[str, list[float]] = {name: [] for name in targets}
    order = list(targets)
    for number in range(rounds):
        for name in order if number % 2 == 0 else reversed(order):
            target, pid = targets[name]
            before = _cpu_seconds(pid)
            result = load.run(target, concurrency=CONCURRENCY, duration=duration, cpu=cpu)
            cpu_ms[name].append((_cpu_seconds(pid) - before) * 1000 / max(result.answered, 1))
            runs[name].append(result)
    summary = {}
    for name, results in runs.items():
        latencies = [value for r in results for value in r.latencies_ms]
        summary[name] = {"throughput": statistics.median(r.throughput for r in results),
                         "p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
                         "errors": sum(r.errors for r in results), "cpu_ms": statistics.median(cpu_ms[name])}
    return summary


def _graphql(address: str, query: str, variables: dict, token: str) -> load.Target:
    return load.Target(address, "/graphql", orjson.dumps({"query": query, "variables": variables}),
                       {"Authorization": f"Bearer {token}"})


async def _post(client: httpx.AsyncClient, address: str, path: str, body: dict, token: str) -> httpx.Response:
    return await client.post(f"http://{address}{path}", json=body, headers={"authorization": f"Bearer {token}"})


async def parent_home_vs_floor(api, floor, token: str, rounds: int, duration: float) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        graphql = (await _post(client, api.address, "/graphql", {"query": PARENT_HOME}, token)).json()
        by_hand = (await _post(client, floor.address, "/parent-home", {}, token)).json()
    assert "errors" not in graphql, graphql
    assert graphql == by_hand, "the floor must answer exactly what /graphql answers"
    objects = _count_objects(graphql["data"])
    _, load_cpu = _cpus()
    figures = _side_by_side({"floor": (load.Target(floor.address, "/parent-home", b"{}",
                                                   {"Authorization": f"Bearer {token}"}), floor.process.pid),
                             "graphql": (_graphql(api.address, PARENT_HOME, {}, token), api.process.pid)},
                            rounds, duration, load_cpu)
    return {"objects": objects, **figures,
            "ratio": figures["graphql"]["throughput"] / figures["floor"]["throughput"]}


def _count_objects(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(_count_objects(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_objects(v) for v in value)
    return 0


async def flat_vs_nested(api, token: str, class_id, rounds: int, duration: float) -> dict[str, Any]:
    variables = {"id": to_global_id("SchoolClass", class_id)}
    async with httpx.AsyncClient(timeout=30) as client:
        for query in (FLAT, NESTED):
            body = (await _post(client, api.address, "/graphql", {"query": query, "variables": variables},
                                token)).json()
            assert "errors" not in body, body
            assert body["data"]["node"]["students"]["nodes"], body
    _, load_cpu = _cpus()
    figures = _side_by_side({"flat": (_graphql(api.address, FLAT, variables, token), api.process.pid),
                             "nested": (_graphql(api.address, NESTED, variables, token), api.process.pid)},
                            rounds, duration, load_cpu)
    return {**figures, "drop": 1 - figures["nested"]["throughput"] / figures["flat"]["throughput"]}


async def statements_per_list(api, tokens: dict[str, str]) -> dict[str, dict[int, int]]:
    counts: dict[str, dict[int, int]] = {}
    async with httpx.AsyncClient(timeout=30) as client:
        for name, (query, who) in LISTS.items():
            counts[name] = {}
            for size in (1, 10, 100):
                variables = {"n": size} if "$n" in query else {"first": size}
                response = await _post(client, api.address, "/graphql", {"query": query, "variables": variables},
                                       tokens[who])
                response = await _post(client, api.address, "/graphql", {"query": query, "variables": variables},
                                       tokens[who])  # the second: the principal is cached, as in steady use
                assert "errors" not in response.json(), response.json()
                counts[name][size] = int(response.headers["x-sql-statements"])
    return counts


async def _database_cpu() -> dict[int, float]:
    """CPU time spent so far by each PostgreSQL backend serving the benchmark's database (PostgreSQL
    on this machine, as the suite runs it): other databases' work on a shared server is left out."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    spent = {}
    for row in rows:
        with contextlib.suppress(FileNotFoundError):  # a backend that ended meanwhile
            spent[row["pid"]] = _cpu_seconds(row["pid"])
    return spent


async def dashboard_latency(api, token: str, district_id, requests: int) -> dict[str, Any]:
    """One request at a time, after five unmeasured: latency, statements, and the CPU time per request
    of the server and of PostgreSQL."""
    year = dt.datetime.now(dt.UTC).year
    out = {}
    async with httpx.AsyncClient(timeout=60) as client:
        for name, query, variables in (
                ("city", DASHBOARD, {"year": year}),
                ("city, every figure", dashboard_selections.EVERY_FIGURE, {"year": year}),
                ("city, two figures", dashboard_selections.STOCKS, {"year": year}),
                ("district", DASHBOARD, {"year": year, "districtId": to_global_id("District", district_id)})):
            times = []
            for number in range(requests + 5):
                if number == 5:
                    server, database = _cpu_seconds(api.process.pid), await _database_cpu()
                started = time.perf_counter()
                response = await _post(client, api.address, "/graphql", {"query": query, "variables": variables},
                                       token)
                assert "errors" not in response.json(), response.json()
                if number >= 5:
                    times.append((time.perf_counter() - started) * 1000)
            database_after = await _database_cpu()
            out[name] = {"p50": percentile(times, 0.5), "p95": percentile(times, 0.95), "max": max(times),
                         "statements": int(response.headers["x-sql-statements"]),
                         "cpu_ms": (_cpu_seconds(api.process.pid) - server) * 1000 / requests,
                         "database_cpu_ms": sum(cpu - database.get(pid, 0) for pid, cpu in database_after.items())
                         * 1000 / requests}
    return out


#: The writes' variables: the parent's whole inbox; an alert a homeroom teacher raises about a child.
MARK_ALL_READ = {"all": True}


def raise_alert_variables(student_id) -> dict[str, Any]:
    return {"input": {"studentId": to_global_id("Student", student_id), "severity": "MEDIUM",
                      "category": "BEHAVIOUR", "source": "TEACHER_OBSERVATION",
                      "summary": "近两周上课注意力不集中，情绪低落"}}


async def writes(api, tokens: dict[str, str], student_id, rounds: int, duration: float) -> dict[str, Any]:
    """A parent marking the inbox read (what the app sends when it is opened) and a homeroom teacher
    raising an alert about a child of the class, alternating."""
    mark_read = (MARK_READ, MARK_ALL_READ, tokens["parent"])
    raise_alert = (RAISE_ALERT, raise_alert_variables(student_id), tokens["teacher"])
    async with httpx.AsyncClient(timeout=30) as client:
        for query, variables, token in (mark_read, raise_alert):
            body = (await _post(client, api.address, "/graphql", {"query": query, "variables": variables},
                                token)).json()
            assert "errors" not in body, body
            assert next(iter(body["data"].values()))["userErrors"] == [], body
    _, load_cpu = _cpus()
    return _side_by_side({name: (_graphql(api.address, *write), api.process.pid)
                          for name, write in (("mark read", mark_read), ("raise alert", raise_alert))},
                         rounds, duration, load_cpu)


# --------------------------------------------------------------------------
# Races, memory, and the feed and escalation benchmarks in processes of their own.


async def races(api) -> dict[str, Any]:
    """50 requests at once on one slot, one seat, one consultation slot."""
    db = connections.get("default")
    # fifty parents from the far end of the list, away from the home screen's parent
    parents = [r["guardian_id"] for r in await db.execute_query_dict(
        "SELECT DISTINCT guardian_id FROM guardianship ORDER BY guardian_id DESC LIMIT 50")]
    tokens = [await _token(p) for p in parents]
    out = {}
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=60)) as client:
        # one seat left at a coming session
        session = await _one("SELECT id FROM course_session WHERE starts_at > now() ORDER BY starts_at LIMIT 1")
        await db.execute_query("UPDATE course_session SET capacity = registered + 1 WHERE id = $1", [session["id"]])
        register = contract_operation("family-education.graphql", "RegisterForCourseSession")
        answers = await asyncio.gather(*(_post(client, api.address, "/graphql", {"query": register, "variables": {
            "sessionId": to_global_id("CourseSession", session["id"])}}, t) for t in tokens))
        won = sum(1 for a in answers if a.json()["data"]["registerForCourseSession"]["userErrors"] == [])
        seats = await _one("SELECT capacity, registered FROM course_session WHERE id = $1", session["id"])
        out["seat"] = {"attempts": 50, "won": won, "over_capacity": max(0, seats["registered"] - seats["capacity"])}
        # one consultation slot: the first free slot of an active instructor
        instructor = await _one("SELECT id FROM instructor WHERE suspended_at IS NULL ORDER BY id LIMIT 1")
        row = await Instructor.get(id=instructor["id"])
        today = dt.datetime.now(dt.UTC).date()
        slot = (await open_slots(row, today + dt.timedelta(days=1), today + dt.timedelta(days=14), 60))[0]
        book = contract_operation("family-education.graphql", "BookConsultation")
        answers = await asyncio.gather(*(_post(client, api.address, "/graphql", {"query": book, "variables": {
            "input": {"instructorId": to_global_id("Instructor", row.id), "startsAt": slot.starts_at.isoformat(),
                      "durationMinutes": 60, "mode": "PHONE", "topic": "竞争"}}}, t) for t in tokens))
        won = sum(1 for a in answers if a.json()["data"]["bookConsultation"]["userErrors"] == [])
        overlaps = await _one("""SELECT count(*) AS n FROM instructor_booking a JOIN instructor_booking b
                                    ON a.instructor_id = b.instructor_id AND a.id < b.id
                                   AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)""")
        out["consultation"] = {"attempts": 50, "won": won, "double_bookings": overlaps["n"]}
        # one home-visit slot: 50 families of one teacher's class accept the same hour at once
        out["home_visit"] = await _visit_race(api, client)
    return out


async def _visit_race(api, client: httpx.AsyncClient) -> dict[str, Any]:
    """The school's administrator offers the same hour to fifty families; they all accept at once."""
    db = connections.get("default")
    school = await _one("""SELECT s.id, (SELECT user_id FROM role_assignment r WHERE r.school_id = s.id
                                          AND r.role = 'SCHOOL_ADMIN' LIMIT 1) AS admin
                             FROM school s JOIN student st ON st.school_id = s.id
                            GROUP BY s.id ORDER BY count(*) DESC, s.id LIMIT 1""")
    lead = await principals.of_user(school["admin"])
    hour = (dt.datetime.now(dt.UTC) + dt.timedelta(days=50)).replace(hour=8, minute=0, second=0, microsecond=0)
    window = Window(hour, hour + dt.timedelta(hours=1))
    visits = []
    for child in await db.execute_query_dict(
            """SELECT st.id, (SELECT guardian_id FROM guardianship g WHERE g.student_id = st.id AND g.is_primary
                              LIMIT 1) AS parent
                 FROM student st WHERE st.school_id = $1 AND NOT EXISTS (
                      SELECT 1 FROM home_visit v WHERE v.student_id = st.id
                         AND v.status IN ('PROPOSED', 'RESCHEDULE_REQUESTED', 'CONFIRMED'))
                ORDER BY st.id LIMIT 50""", [school["id"]]):
        visit = await visit_service.propose(lead, visit_service.Proposal(child["id"], [window], "家访", [], None))
        visits.append((visit.id, await _token(child["parent"])))
    respond = contract_operation("home-visits.graphql", "RespondToHomeVisit")
    slot = {"startsAt": window.starts_at.isoformat(), "endsAt": window.ends_at.isoformat()}
    answers = await asyncio.gather(*(_post(client, api.address, "/graphql", {"query": respond, "variables": {
        "input": {"homeVisitId": to_global_id("HomeVisit", v), "decision": HomeVisitDecision.ACCEPT.value,
                  "acceptedSlot": slot}}}, t) for v, t in visits))
    won = sum(1 for a in answers if a.json()["data"]["respondToHomeVisit"]["userErrors"] == [])
    overlaps = await _one("""SELECT count(*) AS n FROM home_visit_booking a JOIN home_visit_booking b
                                ON a.teacher_id = b.teacher_id AND a.id < b.id
                               AND tstzrange(a.blocked_from, a.blocked_until)
                                   && tstzrange(b.blocked_from, b.blocked_until)""")
    return {"attempts": len(visits), "won": won, "double_bookings": overlaps["n"]}


def _status(pid: int, field: str) -> int:
    """A /proc/<pid>/status figure, in kB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


async def idle_subscribers(api, token: str, count: int) -> dict[str, float]:
    """Memory one more idle subscription costs: RSS across a second batch of ``count`` sockets.

    The first batch is a warm-up, reported apart: what the process freed in earlier benchmarks
    stays in its heap and is reused by the first sockets (the less garbage a request leaves, the
    less there is to reuse, the larger that batch's RSS delta), and the allocator's arenas and
    the event loop's tables grow once. The second batch is what each subscriber really adds.
    """
    import websockets

    pid = api.process.pid
    query = contract_operation("notifications.graphql", "NotificationReceived")
    sockets = []

    async def subscribe_batch() -> int:
        for number in range(count):
            ws = await websockets.connect(f"ws://{api.address}/graphql", subprotocols=["graphql-transport-ws"],
                                          max_size=2**20)
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
            await ws.recv()
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
            sockets.append(ws)
            if number % 100 == 99:
                await asyncio.sleep(0.05)
        await asyncio.sleep(3)
        return _status(pid, "VmRSS")

    before = _status(pid, "VmRSS")
    try:
        warm = await subscribe_batch()
        after = await subscribe_batch()
    finally:
        for ws in sockets:
            await ws.close()
    return {"subscribers": count, "rss_before_mb": before / 1024, "rss_warm_mb": warm / 1024,
            "rss_after_mb": after / 1024, "kb_per_first_subscriber": (warm - before) / count,
            "kb_per_subscriber": (after - warm) / count}


def _in_process(module: str, function: str, args: tuple, out) -> None:
    import importlib

    out.put(asyncio.run(getattr(importlib.import_module(module), function)(*args)))


def _elsewhere(module: str, function: str, *args: Any) -> Any:
    """A benchmark with its own environment (database, servers), in a fresh process."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    process = context.Process(target=_in_process, args=(module, function, args, out))
    process.start()
    result = out.get(timeout=900)
    process.join(30)
    return result


# --------------------------------------------------------------------------


async def main(quick: bool, rounds: int, duration: float, seed_number: int) -> dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a thousand sockets, and servers that inherit it
    async with environment() as env:
        results: dict[str, Any] = {"cpus": os.cpu_count(), "rounds": rounds, "duration": duration,
                                   **await seeded(quick, seed_number)}
        people = await _people()
        tokens = {who: await _token(people[who]) for who in ("parent", "city_admin", "district_admin", "teacher")}
        api, floor = env.server("api"), env.server("floor", command=["-m", "bench.floor"])
        try:
            await api.ready()
            await floor.ready()
            server_cpu, _ = _cpus()
            if server_cpu is not None:
                for process in (api, floor):
                    os.sched_setaffinity(process.process.pid, {server_cpu})
            results["parent_home"] = await parent_home_vs_floor(api, floor, tokens["parent"], rounds, duration)
            results["flat_nested"] = await flat_vs_nested(api, tokens["teacher"], people["class"], rounds, duration)
            results["statements"] = await statements_per_list(api, tokens)
            district = await _one("SELECT id FROM district ORDER BY position LIMIT 1")
            results["dashboard"] = await dashboard_latency(api, tokens["city_admin"], district["id"],
                                                           20 if quick else 100)
            results["writes"] = await writes(api, tokens, people["student"], rounds, duration)
            results["races"] = await races(api)
            results["notices"] = await notices.measure(api, quick)
            results["idle_subscribers"] = await idle_subscribers(api, await _token(people["parent"]),
                                                                 200 if quick else 1000)
            results["peak_rss_mb"] = _status(api.process.pid, "VmHWM") / 1024
        finally:
            api.stop()
            floor.stop()
    results["live_feed"] = _elsewhere("bench.live_feed", "main", [100 if quick else 1000], 5 if quick else 20, 4,
                                      False)[0]
    results["escalation"] = _elsewhere("bench.escalation", "main", 50 if quick else 300, 10.0 if quick else 20.0)
    return results


GOALS = {
    "parent_home": "GraphQL ≥ 0.5× the floor's throughput",
    "flat_nested": "nested ≤ 20 % below flat",
    "statements": "the same for 1, 10 and 100 items",
    "dashboard": "p95 ≤ 150 ms",
    "live_feed": "p99 ≤ 250 ms, none lost",
    "escalation": "p99 ≤ 2 s, none missed",
    "races": "0 double bookings",
    "memory": "peak ≤ 300 MB; ≤ 50 KB per idle subscriber",
    "notices": "a district notice's request < 1 s, every guardian once; MyNotices p95 ≤ 150 ms; 0 over capacity",
    # CPU per request in units of the floor's CPU per request in the same run: steadier than latency
    # on a shared machine, and what a regression of the write path would show first. The budgets are
    # the earlier ones, 2 and 10 ms (as first measured, 1.6 and 8.0 ms, and a quarter more), over the
    # floor's 0.53 ms in a quiet phase: in milliseconds they read "no" whenever the machine slows, for
    # the machine and not the code (bench/results/parent-home.md).
    "writes": "CPU ≤ 3.8× the floor's per mark read, ≤ 19× per alert raised (2 and 10 ms with the floor at "
              "0.53 ms); no errors",
}
#: The writes' CPU budgets per request, in units of the floor's CPU per request (GOALS["writes"]).
WRITE_BUDGETS = {"mark read": 3.8, "raise alert": 19.0}


def report(r: dict[str, Any]) -> str:
    ph, fn, dash, wr = r["parent_home"], r["flat_nested"], r["dashboard"], r["writes"]
    feed, esc, mem, nt = r["live_feed"], r["escalation"], r["idle_subscribers"], r["notices"]
    floor_cpu = ph["floor"]["cpu_ms"]
    statements_same = all(len(set(sizes.values())) == 1 for sizes in r["statements"].values())
    doubles = (r["races"]["seat"]["over_capacity"] + r["races"]["consultation"]["double_bookings"]
               + r["races"]["home_visit"]["double_bookings"])
    rows = [
        ("1. ParentHome vs floor", f"{ph['graphql']['throughput']:.0f} vs {ph['floor']['throughput']:.0f} req/s "
         f"= {ph['ratio']:.2f}×; p50 {ph['graphql']['p50']:.1f} vs {ph['floor']['p50']:.1f} ms, p99 "
         f"{ph['graphql']['p99']:.1f} vs {ph['floor']['p99']:.1f} ms; CPU {ph['graphql']['cpu_ms']:.2f} vs "
         f"{ph['floor']['cpu_ms']:.2f} ms per request ({ph['objects']} objects, c={CONCURRENCY})",
         GOALS["parent_home"], ph["ratio"] >= 0.5),
        ("2. flat vs nested", f"{fn['flat']['throughput']:.0f} vs {fn['nested']['throughput']:.0f} req/s: "
         f"{_drop(fn['drop'])}; CPU {fn['flat']['cpu_ms']:.2f} vs {fn['nested']['cpu_ms']:.2f} ms per request",
         GOALS["flat_nested"], fn["drop"] <= 0.20),
        ("3. statements per request", "; ".join(f"{name}: {sizes[1]}/{sizes[10]}/{sizes[100]}"
                                                for name, sizes in r["statements"].items()),
         GOALS["statements"], statements_same),
        ("4. ProgrammeDashboard", "; ".join(
            f"{name} p50 {d['p50']:.0f} ms, p95 {d['p95']:.0f} ms, {d['statements']} statements, CPU "
            f"{d['cpu_ms']:.1f} ms + PostgreSQL {d['database_cpu_ms']:.1f} ms per request" for name, d in dash.items()),
         GOALS["dashboard"], max(dash["city"]["p95"], dash["district"]["p95"]) <= 150),  # the screen's document
        ("5. live feed", f"{feed['subscribers']:.0f} subscribers: p50 {feed['p50']:.0f} ms, p99 {feed['p99']:.0f} ms, "
         f"{feed['lost']:.0f} lost", GOALS["live_feed"], feed["p99"] <= 250 and feed["lost"] == 0),
        ("6. escalation", f"{esc['deadlines']:.0f} deadlines, one process killed: p99 {esc['p99']:.0f} ms, "
         f"{esc['missed']:.0f} missed, {esc['duplicates']:.0f} twice", GOALS["escalation"],
         esc["p99"] <= 2000 and esc["missed"] == 0 and esc["duplicates"] == 0),
        ("7. races (50-way)", f"seat {r['races']['seat']['won']} won, consultation "
         f"{r['races']['consultation']['won']} won, home visit {r['races']['home_visit']['won']} won; "
         f"{doubles} double bookings", GOALS["races"], doubles == 0),
        ("8. memory", f"peak RSS {r['peak_rss_mb']:.0f} MB; {mem['kb_per_subscriber']:.1f} KB per idle subscriber "
         f"({mem['subscribers']} more over {mem['subscribers']} subscribed; the first "
         f"{mem['subscribers']}: {mem['kb_per_first_subscriber']:.1f} KB each)", GOALS["memory"],
         r["peak_rss_mb"] <= 300 and mem["kb_per_subscriber"] <= 50),
        ("9. notices and waitlist", f"district notice: request {nt['fan_out']['request_ms']:.0f} ms, "
         f"{nt['fan_out']['receipts']:,} guardians reached in {nt['fan_out']['delivered_s']:.1f} s "
         f"({nt['fan_out']['duplicates']} twice); MyNotices p95 {nt['list']['p95']:.0f} ms; waitlist race: "
         f"{nt['waitlist']['over_capacity']} over capacity, {nt['waitlist']['both_seated_and_waiting']} seated "
         f"and waiting", GOALS["notices"],
         nt["fan_out"]["request_ms"] < 1000 and nt["fan_out"]["duplicates"] == 0 and nt["list"]["p95"] <= 150
         and nt["waitlist"]["over_capacity"] == 0 and nt["waitlist"]["both_seated_and_waiting"] == 0),
        ("10. writes", "; ".join(
            f"{name}: {w['throughput']:.0f} req/s, p50 {w['p50']:.1f} ms, p99 {w['p99']:.1f} ms, CPU {w['cpu_ms']:.2f} "
            f"ms per request = {w['cpu_ms'] / floor_cpu:.1f}× the floor's" for name, w in wr.items())
         + f" (c={CONCURRENCY})", GOALS["writes"],
         all(w["cpu_ms"] <= WRITE_BUDGETS[name] * floor_cpu and w["errors"] == 0 for name, w in wr.items())),
    ]
    lines = [f"Run {r['when']} on {r['cpus']} CPUs, {r['scale']} scale (seeded {r['seed']['rows']:,} rows in "
             f"{r['seed']['seconds']:.0f} s); {r['rounds']} alternating rounds of {r['duration']:g} s per "
             "comparison, medians.", "",
             "| benchmark | result | goal | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {name} | {result} | {goal} | {'yes' if met else 'no'} |" for name, result, goal, met in rows]
    return "\n".join(lines)


def plot(r: dict[str, Any], path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(13, 4))
    ph, fn = r["parent_home"], r["flat_nested"]
    left.bar(["floor", "GraphQL"], [ph["floor"]["throughput"], ph["graphql"]["throughput"]],
             color=["#999999", "#d62728"])
    left.set_title(f"ParentHome, c={CONCURRENCY}: {ph['ratio']:.2f}× the floor")
    left.set_ylabel("requests / s")
    middle.bar(["flat", "nested (3 levels)"], [fn["flat"]["throughput"], fn["nested"]["throughput"]],
               color=["#1f77b4", "#ff7f0e"])
    middle.set_title(f"Flat vs nested: {_drop(fn['drop'])}")
    names = ["ParentHome floor", "ParentHome GraphQL", "dashboard city", "live feed"]
    p50 = [ph["floor"]["p50"], ph["graphql"]["p50"], r["dashboard"]["city"]["p50"], r["live_feed"]["p50"]]
    p99 = [ph["floor"]["p99"], ph["graphql"]["p99"], r["dashboard"]["city"]["p95"], r["live_feed"]["p99"]]
    positions = range(len(names))
    right.bar([p - 0.2 for p in positions], p50, width=0.4, label="p50")
    right.bar([p + 0.2 for p in positions], p99, width=0.4, label="p99 (dashboard: p95)")
    right.set_xticks(list(positions), names, rotation=20, ha="right")
    right.set_ylabel("ms")
    right.set_title("Latency")
    right.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="demo-sized data and short runs (a smoke test)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per comparison")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds measured per round")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rounds, duration = (1, 3.0) if args.quick else (args.rounds, args.duration)
    outcome = asyncio.run(main(args.quick, rounds, duration, args.seed))
    table = report(outcome)
    print(table)  # noqa: T201 - the suite's output
    RESULTS.mkdir(exist_ok=True)
    name = "suite-quick" if args.quick else "suite"
    (RESULTS / f"{name}.md").write_text(f"# Benchmark suite\n\n{table}\n", encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(json.dumps(outcome, indent=2, default=str), encoding="utf-8")
    plot(outcome, RESULTS / f"{name}.png")
