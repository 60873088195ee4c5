"""Every sealed column in one list, and resealing them under the newest key.

A value is sealed (AES-GCM, services.crypto) bound to a table, a column and a
row id, with the id of the key that sealed it. To retire a key: put a new one
first in COEDU_ENCRYPTION_KEYS (new values use it at once), run
`coedu reseal` (every value still under an older key is opened and sealed
again under the newest, in batches; stopped and started again it goes on
with what is left), then remove the old key.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise import connections
from tortoise.transactions import in_transaction

from services import runtime
from services.progress import Progress

BATCH = 500


@dataclass(frozen=True)
class SealedColumn:
    table: str
    column: str
    #: What the seal is bound to: a table and column name, and the column holding the row id.
    bound_table: str
    bound_column: str
    bound_row: str = "id"


def _on(table: str, *names: str) -> list[SealedColumn]:
    return [SealedColumn(table, f"{name}_sealed", table, name) for name in names]


SEALED: tuple[SealedColumn, ...] = (
    *_on("app_user", "phone"),
    *_on("refresh_token", "successor"),
    *_on("student", "student_number"),
    *_on("home_address", "address"),
    *_on("calendar_feed", "token"),
    *_on("push_device", "token"),
    *_on("home_visit", "purpose", "address", "end_reason", "record_topics", "record_summary", "feedback_comment"),
    *_on("consultation", "topic", "reason", "notes", "guardian_summary", "rating_comment"),
    *_on("wellbeing_alert", "summary", "details", "resolution"),
    # an event's words are bound to its alert (services.wellbeing.alerts)
    SealedColumn("wellbeing_alert_event", "note_sealed", "wellbeing_alert", "event_note", bound_row="alert_id"),
    *_on("wellbeing_share", "message"),
    # a roster source id is bound to the record it names (services.roster.sync)
    SealedColumn("roster_source", "source_sealed", "roster_source", "source", bound_row="entity_id"),
)


def _stale(column: SealedColumn) -> str:
    """Rows of a sealed column whose key id (bytes 3.. of the value, services.crypto) is not $1."""
    return (f'"{column.column}" IS NOT NULL AND '
            f'substring("{column.column}" from 3 for get_byte("{column.column}", 1)) <> $1')


async def reseal(*, batch: int = BATCH, progress: bool = True) -> dict[str, int]:
    """Seal again, under the newest key, every value sealed under another; returns what was done
    per column. Each batch commits on its own: an interrupted run loses nothing and the next one
    takes only what is still under an old key."""
    sealer = runtime.current().crypto.sealer
    current = sealer.current.encode()
    db = connections.get("default")
    done: dict[str, int] = {}
    for column in SEALED:
        name = f"{column.table}.{column.column}"
        left = (await db.execute_query_dict(f'SELECT count(*) AS n FROM "{column.table}" WHERE {_stale(column)}',
                                            [current]))[0]["n"]
        done[name] = 0
        if not left:
            continue
        bar = Progress(f"reseal {name}", left, enabled=progress)
        last = None
        while True:
            after = "" if last is None else "AND id > $2"
            rows = await db.execute_query_dict(
                f'SELECT id, "{column.bound_row}" AS bound, "{column.column}" AS blob FROM "{column.table}" '
                f"WHERE {_stale(column)} {after} ORDER BY id LIMIT {batch}", [current] if last is None else
                [current, last])
            if not rows:
                break
            async with in_transaction() as tx:
                for row in rows:
                    text = sealer.open(bytes(row["blob"]), table=column.bound_table, column=column.bound_column,
                                       row=row["bound"])
                    fresh = sealer.seal(text, table=column.bound_table, column=column.bound_column, row=row["bound"])
                    # unchanged meanwhile: a value rewritten by the application since is already current
                    await tx.execute_query(f'UPDATE "{column.table}" SET "{column.column}" = $1 '
                                           f'WHERE id = $2 AND "{column.column}" = $3', [fresh, row["id"], row["blob"]])
            last = rows[-1]["id"]
            done[name] += len(rows)
            bar.set(done[name])
        bar.close()
    return done
