"""PostgreSQL: the ORM configuration, migrations and the database clock."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import datetime as dt
import functools
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, cast

import asyncpg
from tortoise import Tortoise, connections, timezone
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import DBConnectionError
from tortoise.expressions import Q
from tortoise.fields.data import CharEnumFieldInstance, DatetimeField, IntEnumFieldInstance, UUIDField
from tortoise.migrations.api.migrate import migrate as tortoise_migrate
from tortoise.models import Model
from tortoise.transactions import in_transaction

from services.progress import Progress

APP = "coedu"
MODEL_MODULES = [
    "services.identity.models",
    "services.organisation.models",
    "services.audit",
    "services.idempotency",
    "services.outbox",
    "services.scheduler",
    "services.notifications.models",
    "services.wellbeing.models",
    "services.home_visits.models",
    "services.family_education.models",
    "services.column.models",
    "services.notices.models",
    "services.roster.models",
]
CONNECT_TIMEOUT_SECONDS = 5
#: pg_advisory_lock key held while migrating, so replicas starting together take turns.
_MIGRATION_LOCK = 0x636F656475


@dataclasses.dataclass
class RequestStatements:
    """What one request sent: its statements, and the connections (backend process ids) they ran on."""

    count: int = 0
    backends: set[int] = dataclasses.field(default_factory=set)


#: Array types looked up on every connection as it opens (``attach``): asyncpg then decodes them
#: inside records too (``_shape``).
_LOOKED_UP = ("uuid[]",)


class _StatementCounter:
    """Counts SQL statements: all this process sends (for /metrics), and those of the current
    request when it asked (``per_request``). asyncpg calls loggers with call_soon, in a copy of the
    caller's context, so the request's counter is the one in its context."""

    def __init__(self) -> None:
        self.count = 0
        self.per_request: contextvars.ContextVar[RequestStatements | None] = contextvars.ContextVar(
            "statement_count", default=None
        )

    def _logged(self, backend: int) -> Callable[[object], None]:
        def logged(record: object) -> None:
            self.count += 1
            mine = self.per_request.get()
            if mine is not None:
                mine.count += 1
                mine.backends.add(backend)

        return logged

    async def attach(self, connection: asyncpg.Connection) -> None:
        # Arrays of uuids are read on hot paths (visit facts); asyncpg introspects a type on its first
        # use on each connection, and that is better done here than inside some request.
        # So are reads sent together (db.read), as arrays of records.
        empty = ", ".join("'{}'::" + kind for kind in _LOOKED_UP)
        await connection.fetchval(f"SELECT {empty}, ARRAY(SELECT t FROM (SELECT 1) t)")
        connection.add_query_logger(self._logged(connection.get_server_pid()))


statements = _StatementCounter()


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Released connections skip asyncpg's RESET ALL round trip: the application sets no session
    state (advisory locks it takes are transaction-scoped), and an open transaction is still rolled
    back by the pool itself."""


def tortoise_config(database_url: str, *, pool_size: int = 10, statement_timeout_ms: int = 5000) -> dict[str, Any]:
    connection = expand_db_url(database_url)
    credentials = connection["credentials"]
    credentials["init"] = statements.attach
    credentials["reset"] = _keep_session
    # A few connections open from the start, so the first requests do not pay for the handshakes.
    credentials["minsize"] = min(4, pool_size)
    credentials["maxsize"] = pool_size
    # A runaway query is cut off by the server, whatever the client does.
    credentials["server_settings"] = {
        "statement_timeout": str(statement_timeout_ms),
        "application_name": "coedu",
        "timezone": "UTC",
    }
    # A server that stops answering (frozen, partitioned) must not hold a connection forever:
    # connecting is bounded, and so is every statement, a little beyond the server's own limit.
    credentials["timeout"] = CONNECT_TIMEOUT_SECONDS
    if statement_timeout_ms:
        credentials["command_timeout"] = statement_timeout_ms / 1000 + 5
    return {
        "connections": {"default": connection},
        "apps": {APP: {"models": MODEL_MODULES, "default_connection": "default", "migrations": "migrations"}},
        "use_tz": True,
        "timezone": "UTC",
    }


#: For the `tortoise makemigrations` command line (pyproject [tool.tortoise]).
MIGRATION_CONFIG = tortoise_config(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/coedu")


async def migrate(database_url: str, *, progress: Progress | None = None) -> None:
    """Bring the database to the latest migration; safe to run from several processes at once.
    ``progress`` shows the migrations to apply, one step each."""
    params = expand_db_url(database_url)["credentials"]
    lock = await asyncpg.connect(
        host=params.get("host"), port=params.get("port"), user=params.get("user"),
        password=params.get("password"), database=params.get("database"),
    )
    try:
        await lock.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        def planned(connection: str, plan: list[Any], fake: bool, dry_run: bool) -> None:
            if progress is not None:
                progress.set(0, len(plan))

        def applied(event: str, app: str, name: str) -> None:
            if progress is not None and event == "apply_done":
                progress.advance()

        await tortoise_migrate(config=tortoise_config(database_url, pool_size=2, statement_timeout_ms=0),
                               reporter=planned, progress=applied)
        if progress is not None:
            progress.close()
        await connections.close_all()
    finally:
        await lock.close()


async def init(database_url: str, *, pool_size: int = 10, statement_timeout_ms: int = 5000) -> None:
    await Tortoise.init(
        config=tortoise_config(database_url, pool_size=pool_size, statement_timeout_ms=statement_timeout_ms),
        _enable_global_fallback=True,
    )


async def close() -> None:
    # Also lets go of the global context, so that a later init (the server after a command that used
    # the database, in another event loop) can take it.
    await Tortoise.close_connections()


#: What asyncpg raises while PostgreSQL restarts, shuts down, refuses connections or cannot be reached.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    DBConnectionError,
    asyncpg.exceptions.InterfaceError,  # the connection is closed (ConnectionDoesNotExistError, ...)
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutting down, starting up
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections
)


def is_unavailable(error: BaseException) -> bool:
    """Whether an error means PostgreSQL could not be reached or went away (worth a retry), as
    opposed to a statement that failed. Tortoise wraps some errors: their causes are looked at."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, _UNAVAILABLE) and not isinstance(seen, asyncpg.exceptions.QueryCanceledError):
            return True
        seen = seen.__cause__
    return False


def is_bad_value(error: BaseException) -> bool:
    """Whether PostgreSQL refused a value itself (SQLSTATE class 22: a NUL byte in text, a number out
    of range, an impossible date): a value the client sent, since nothing else reaches a statement."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, asyncpg.exceptions.DataError):
            return True
        seen = seen.__cause__
    return False


def unique_violation_columns(error: Exception) -> frozenset[str]:
    """The columns of the unique constraint an IntegrityError broke (empty for any other error)."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) != "23505":
        return frozenset()
    detail = getattr(cause, "detail", "") or ""
    match = re.match(r"Key \(([^)]*)\)=", detail)
    return frozenset(c.strip() for c in match.group(1).split(",")) if match else frozenset()


#: Connections of the pool that requests' reads never hold for a whole request: what transactions
#: (the scheduler's, a mutation's, an audited read's) can always get, so that a request holding its
#: reads' connection while it waits for a transaction's never waits on other such requests.
UNPINNED_CONNECTIONS = 2
_pinned = 0


class _RequestReads(AsyncpgDBClient):
    """The reads of one request on one pool connection, taken by its first statement and given
    back when the request ends; its statements take turns (a lock), as a transaction's do.

    A statement of its own pool connection costs about as much again as the statement itself
    (the pool's acquire and release, a task and a timer each): a screen of five statements pays
    that five times. Transactions still take a connection of their own (``_in_transaction``), so
    that what they write and read is theirs alone, and the dashboard's aggregates still run side
    by side. A statement after the request has ended (a sibling of a failed field finishing on
    its own) takes its own connection, as it would have without this."""

    def __init__(self, parent: AsyncpgDBClient) -> None:
        self._pool_client = parent
        self._lock = asyncio.Lock()
        self._connection = None
        self._ended = False
        #: Reads issued since the last were sent (``read``), and the task that will send them.
        self._waiting: list[_Read] = []
        self._sender: asyncio.Task[None] | None = None
        self.log = parent.log
        self.connection_name = parent.connection_name

    def acquire_connection(self) -> Any:
        return _Turn(self)

    def read(self, sql: str, values: Sequence[Any]) -> asyncio.Future[Answer]:
        """``read``'s answer, sent with the other reads the request issues before its next turn."""
        waiting = _Read(sql, values, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        if self._sender is None:
            # Runs after the tasks already scheduled: the request's other fields issue their reads first.
            self._sender = asyncio.ensure_future(self._send_waiting())
        return waiting.answer

    async def _send_waiting(self) -> None:
        batch: list[_Read] = []
        # One turn more: the tasks the request's fields start this turn (a resolver gathering two
        # reads) issue theirs too.
        await asyncio.sleep(0)
        try:
            if not _wanted(self._waiting):
                self._waiting, self._sender = [], None  # every reader gave up (a timeout, a failed sibling)
                return
            async with self.acquire_connection() as connection:
                batch, self._waiting, self._sender = _wanted(self._waiting), [], None
                await _send_together(connection, batch)
        except BaseException as error:
            if not batch:
                batch, self._waiting, self._sender = self._waiting, [], None
            for waiting in batch:
                waiting.fail(error)
            if not isinstance(error, Exception):
                raise

    def _in_transaction(self) -> Any:
        return self._pool_client._in_transaction()

    async def end(self) -> None:
        self._ended = True
        if not self._lock.locked():
            await self._give_back()

    async def _give_back(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        pool = self._pool_client._pool
        if pool is None:  # the pool closed meanwhile (shutdown): nothing to give it back to
            connection.terminate()
            return
        await pool.release(connection)


class _Turn:
    """A statement's turn on the request's connection (taken on the first turn)."""

    __slots__ = ("pooled", "reads")

    def __init__(self, reads: _RequestReads) -> None:
        self.reads = reads
        self.pooled: Any = None

    async def __aenter__(self) -> asyncpg.Connection:
        reads = self.reads
        if not reads._ended:
            await reads._lock.acquire()
            if not reads._ended:
                try:
                    if reads._connection is None:
                        reads._connection = await (await _pool_of(reads._pool_client)).acquire()
                    return reads._connection
                except BaseException:
                    reads._lock.release()
                    raise
            reads._lock.release()
        self.pooled = reads._pool_client.acquire_connection()
        return await self.pooled.__aenter__()

    async def __aexit__(self, *exc: object) -> None:
        if self.pooled is not None:
            await self.pooled.__aexit__(*exc)
            return
        reads = self.reads
        reads._lock.release()
        if reads._ended and not reads._lock.locked():
            await reads._give_back()  # the request ended while this statement ran


#: A read's answer: its column names (none when it found no rows), and its rows as sequences of values
#: in their order.
Answer = tuple[Sequence[str], Sequence[Sequence[Any]]]


@dataclasses.dataclass(slots=True)
class _Read:
    sql: str
    values: Sequence[Any]
    answer: asyncio.Future[Answer]

    def give(self, answer: Answer) -> None:
        if not self.answer.done():  # else its reader was cancelled meanwhile
            self.answer.set_result(answer)

    def fail(self, error: BaseException) -> None:
        if self.answer.done():
            return
        if isinstance(error, asyncio.CancelledError):
            self.answer.cancel()
        else:
            self.answer.set_exception(error)


def _wanted(reads: list[_Read]) -> list[_Read]:
    """The reads whose readers still wait (a cancelled reader's statement is not sent)."""
    return [waiting for waiting in reads if not waiting.answer.done()]


def _answer(records: Sequence[asyncpg.Record]) -> Answer:
    return (tuple(records[0].keys()) if records else (), records)


#: What each statement sent together with others answers: its column names, or None where it cannot
#: go with others. Inside a record asyncpg decodes a value in binary with the codec it knows for the
#: type: only these types (and ``_LOOKED_UP``, looked up on every connection) are sure to decode as
#: in a row of their own (an enum, a domain or another array is not known before it is looked up;
#: ``money`` or ``tsvector`` have text codecs only, which would garble binary values). Learnt from
#: PostgreSQL the first time.
_shapes: dict[str, tuple[str, ...] | None] = {}
_TOGETHER_TYPES = frozenset({"bool", "int2", "int4", "int8", "float4", "float8", "numeric", "text", "varchar",
                             "bpchar", "name", "uuid", "date", "time", "timestamp", "timestamptz", "interval",
                             "json", "jsonb", "bytea", *_LOOKED_UP})
#: The alias of each read in the statement that sends reads together: no read may have a column of its name.
_ROW = "coedu_read"


async def _shape(connection: asyncpg.Connection, sql: str) -> tuple[str, ...] | None:
    if sql not in _shapes:
        attributes = (await connection.prepare(sql)).get_attributes()
        names = tuple(a.name for a in attributes)
        _shapes[sql] = names if _ROW not in names and all(
            a.type.schema == "pg_catalog" and a.type.name in _TOGETHER_TYPES for a in attributes) else None
    return _shapes[sql]


@functools.cache
def _parameters(sql: str) -> int:
    return max((int(number) for number in _PARAMETER.findall(sql)), default=0)


async def _send_together(connection: asyncpg.Connection, batch: Sequence[_Read]) -> None:
    """Reads as one statement, each an array of its rows (``_together``): one round trip for what
    would be one each, and a round trip costs about as much client CPU as a screen's whole read.
    A statement that fails fails alone: then each is sent on its own, and only its reader sees
    its error (unless PostgreSQL cannot be reached at all: every reader sees that)."""
    try:
        # A read with more or fewer values than parameters goes alone: its own error, as asyncpg's,
        # and never a value shifted into its neighbour.
        together = [waiting for waiting in batch if len(waiting.values) == _parameters(waiting.sql)
                    and await _shape(connection, waiting.sql) is not None] if len(batch) > 1 else []
        if len(together) > 1:
            row = await connection.fetchrow(_together(tuple(waiting.sql for waiting in together)),
                                            *(value for waiting in together for value in waiting.values))
            assert row is not None
            for waiting, rows in zip(together, row, strict=True):
                waiting.give((cast(tuple[str, ...], _shapes[waiting.sql]) if rows else (), rows))
    except Exception as error:
        # Unreachable, or out of time (the statement timeout covers the reads together): every reader
        # sees it, and an overloaded server is not asked the same again, one read at a time.
        if is_unavailable(error) or connection.is_closed() or isinstance(error, asyncpg.QueryCanceledError):
            raise
    for waiting in batch:
        if waiting.answer.done():
            continue  # answered together, or its reader gave up
        try:
            waiting.give(_answer(await connection.fetch(waiting.sql, *waiting.values)))
        except Exception as own:
            waiting.fail(own)  # its reader's error, not the others'
            if connection.is_closed():
                raise  # nor can the others be answered on it


_PARAMETER = re.compile(r"\$(\d+)")


@functools.lru_cache(maxsize=256)
def _together(statements: tuple[str, ...]) -> str:
    """One statement answering several: a column per statement, the array of its rows (as records,
    which asyncpg decodes as tuples with every value typed as in a row of its own), in its order.
    The parameters are numbered on from one statement to the next."""
    parts, offset = [], 0
    for sql in statements:
        def renumbered(match: re.Match[str], at: int = offset) -> str:
            return f"${int(match.group(1)) + at}"

        parts.append(f"ARRAY(SELECT {_ROW} FROM ({_PARAMETER.sub(renumbered, sql)}) {_ROW})")
        offset += _parameters(sql)
    return "SELECT " + ", ".join(parts)


async def read(sql: str, values: Sequence[Any]) -> Answer:
    """The column names and rows of a read statement, as asyncpg decodes them (its errors are
    asyncpg's). In a request's reads (``request_reads``), what its fields read together (in one
    turn of the event loop: the sibling fields of a screen) goes to PostgreSQL as one statement.
    The text may hold no ``$`` but its parameters' (renumbered when read together)."""
    client = connections.get("default")
    if isinstance(client, _RequestReads) and not client._ended:
        return await client.read(sql, values)
    async with client.acquire_connection() as connection:
        return _answer(await connection.fetch(sql, *values))


async def _pool_of(client: AsyncpgDBClient) -> asyncpg.Pool:
    """The client's pool, opened if this context has not yet (tortoise's own way, before a statement)."""
    if client._pool is None:
        await client.acquire_connection().ensure_connection()
    assert client._pool is not None
    return client._pool


@contextlib.asynccontextmanager
async def request_reads() -> AsyncIterator[None]:
    """The reads of a query request on one connection of the pool (``_RequestReads``), as long as
    ``UNPINNED_CONNECTIONS`` stay for transactions; else each statement on its own, as always."""
    global _pinned
    parent = connections.get("default")
    if not isinstance(parent, AsyncpgDBClient) or isinstance(parent, TransactionWrapper) or \
            _pinned >= parent.pool_maxsize - UNPINNED_CONNECTIONS:
        yield
        return
    reads = _RequestReads(parent)
    _pinned += 1
    token = connections.set("default", reads)
    try:
        yield
    finally:
        connections.reset(token)
        _pinned -= 1
        await reads.end()


async def now(using: BaseDBAsyncClient | None = None) -> dt.datetime:
    """The database's clock: the one deadlines are scheduled and compared with.

    Inside a transaction this is the transaction's start time, as PostgreSQL's now() is.
    """
    row = await (using or connections.get("default")).execute_query_dict("SELECT now() AS now")
    return row[0]["now"]


async def rows_by_id(model: Any, ids: Sequence[uuid.UUID], extra: Q | None = None) -> list[Any]:
    """Rows of ``model`` in the order of ``ids`` (None where missing or filtered out by ``extra``):
    the shape every DataLoader wants. Without a filter the statement is written here, not by the
    query builder, whose cost would dominate these lookups."""
    if extra is not None:
        found = {row.id: row for row in await model.filter(extra, id__in=list(ids))}
    else:
        found = {row.id: row for row in await raw_rows(
            model, f'SELECT * FROM "{model._meta.db_table}" WHERE id = ANY($1::uuid[])', [list(ids)])}
    return [found.get(i) for i in ids]


async def raw_rows(model: Any, sql: str, values: list[Any], using: BaseDBAsyncClient | None = None) -> list[Any]:
    """Instances of ``model`` from a statement that selects its table's columns."""
    rows = await (using or connections.get("default")).execute_query_dict(sql, values)
    return [model._init_from_db(**row) for row in rows]


#: One table of a joined statement: its alias in the statement, and what each row makes of its columns:
#: a model (its table's columns; the instance tortoise would make) or a NamedTuple (the columns
#: of its fields only; for what needs a few columns and no model behaviour, never primed as the model).
Part = tuple[str, Any]

#: The name of a model's class attribute listing the columns only statements read (a search index
#: of the row, read by no field): ``joined_rows`` leaves them out, and its instances are partial,
#: as those of the query builder's ``.only()`` are (tortoise refuses to save them whole).
STATEMENT_ONLY_COLUMNS = "statement_only_columns"


def _columns_of(made: Any) -> tuple[str, ...]:
    if isinstance(made, type) and issubclass(made, Model):
        return tuple(sorted(set(made._meta.db_fields) - set(getattr(made, STATEMENT_ONLY_COLUMNS, ()))))
    return tuple(made._fields)


def joined_columns(parts: Sequence[Part]) -> str:
    """The select list for ``joined_rows``: the columns of each part, named "alias.column"."""
    return ", ".join(f'{alias}."{column}" AS "{alias}.{column}"'
                     for alias, made in parts for column in _columns_of(made))


def _instance_maker(model: type[Model]) -> Callable[[Sequence[Any]], Any]:
    """What ``model._init_from_db`` makes of a row given as values in ``_columns_of`` order, for
    less: a function written for the model (as ``dataclasses`` writes ``__init__``) fills the
    instance's dict in one step, converting only the columns tortoise converts, by the same fields.
    A UUID is taken as asyncpg decodes it (a ``uuid.UUID``, what UUIDField makes); a timestamp
    with asyncpg's UTC is moved to tortoise's zone, an enum's value looked up in its enum's map;
    anything else goes to the field's own conversion."""
    meta = model._meta
    attributes = {column: (attribute, field) for column, attribute, field in
                  (*meta.db_native_fields, *meta.db_default_fields, *meta.db_complex_fields)}
    typed = {column for column, _, _ in meta.db_default_fields}
    columns = _columns_of(model)
    namespace: dict[str, Any] = {"new": model.__new__, "model": model, "utc": dt.UTC}
    entries = [f"'_partial': {len(columns) < len(meta.db_fields)}", "'_saved_in_db': True",
               f"'_custom_generated_pk': {meta.db_pk_column not in meta.generated_db_fields}",
               "'_await_when_save': {}"]
    for place, column in enumerate(columns):
        attribute, field = attributes[column]
        field = cast(Any, field)
        value = f"values[{place}]"
        kind = type(field).to_python_value
        if column in typed:
            # as _init_from_db: by the field's type, when not None
            namespace[f"t{place}"] = field.field_type
            value = f"None if {value} is None else t{place}({value})"
        elif column not in {c for c, _, _ in meta.db_native_fields} and kind is not UUIDField.to_python_value:
            namespace[f"c{place}"] = field.to_python_value
            if kind is DatetimeField.to_python_value and timezone.get_use_tz():
                namespace["zone"] = timezone.get_default_timezone()
                value = (f"None if (v{place} := {value}) is None else v{place}.astimezone(zone) "
                         f"if type(v{place}) is datetime and v{place}.tzinfo is utc else c{place}(v{place})")
                namespace["datetime"] = dt.datetime
            elif kind in (CharEnumFieldInstance.to_python_value, IntEnumFieldInstance.to_python_value):
                namespace[f"m{place}"] = field.enum_type._value2member_map_
                value = f"e{place} if (e{place} := m{place}.get({value})) is not None else c{place}({value})"
            else:
                value = f"c{place}({value})"
        entries.append(f"{attribute!r}: {value}")
    source = ("def make(values):\n    instance = new(model)\n    instance.__dict__.update({\n        "
              + ",\n        ".join(entries) + "})\n    return instance\n")
    exec(compile(source, f"<instance maker of {model.__name__}>", "exec"), namespace)  # noqa: S102 - our own text
    return namespace["make"]


@dataclasses.dataclass(frozen=True)
class _Layout:
    """Where each part's columns are in a row of ``joined_columns(parts)``, and what makes them the
    part's value: (alias, first column, after its last, its id's column, maker)."""

    places: tuple[tuple[str, int, int, int, Callable[[tuple[Any, ...]], Any]], ...]
    keys: list[str]


@functools.cache
def _layout(parts: tuple[Part, ...]) -> _Layout:
    places = []
    start = 0
    for alias, made in parts:
        columns = _columns_of(made)
        maker = _instance_maker(made) if issubclass(made, Model) else made._make
        places.append((alias, start, start + len(columns), start + columns.index("id"), maker))
        start += len(columns)
    return _Layout(tuple(places), [f"{alias}.{column}" for alias, made in parts for column in _columns_of(made)])


async def joined_rows(parts: Sequence[Part], sql: str, values: list[Any]) -> list[dict[str, Any]]:
    """The parts of each row of one joined statement whose select list starts with
    ``joined_columns(parts)``: a dict by alias per row, without the aliases whose id is NULL (an
    outer join that found nothing). A column after them (a count, an array beside the rows) is in
    the dict under its own name.

    Read from the connection itself (``read``): tortoise's ``execute_query_dict`` would make a dict
    of every row first (errors then are asyncpg's, which ``is_unavailable`` and ``is_bad_value`` read)."""
    layout = _layout(tuple(parts))
    columns, records = await read(sql, values)
    if not records:
        return []
    width = len(layout.keys)
    assert list(columns[:width]) == layout.keys, "the select list must start with joined_columns(parts)"
    extra = columns[width:]
    made = []
    for record in records:
        row = tuple(record)
        found: dict[str, Any] = dict(zip(extra, row[width:], strict=True)) if extra else {}
        for alias, begin, end, id_place, maker in layout.places:
            if row[id_place] is not None:
                found[alias] = maker(row[begin:end])
        made.append(found)
    return made


async def report_rows(sql: str, values: list[Any]) -> list[dict[str, Any]]:
    """Rows of an aggregate over a large table whose best plan depends on its parameters (a
    district or the whole city, a year): planned for these values every time, in a transaction
    of its own so that several can run at once. A cached generic plan guesses a handful of rows
    for "$1 IS NULL OR district_id = $1" and nests loops over the whole year's visits (0.7 s)."""
    async with in_transaction() as tx:
        await tx.execute_query("SET LOCAL plan_cache_mode = force_custom_plan")
        return await tx.execute_query_dict(sql, values)
