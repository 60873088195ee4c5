"""A query request's reads on one pool connection (services.db.request_reads), on the server's own
pool: what shares it, what does not, and that the pool is whole again whatever happens; and the
reads a request's fields issue together, sent as one statement (db.read)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from services import db
from tests.helpers import contract_operation
from tests.screens.test_parent_home import _enrol_and_seat, _give

pytestmark = pytest.mark.usefixtures("server")  # the server's lifespan opens the pool


async def _backend(pause: float = 0.02) -> int:
    """The PostgreSQL backend a read ran on; the pause keeps its connection busy meanwhile."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT pg_backend_pid() AS pid, pg_sleep($1::float8)", [pause])
    return rows[0]["pid"]


def _pool():
    return connections.get("default")._pool


async def _whole_again() -> None:
    """Every connection of the pool idle again, soon (a release finishes on the next turns of the loop)."""
    pool = _pool()
    for _ in range(100):
        if pool.get_idle_size() == pool.get_size():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{pool.get_size() - pool.get_idle_size()} connections still held")


async def test_reads_side_by_side_share_one_connection_and_a_transaction_takes_its_own():
    apart = await asyncio.gather(*(_backend() for _ in range(4)))
    assert len(set(apart)) > 1, "without it, reads side by side run on connections of their own"
    async with db.request_reads():
        together = await asyncio.gather(*(_backend() for _ in range(4)))
        async with in_transaction() as tx:
            await tx.execute_query("CREATE TEMPORARY TABLE mine (n int) ON COMMIT DROP")
            inside = (await tx.execute_query_dict("SELECT pg_backend_pid() AS pid"))[0]["pid"]
        after = await _backend()
    assert len(set(together)) == 1
    assert inside != together[0], "a transaction's statements are its own"
    assert after == together[0]
    await _whole_again()


async def test_a_failed_or_cancelled_read_leaves_the_connection_to_the_next():
    async with db.request_reads():
        first = await _backend()
        with pytest.raises(Exception, match="syntax"):
            await connections.get("default").execute_query("SELEC 1")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(_backend(pause=5), 0.1)
        assert await _backend() == first
    await _whole_again()


async def test_a_read_still_running_when_the_request_ends_gives_the_connection_back_itself():
    async with db.request_reads():
        first = await _backend()
        straggler = asyncio.ensure_future(_backend(pause=0.2))
        await asyncio.sleep(0.05)  # under way on the request's connection
    late = await _backend()  # after the request: a connection of its own, not a wait for the straggler's
    assert await straggler == first
    assert late != first or _pool().get_size() == 1
    await _whole_again()


async def test_requests_hold_at_most_all_but_two_connections_so_transactions_always_get_one():
    limit = connections.get("default").pool_maxsize - db.UNPINNED_CONNECTIONS
    release, all_held = asyncio.Event(), asyncio.Event()
    held: list[int] = []

    async def request() -> None:
        async with db.request_reads():
            held.append(await _backend(pause=0))
            if len(held) == limit:
                all_held.set()
            await release.wait()

    requests = [asyncio.ensure_future(request()) for _ in range(limit)]
    try:
        async with asyncio.timeout(5):
            await all_held.wait()
        assert len(set(held)) == limit
        async with db.request_reads():  # one more: its reads go to the pool one by one, as before
            assert len(set(await asyncio.gather(*(_backend() for _ in range(4))))) > 1
            async with asyncio.timeout(2), in_transaction() as tx:
                await tx.execute_query("SELECT 1")
    finally:
        release.set()
        await asyncio.gather(*requests)
    assert _pool().get_size() <= connections.get("default").pool_maxsize
    await _whole_again()


PARENT_HOME = contract_operation("screens.graphql", "ParentHome")


async def test_a_screen_s_statements_run_on_one_connection_for_each_request(api, world):
    """Through the server: ParentHome in one statement (its fields' reads together, the children's
    visits beside the children), for each of eight requests at once."""
    parent = world["parent_a"]
    await _give(api, world, "parent_a", "a", day=2)
    await _enrol_and_seat(world, "parent_a", day=3)
    await api.post(PARENT_HOME, {}, token=parent.token)  # compiled and the principal cached

    responses = await asyncio.gather(*(api.post(PARENT_HOME, {}, token=parent.token) for _ in range(8)))
    for response in responses:
        assert "errors" not in response.json()
        assert (response.headers["x-sql-statements"], response.headers["x-sql-connections"]) == ("1", "1")
    assert responses[0].json() == responses[-1].json()


#: Typed values, a NULL, an order and several parameters: what a read's answer must keep together.
_ROWS = """SELECT g AS n, $1::timestamptz + g * interval '1 day' AS at, md5(g::text)::uuid AS id,
                  CASE WHEN g % 2 = 0 THEN NULL ELSE $2::text END AS label
             FROM generate_series(1, $3::int) g ORDER BY g DESC"""
_COUNT = "SELECT count(*) AS n FROM generate_series(1, $1::int)"
_FAILS = "SELECT 1 / $1::int AS n"


def _answers(reads: list[tuple[str, list]]) -> list:
    return [db.read(sql, values) for sql, values in reads]


async def _counted(reads: list[tuple[str, list]]) -> tuple[list, int]:
    """Each read's answer (or error) as (columns, rows of plain tuples), and the statements sent."""
    counted = db.RequestStatements()
    db.statements.per_request.set(counted)
    try:
        answers = await asyncio.gather(*_answers(reads), return_exceptions=True)
        await asyncio.sleep(0)  # the statement loggers run on the next turn of the loop
    finally:
        db.statements.per_request.set(None)
    return [a if isinstance(a, BaseException) else (tuple(a[0]), [tuple(r) for r in a[1]]) for a in answers], \
        counted.count


_READS = [(_ROWS, [dt.datetime(2026, 12, 1, tzinfo=dt.UTC), "odd", 5]), (_COUNT, [7]),
          (_ROWS, [dt.datetime(2027, 1, 1, tzinfo=dt.UTC), "x", 0])]


async def test_reads_issued_together_are_one_statement_with_the_answers_of_each_alone():
    alone, sent_alone = await _counted(_READS)
    assert sent_alone == 3
    async with db.request_reads():
        await db.read(_COUNT, [1])  # the first time, the columns of each are learnt
        together, sent_together = await _counted(_READS)
    assert sent_together == 1
    assert together == alone
    columns, rows = together[0]
    assert columns == ("n", "at", "id", "label") and [row[0] for row in rows] == [5, 4, 3, 2, 1]
    assert rows[1] == (4, dt.datetime(2026, 12, 5, tzinfo=dt.UTC), uuid.UUID(md5_of(4)), None)
    assert together[1] == (("n",), [(7,)]) and together[2][1] == []
    await _whole_again()


def md5_of(number: int) -> str:
    import hashlib

    return hashlib.md5(str(number).encode()).hexdigest()  # noqa: S324 - what PostgreSQL's md5() gives


async def test_a_read_that_fails_fails_alone_and_the_others_are_answered():
    async with db.request_reads():
        await db.read(_FAILS, [1])
        answers, _ = await _counted([(_COUNT, [3]), (_FAILS, [0]), (_COUNT, [4])])
        assert answers[0] == (("n",), [(3,)]) and answers[2] == (("n",), [(4,)])
        assert db.is_bad_value(answers[1]), answers[1]  # division by zero: SQLSTATE 22012
        assert (await db.read(_COUNT, [2]))[1][0][0] == 2  # and the connection serves the next
    await _whole_again()


async def test_a_cancelled_reader_leaves_the_others_their_answers():
    async with db.request_reads():
        await db.read(_ROWS, [dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "a", 1])
        cancelled, kept = (asyncio.ensure_future(answer) for answer in _answers(
            [(_ROWS, [dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "a", 2]), (_COUNT, [5])]))
        await asyncio.sleep(0)  # both issued, not yet sent
        cancelled.cancel()
        assert (await kept)[1][0][0] == 5
        with pytest.raises(asyncio.CancelledError):
            await cancelled
    await _whole_again()


async def test_a_read_of_arrays_is_sent_alone_beside_those_read_together():
    """asyncpg decodes an array inside a record only once it has looked its type up on that
    connection: such a read goes alone, and the others still go together."""
    arrays = "SELECT ARRAY[$1::uuid, $1::uuid] AS ids, '{a,b}'::text[] AS names"
    some = uuid.uuid4()
    async with db.request_reads():
        await db.read(_COUNT, [1])
        answers, sent = await _counted([(_COUNT, [2]), (arrays, [some]), (_COUNT, [3])])
    assert sent == 2
    assert answers == [(("n",), [(2,)]), (("ids", "names"), [([some, some], ["a", "b"])]), (("n",), [(3,)])]
    await _whole_again()


async def test_reads_that_cannot_go_together_go_alone_and_only_their_readers_see_their_errors():
    """A column named as the statement's own alias, and a read given more values than it has
    parameters (asyncpg's error, for that read only: never a value shifted into a neighbour)."""
    named = "SELECT $1::int AS coedu_read"
    async with db.request_reads():
        await db.read(_COUNT, [1])
        answers, sent = await _counted([(_COUNT, [2]), (named, [9]), (_COUNT, [3, 4]), (_COUNT, [5])])
    assert answers[0] == (("n",), [(2,)]) and answers[1] == (("coedu_read",), [(9,)])
    assert isinstance(answers[2], Exception) and "argument" in str(answers[2])
    assert answers[3] == (("n",), [(5,)])
    assert sent == 3  # the two counts together; the named read, and the wrong one, each alone
    await _whole_again()


async def test_reads_whose_readers_all_gave_up_are_not_sent():
    async with db.request_reads():
        await db.read(_COUNT, [1])
        counted = db.RequestStatements()
        db.statements.per_request.set(counted)
        try:
            readers = [asyncio.ensure_future(answer) for answer in _answers([(_COUNT, [2]), (_COUNT, [3])])]
            await asyncio.sleep(0)  # issued, not yet sent
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
            await asyncio.sleep(0.05)
        finally:
            db.statements.per_request.set(None)
        assert counted.count == 0
        assert (await db.read(_COUNT, [4]))[1][0][0] == 4
    await _whole_again()
