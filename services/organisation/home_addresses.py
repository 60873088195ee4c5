"""The family's home address: one per guardian household, sealed, every read and change audited.

The address belongs to the guardian, not to a child: it serves all their
children, and a child of separated parents has one per household. Visits at
it read it live (services.home_visits), so a change shows at once and a
clear leaves nothing behind. Who reads what is services.access's decision;
this module only gathers the facts those rules need, writes the audit row of
each read before the address is opened, and tells the visiting teachers of
confirmed visits when an address they are going to changes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services import access, audit, db, outbox, runtime
from services.access import Principal
from services.enums import AuditAction, HomeVisitStatus, NotificationKind
from services.errors import Checks
from services.ids import new_id
from services.organisation.models import HomeAddress

TABLE = "home_address"
MIN_LENGTH, MAX_LENGTH = 5, 200
#: Audit rows name the guardian whose household it is: the address row itself goes on a clear.
SUBJECT = "HomeAddress"


@dataclass(frozen=True)
class ReadAddress:
    address: str
    shared_with_co_guardians: bool
    updated_at: dt.datetime


def _seal(text: str, row_id: uuid.UUID) -> bytes:
    return runtime.current().crypto.sealer.seal(text, table=TABLE, column="address", row=row_id)


def unseal(blob: bytes, row_id: uuid.UUID) -> str:
    return runtime.current().crypto.sealer.open(bytes(blob), table=TABLE, column="address", row=row_id)


async def _audit_reads(viewer: Principal, subject_ids: Sequence[uuid.UUID], subject_type: str = SUBJECT) -> None:
    """Written, in a transaction of its own, before any address is opened: a read whose audit row
    cannot be written fails."""
    if subject_ids:
        async with in_transaction() as tx:
            await audit.record_many(AuditAction.READ_HOME_ADDRESS, actor_id=viewer.user_id,
                                    subject_type=subject_type, subject_ids=list(dict.fromkeys(subject_ids)), using=tx)


# --------------------------------------------------------------------------
# The guardian's own.


async def own(viewer: Principal) -> ReadAddress | None:
    row = await HomeAddress.get_or_none(guardian_id=viewer.user_id)
    if row is None:
        return None
    await _audit_reads(viewer, [viewer.user_id])
    return ReadAddress(unseal(row.address_sealed, row.id), row.shared_with_co_guardians, row.updated_at)


async def set_own(actor: Principal, address: str | None, shared: bool | None) -> ReadAddress | None:
    """Set, replace (``address``) or erase (None) the actor's household address; the visiting
    teachers of confirmed visits at it are told it changed, not what it is."""
    checks = Checks()
    clean = checks.text("address", address, max_length=MAX_LENGTH, min_length=MIN_LENGTH, required=False)
    checks.raise_if_any()
    async with in_transaction() as tx:
        if clean is None:
            erased = await HomeAddress.filter(guardian_id=actor.user_id).using_db(tx).delete()
            read = None
            wakeups = await _tell_visiting_teachers(actor.user_id, "visit_address_cleared_body", tx) if erased else []
        else:
            read = await _store(actor.user_id, clean, bool(shared), tx)
            wakeups = await _tell_visiting_teachers(actor.user_id, "visit_address_changed_body", tx)
        if clean is not None or erased:
            await audit.record(AuditAction.UPDATE_HOME_ADDRESS, actor_id=actor.user_id, subject_type=SUBJECT,
                               subject_id=actor.user_id, using=tx)
    await outbox.flush(wakeups)
    return read


_INSERT = """
INSERT INTO home_address (id, guardian_id, address_sealed, shared_with_co_guardians) VALUES ($1, $2, $3, $4)
ON CONFLICT (guardian_id) DO NOTHING RETURNING updated_at
"""
_REPLACE = """
UPDATE home_address SET address_sealed = $2, shared_with_co_guardians = $3, updated_at = now() WHERE id = $1
RETURNING updated_at
"""


async def _store(guardian_id: uuid.UUID, text: str, shared: bool, tx: BaseDBAsyncClient) -> ReadAddress:
    # The seal is bound to the row, so the row's id is known before sealing: the existing one, locked,
    # or a new one (a guardian saving twice at once: the second finds the first's row and replaces it).
    for _ in range(2):
        existing = await HomeAddress.filter(guardian_id=guardian_id).using_db(tx).select_for_update().first()
        if existing is not None:
            stored = await tx.execute_query_dict(_REPLACE, [existing.id, _seal(text, existing.id), shared])
            return ReadAddress(text, shared, stored[0]["updated_at"])
        row_id = new_id()
        stored = await tx.execute_query_dict(_INSERT, [row_id, guardian_id, _seal(text, row_id), shared])
        if stored:
            return ReadAddress(text, shared, stored[0]["updated_at"])
    raise RuntimeError("home address neither inserted nor found")  # pragma: no cover - a row cannot vanish here


_INSERT_MISSING = """
INSERT INTO home_address (id, guardian_id, address_sealed, shared_with_co_guardians)
SELECT id, guardian_id, sealed, false FROM unnest($1::uuid[], $2::uuid[], $3::bytea[]) AS t(id, guardian_id, sealed)
    ON CONFLICT (guardian_id) DO NOTHING
RETURNING guardian_id
"""


async def set_on_behalf(actor_id: uuid.UUID | None, addresses: dict[uuid.UUID, str],
                        tx: BaseDBAsyncClient) -> set[uuid.UUID]:
    """Addresses staff (or the roster import) give when linking guardians (guardian → address):
    each kept only when the family has none on file (the family's own word wins), not shared.
    Returns the guardians whose address was stored; each has its audit row."""
    if not addresses:
        return set()
    guardians = list(addresses)
    ids = [new_id() for _ in guardians]
    rows = await tx.execute_query_dict(_INSERT_MISSING, [
        ids, guardians, [_seal(addresses[g], i) for g, i in zip(guardians, ids, strict=True)]])
    stored = [row["guardian_id"] for row in rows]
    await audit.record_many(AuditAction.UPDATE_HOME_ADDRESS, actor_id=actor_id, subject_type=SUBJECT,
                            subject_ids=list(stored), using=tx)
    return set(stored)


_CONFIRMED_VISITS_AT = """
SELECT v.id, array(SELECT c.teacher_id FROM home_visit_companion c WHERE c.visit_id = v.id) || v.lead_teacher_id
       AS teachers
  FROM home_visit v WHERE v.address_guardian_id = $1 AND v.status = $2
"""


async def _tell_visiting_teachers(guardian_id: uuid.UUID, body_key: str,
                                  tx: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    from services.notifications.service import notify

    wakeups: list[outbox.RedisOutbox] = []
    for visit in await tx.execute_query_dict(_CONFIRMED_VISITS_AT, [guardian_id, HomeVisitStatus.CONFIRMED.value]):
        wakeups += await notify(visit["teachers"], kind=NotificationKind.HOME_VISIT,
                                title_key="visit_address_changed_title", body_key=body_key,
                                subject=("HomeVisit", visit["id"]), using=tx)
    return wakeups


# --------------------------------------------------------------------------
# A student's guardians: who has one, and the addresses the viewer may read.


@dataclass(frozen=True)
class GuardianAddress:
    #: None: the viewer may not know whether there is one.
    on_file: bool | None
    #: The address, when the viewer may read it.
    read: ReadAddress | None


_FACTS = """
SELECT g.id, g.guardian_id, st.school_id, sc.district_id,
       h.id AS address_id, h.address_sealed, h.shared_with_co_guardians, h.updated_at,
       EXISTS (SELECT 1 FROM guardianship mine WHERE mine.guardian_id = $2 AND mine.student_id = g.student_id)
           AS guards,
       (c.homeroom_teacher_id = $2 OR EXISTS (
            SELECT 1 FROM class_teacher t WHERE t.school_class_id = c.id AND t.teacher_id = $2)) AS teaches
  FROM guardianship g
  JOIN student st ON st.id = g.student_id
  JOIN school sc ON sc.id = st.school_id
  JOIN school_class c ON c.id = st.school_class_id
  LEFT JOIN home_address h ON h.guardian_id = g.guardian_id
 WHERE g.id = ANY($1::uuid[])
"""


async def of_guardianships(viewer: Principal, guardianship_ids: Sequence[uuid.UUID]) -> list[GuardianAddress]:
    """For each guardianship (a guardian of a student): whether the guardian has an address on file,
    for those who may know, and the address itself for those who may read it (audited)."""
    rows = {r["id"]: r for r in await db.report_rows(_FACTS, [list(guardianship_ids), viewer.user_id])}
    readable = []
    seen: list[tuple[bool | None, dict | None]] = []
    for link_id in guardianship_ids:
        row = rows.get(link_id)
        if row is None:
            seen.append((None, None))
            continue
        knows = access.may_know_address_on_file(viewer, guards_student=row["guards"], school_id=row["school_id"],
                                                district_id=row["district_id"], teaches_student=bool(row["teaches"]))
        has = row["address_id"] is not None
        reads = has and access.may_read_home_address(viewer, owner_id=row["guardian_id"],
                                                     shared=row["shared_with_co_guardians"],
                                                     co_guardian=row["guards"])
        if reads:
            readable.append(row["guardian_id"])
        seen.append((has if knows or reads else None, row if reads else None))
    await _audit_reads(viewer, readable)
    return [GuardianAddress(on_file, None if row is None else ReadAddress(
                unseal(row["address_sealed"], row["address_id"]), row["shared_with_co_guardians"], row["updated_at"]))
            for on_file, row in seen]


# --------------------------------------------------------------------------
# For the home visits: an address on file, as a visit uses it.


@dataclass(frozen=True)
class OnFile:
    guardian_id: uuid.UUID
    shared: bool
    address_id: uuid.UUID
    sealed: bytes

    def open(self) -> str:
        return unseal(self.sealed, self.address_id)


async def on_file(guardian_ids: Sequence[uuid.UUID], using: BaseDBAsyncClient | None = None
                  ) -> dict[uuid.UUID, OnFile]:
    """The addresses on file of these guardians (still sealed), by guardian."""
    if not guardian_ids:
        return {}
    rows = await (using or connections.get("default")).execute_query_dict(
        "SELECT id, guardian_id, address_sealed, shared_with_co_guardians FROM home_address"
        " WHERE guardian_id = ANY($1::uuid[])", [list(dict.fromkeys(guardian_ids))])
    return {r["guardian_id"]: OnFile(r["guardian_id"], r["shared_with_co_guardians"], r["id"], r["address_sealed"])
            for r in rows}


async def audit_visit_reads(viewer: Principal, visit_ids: Sequence[uuid.UUID]) -> None:
    """A visit's address read by a visiting teacher or the family: audited against the visit."""
    await _audit_reads(viewer, visit_ids, "HomeVisit")
