"""The ASGI application: routes, middleware and an explicit lifespan."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import gc
import hmac
import logging
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from tortoise import connections

from api.documents import DocumentRegistry
from api.failpoints import Failpoints
from api.graphql_http import GraphQLHttp, HttpSettings
from api.graphql_ws import GraphQLWebSocket
from api.observability import Metrics, new_request_id, operation_slot, request_id_var
from api.settings import Settings
from api.supervision import Supervisor
from schema import build_schema
from services import db, outbox, redis_breaker, runtime, telemetry
from services.crypto import Crypto
from services.events import Hub
from services.home_visits import calendar
from services.identity import principals
from services.identity.principal_cache import PrincipalCache
from services.identity.tokens import TokenKeys
from services.notifications.service import PUSH_JOB
from services.roster.jobs import ROSTER_JOB
from services.scheduler import Scheduler
from services.wellbeing.feed import AlertFeed

log = logging.getLogger("coedu.app")

#: Deadline jobs a process runs at once when many fall due together (after an outage); each holds a
#: pool connection while it runs, so this stays well below COEDU_DB_POOL_SIZE.
DEADLINE_WORKERS = 3


def redis_client(url: str) -> Redis:
    # Fail fast when Redis is down or hung: PostgreSQL is the source of truth and requests go on without it.
    return redis_breaker.connect(url)


def build_runtime(settings: Settings, redis: Redis) -> runtime.Runtime:
    keys = settings.keys
    assert keys is not None
    return runtime.Runtime(
        crypto=Crypto.from_keys(keys.encryption_keys, keys.current_encryption_key, keys.index_key),
        redis=redis,
        redis_prefix=settings.redis_prefix,
        signing=TokenKeys.build(keys.signing_key, keys.previous_verifying_keys),
        password_hashing=settings.password_hashing,
        push_gateway_url=settings.push_gateway_url,
        roster_dir=settings.roster_dir or settings.data_dir / "roster",
        public_url=settings.public_url or "http://127.0.0.1:8000",
        tokens=dataclasses.replace(runtime.Runtime.tokens, access_ttl_seconds=settings.access_token_seconds),
    )


@dataclass
class Live:
    """The process's live machinery: one Redis subscription, the alert feed, the scheduler's lanes,
    and the principals it keeps while the subscription tells it when they change."""

    hub: Hub
    feed: AlertFeed
    #: deadlines and every other job but pushes
    scheduler: Scheduler
    #: pushes, which wait on the gateway
    pushes: Scheduler
    #: roster imports started from the console, a school per job: seconds each, never ahead of a deadline
    rosters: Scheduler
    principals: PrincipalCache

    @classmethod
    def build(cls, redis: Redis) -> Live:
        hub = Hub(redis)
        owner = f"{socket.gethostname()}:{os.getpid()}"
        return cls(hub, AlertFeed(hub),
                   Scheduler(owner, except_kinds=(PUSH_JOB, ROSTER_JOB), concurrency=DEADLINE_WORKERS),
                   Scheduler(owner, kinds=(PUSH_JOB,)), Scheduler(owner, kinds=(ROSTER_JOB,)), PrincipalCache(hub))

    def start(self, supervisor: Supervisor, *, serving: bool = True) -> None:
        """Every loop of the process, under the supervisor; ``serving`` False for `coedu worker`,
        which has no subscribers to feed."""
        supervisor.start("outbox-relay", outbox.relay)
        supervisor.start("scheduler", self.scheduler.run)
        supervisor.start("push-delivery", self.pushes.run)
        supervisor.start("roster-imports", self.rosters.run)
        if serving:
            self.principals.attach(principals.access_channel())
            supervisor.start("pubsub-hub", self.hub.run)
            supervisor.start("alert-feed", self.feed.run)


def exit_on_fatal(reason: str) -> None:
    """A loop the process cannot bring back: stop serving (SIGTERM drains the requests in hand) so
    that the supervisor of the process starts a fresh one; the CLI exits non-zero."""
    signal.raise_signal(signal.SIGTERM)


class RequestContextMiddleware:
    """Request id in and out, one JSON access-log line per request (no addresses, no headers)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            # WebSocket operations carry their own request ids (api.graphql_ws); wrapping every
            # message of a live feed here would only cost time.
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or ()).get(b"x-request-id")
        request_id = new_request_id(incoming.decode("latin-1") if incoming else None)
        token = request_id_var.set(request_id)
        operation = operation_slot()
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info("request", extra={
                "method": scope["method"], "path": scope["path"], "status": status,
                "operation": operation[0] if operation else None, "transport": "http",
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            })
            request_id_var.reset(token)


class GraphQLFirst:
    """/graphql over HTTP straight to its handler, past Starlette's router and its two layers of
    exception handling (none of which has anything to do for it: the handler answers every request
    itself, and an unexpected error still reaches ServerErrorMiddleware). The apps' every request
    comes this way; WebSockets and every other path take the routes. What is configured on the
    Starlette app for its routes (exception handlers, say) does not apply to /graphql."""

    def __init__(self, app: Any, http: GraphQLHttp) -> None:
        self.app = app
        self.http = http

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/graphql":
            response = await self.http.handle(Request(scope, receive, send))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(settings: Settings, *, on_fatal: Callable[[str], None] = exit_on_fatal) -> Starlette:
    if not (settings.database_url and settings.redis_url):
        raise ValueError("resolve the embedded servers before create_app")
    database_url = settings.database_url
    production = settings.is_production
    schema = build_schema(production=production)
    metrics = Metrics()
    redis = redis_client(settings.redis_url)
    live = Live.build(redis)
    documents = DocumentRegistry.load(list(settings.trusted_documents))
    http = GraphQLHttp(schema, HttpSettings(settings.request_timeout_s, documents, production,
                                            Failpoints(settings.failpoints)), metrics, live)
    websocket = GraphQLWebSocket(schema, allowed_origins=settings.allowed_origins, live=live, metrics=metrics,
                                 documents=documents)
    supervisor = Supervisor(metrics, on_fatal)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.install(build_runtime(settings, redis))
        if settings.migrate_on_start:
            # As the owner when one is configured: the server's own role may not alter the schema.
            await db.migrate(settings.migration_database_url or database_url)
        await db.init(database_url, pool_size=settings.db_pool_size,
                      statement_timeout_ms=settings.statement_timeout_ms)
        live.start(supervisor)
        # Everything made at start-up lives as long as the process: keep it out of the collector's
        # scans, and collect young objects less often (a live feed allocates in bursts).
        gc.freeze()
        gc.set_threshold(10_000, 20, 20)
        log.info("ready")
        try:
            yield
        finally:
            # SIGTERM: stop claiming work, finish the job in hand, then let go of the database.
            await supervisor.stop()
            await db.close()
            await redis.aclose()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        """Ready = can serve: PostgreSQL answers and every loop turns. Redis is reported, not
        required (requests and the feed go on without it, see services.redis_breaker)."""
        postgres, loops = await _check_postgres(), supervisor.health()
        checks = {"postgres": postgres, "redis": await _check_redis(redis), "loops": loops}
        ready = postgres == "ok" and all(v == "ok" for v in loops.values())
        return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                            status_code=200 if ready else 503)

    async def calendar_feed(request: Request) -> Response:
        feed = await calendar.render(request.path_params["token"])
        if feed is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        headers = {"Cache-Control": "private, max-age=300", "ETag": feed.etag}
        if feed.last_modified is not None:
            headers["Last-Modified"] = format_datetime(feed.last_modified.astimezone(dt.UTC), usegmt=True)
        if feed.etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
            return Response(status_code=304, headers=headers)  # the phone's copy is current
        return Response(feed.ics, media_type="text/calendar; charset=utf-8", headers=headers)

    async def metrics_endpoint(request: Request) -> Response:
        if not _may_scrape(settings, request.headers.get("authorization")):
            # Production without a token does not serve metrics at all; with one, only to its bearer.
            return Response(status_code=404 if settings.metrics_token is None else 401,
                            headers={} if settings.metrics_token is None else {"WWW-Authenticate": "Bearer"})
        pool = getattr(connections.get("default"), "_pool", None)
        if pool is not None:
            metrics.pool_size.set(pool.get_size())
            metrics.pool_idle.set(pool.get_idle_size())
        supervisor.observe(metrics)
        metrics.show_backlog(await _backlog())
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(
        routes=[
            # served by GraphQLFirst; listed for the route table (and "/graphql/" redirecting here)
            Route("/graphql", http.handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            WebSocketRoute("/graphql", websocket),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/calendar/{token}.ics", calendar_feed),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(GraphQLFirst, http=http)  # the innermost: inside the request id and the access log
    app.add_middleware(RequestContextMiddleware)
    if settings.allowed_origins:
        # An administrators' console on its own origin: bearer tokens, never cookies, so no credentials.
        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.allowed_origins), allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "accept", "accept-language", "idempotency-key",
                           "x-request-id"],
            expose_headers=["x-request-id", "idempotent-replayed", "retry-after"], max_age=600,
        )
    app.state.schema = schema
    app.state.live = live
    app.state.supervisor = supervisor
    return app


def _may_scrape(settings: Settings, authorization: str | None) -> bool:
    if settings.metrics_token is None:
        return not settings.is_production
    scheme, _, credentials = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(credentials.encode(), settings.metrics_token.encode())


async def _backlog() -> telemetry.Backlog | None:
    try:
        async with asyncio.timeout(2):
            return await telemetry.backlog()
    except Exception:  # noqa: BLE001 - a scrape during an outage says so (coedu_backlog_up 0) and goes on
        return None


async def _check_postgres() -> str:
    try:
        async with asyncio.timeout(2):
            await connections.get("default").execute_query("SELECT 1")
        return "ok"
    except Exception:  # noqa: BLE001 - a probe: whatever asyncpg raises mid-restart means "not now"
        return "unavailable"


async def _check_redis(redis: Redis) -> str:
    breaker = getattr(redis, "breaker", None)
    if breaker is not None and breaker.is_open:
        return "unavailable"  # known down: a probe would only wait
    try:
        async with asyncio.timeout(1):
            await redis.ping()
        return "ok"
    except Exception:  # noqa: BLE001 - a probe, as above
        return "unavailable"
