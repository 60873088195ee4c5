"""Reading school notices: the guardian's list and badge, the sender's list with its counts, and who
has not confirmed. Whether the viewer sees a notice at all is services.access's ``may_see_notice``."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise import connections
from tortoise.expressions import Q, RawSQL, Subquery

from services import access, db, paging
from services.access import Principal
from services.enums import NoticeAudienceKind, NoticeStatus
from services.notices.models import Notice, NoticeChild, NoticeReceipt


@dataclass(frozen=True)
class SeenNotice:
    row: Notice
    #: The viewer's receipt, when they are a recipient.
    receipt: NoticeReceipt | None

    @property
    def is_sender_view(self) -> bool:
        return self.receipt is None

    @property
    def recalled_for_recipient(self) -> bool:
        """A recalled notice shows its recipients no content."""
        return self.receipt is not None and self.row.status == NoticeStatus.RECALLED


async def _receipts(viewer: Principal, notice_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, NoticeReceipt]:
    return {r.notice_id: r for r in await NoticeReceipt.filter(
        guardian_id=viewer.user_id, notice_id__in=list(notice_ids))}


async def seen(viewer: Principal, notices: Sequence[Notice]) -> list[SeenNotice | None]:
    receipts = await _receipts(viewer, [n.id for n in notices])
    answers: list[SeenNotice | None] = []
    for notice in notices:
        receipt = receipts.get(notice.id)
        sender = notice.sender_id == viewer.user_id
        if not access.may_see_notice(viewer, sender_id=notice.sender_id,
                                     is_recipient=receipt is not None, sent=notice.sent_at is not None):
            answers.append(None)
        else:
            answers.append(SeenNotice(notice, None if sender else receipt))
    return answers


async def visible_notices_by_id(viewer: Principal, ids: Sequence[uuid.UUID]) -> list[SeenNotice | None]:
    rows = {n.id: n for n in await Notice.filter(id__in=list(ids))}
    found = {s.row.id: s for s in await seen(viewer, list(rows.values())) if s}
    return [found.get(i) for i in ids]


def _awaiting(viewer: Principal, now: dt.datetime) -> Q:
    """The viewer's notices still awaiting their confirmation: sent, not recalled, deadline not passed."""
    open_receipts = NoticeReceipt.filter(guardian_id=viewer.user_id, confirmed_at__isnull=True).values("notice_id")
    return (Q(id__in=Subquery(open_receipts)) & Q(status=NoticeStatus.SENT)
            & (Q(deadline__isnull=True) | Q(deadline__gt=now)))


def _received(viewer: Principal) -> Q:
    mine = NoticeReceipt.filter(guardian_id=viewer.user_id).values("notice_id")
    return Q(id__in=Subquery(mine)) & Q(sent_at__isnull=False)


async def received(viewer: Principal, *, unconfirmed_only: bool, student_id: uuid.UUID | None, impossible: bool,
                   first: int, after: paging.Position | None) -> paging.Page[SeenNotice]:
    """The guardian's notices, newest sent first."""
    query = Notice.filter(_received(viewer))
    if impossible:
        query = query.filter(access.NOTHING)
    if unconfirmed_only:
        query = query.filter(_awaiting(viewer, await db.now()))
    if student_id is not None:
        through = NoticeChild.filter(guardian_id=viewer.user_id, student_id=student_id).values("notice_id")
        query = query.filter(id__in=Subquery(through))
    page = await paging.fetch(query, order=("-sent_at", "-id"), first=first, after=after)
    return page.keep(await seen(viewer, page.items))


async def unconfirmed_count(viewer: Principal) -> int:
    return await Notice.filter(_received(viewer)).filter(_awaiting(viewer, await db.now())).count()


#: The sender's list: newest first, scheduled ones by their time.
_LISTED = RawSQL("coalesce(sent_at, scheduled_for, created_at)")


async def sent_by(viewer: Principal, *, first: int, after: paging.Position | None) -> paging.Page[SeenNotice]:
    query = Notice.filter(sender_id=viewer.user_id).annotate(listed=_LISTED)
    page = await paging.fetch(query, order=("-listed", "-id"), first=first, after=after)
    return page.keep([SeenNotice(n, None) for n in page.items])


# --------------------------------------------------------------------------
# The counts, for the sender; null until sent.


@dataclass(frozen=True)
class NoticeStats:
    recipients: int
    read: int
    confirmed: int
    students: int
    students_confirmed: int
    replies: dict[str, int]


_STATS = """
WITH receipts AS (
    SELECT notice_id, count(*) AS recipients, count(read_at) AS read, count(confirmed_at) AS confirmed
      FROM notice_receipt WHERE notice_id = ANY($1::uuid[]) GROUP BY notice_id
), students AS (
    SELECT c.notice_id, count(DISTINCT c.student_id) AS students,
           count(DISTINCT c.student_id) FILTER (WHERE r.confirmed_at IS NOT NULL) AS students_confirmed
      FROM notice_child c JOIN notice_receipt r ON r.notice_id = c.notice_id AND r.guardian_id = c.guardian_id
     WHERE c.notice_id = ANY($1::uuid[]) GROUP BY c.notice_id
), replies AS (
    SELECT notice_id, json_object_agg(reply_option, n) AS replies FROM (
        SELECT notice_id, reply_option, count(*) AS n FROM notice_receipt
         WHERE notice_id = ANY($1::uuid[]) AND reply_option IS NOT NULL AND confirmed_at IS NOT NULL
         GROUP BY notice_id, reply_option) chosen
     GROUP BY notice_id
)
SELECT n.id, coalesce(r.recipients, 0) AS recipients, coalesce(r.read, 0) AS read,
       coalesce(r.confirmed, 0) AS confirmed, coalesce(s.students, 0) AS students,
       coalesce(s.students_confirmed, 0) AS students_confirmed, p.replies
  FROM unnest($1::uuid[]) AS n(id)
  LEFT JOIN receipts r ON r.notice_id = n.id LEFT JOIN students s ON s.notice_id = n.id
  LEFT JOIN replies p ON p.notice_id = n.id
"""


async def stats(viewer: Principal, notices: Sequence[SeenNotice]) -> list[NoticeStats | None]:
    counted = [n.row.id for n in notices if n.is_sender_view and n.row.sent_at is not None]
    rows = {r["id"]: r for r in await connections.get("default").execute_query_dict(_STATS, [counted])} \
        if counted else {}
    answers: list[NoticeStats | None] = []
    for notice in notices:
        row = rows.get(notice.row.id)
        if row is None:
            answers.append(None)
            continue
        replies = row["replies"] if isinstance(row["replies"], dict) else json.loads(row["replies"] or "{}")
        answers.append(NoticeStats(row["recipients"], row["read"], row["confirmed"], row["students"],
                                   row["students_confirmed"], {k: int(v) for k, v in replies.items()}))
    return answers


# --------------------------------------------------------------------------
# Receipts and the children they came by.


@dataclass(frozen=True)
class Child:
    student_id: uuid.UUID
    school_class_id: uuid.UUID


async def children_of(guardian_notice: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> list[list[Child]]:
    """By (notice, guardian): the children a notice reached the guardian through."""
    notices = list({n for n, _ in guardian_notice})
    grouped: dict[tuple[uuid.UUID, uuid.UUID], list[Child]] = defaultdict(list)
    rows = await connections.get("default").execute_query_dict(
        "SELECT c.notice_id, c.guardian_id, c.student_id, c.school_class_id FROM notice_child c "
        "JOIN student s ON s.id = c.student_id WHERE c.notice_id = ANY($1::uuid[]) "
        "AND c.guardian_id = ANY($2::uuid[]) ORDER BY s.display_name, c.student_id",
        [notices, list({g for _, g in guardian_notice})])
    for row in rows:
        grouped[(row["notice_id"], row["guardian_id"])].append(Child(row["student_id"], row["school_class_id"]))
    return [grouped.get(key, []) for key in guardian_notice]


@dataclass(frozen=True)
class Recipient:
    receipt: NoticeReceipt
    #: (class name, child's name) of the first child, for the order of the list
    sort_key: tuple[str, str]


_RECIPIENTS = """
SELECT r.id, sc.name AS class_name, s.display_name AS child_name
  FROM notice_receipt r
  JOIN notice_child c ON c.notice_id = r.notice_id AND c.guardian_id = r.guardian_id
  JOIN student s ON s.id = c.student_id JOIN school_class sc ON sc.id = c.school_class_id
 WHERE r.notice_id = $1 AND (NOT $2 OR r.confirmed_at IS NULL)
"""


async def recipients(viewer: Principal, notice: SeenNotice, *, unconfirmed_only: bool, first: int,
                     after: paging.Position | None) -> paging.Page[Recipient] | None:
    """By class, then child's name; for the sender of a class or school notice (a district notice's
    names are withheld)."""
    district_wide = notice.row.audience_kind in (NoticeAudienceKind.DISTRICT, NoticeAudienceKind.DISTRICT_PILOT_SCHOOLS)
    if not access.may_list_notice_recipients(viewer, sender_id=notice.row.sender_id,
                                             district_wide=district_wide):
        return None
    keys: dict[uuid.UUID, tuple[str, str]] = {}
    for row in await connections.get("default").execute_query_dict(_RECIPIENTS, [notice.row.id, unconfirmed_only]):
        pair = (row["class_name"], row["child_name"])
        keys[row["id"]] = min(keys.get(row["id"], pair), pair)  # the guardian's first child, by class then name
    rows = await NoticeReceipt.filter(id__in=list(keys))
    found = [Recipient(r, keys[r.id]) for r in rows]
    return paging.fixed(found, key=lambda r: (*r.sort_key, str(r.receipt.id)), first=first, after=after)


# --------------------------------------------------------------------------
# The programme dashboard's figure.


NOTICE_FIGURES = """
SELECT (SELECT count(*) FROM notice n
         WHERE n.sent_at >= $2 AND n.sent_at < $3 AND n.status = 'SENT' AND ($1::uuid IS NULL OR n.district_id = $1))
           AS sent,
       receipts.asked, receipts.confirmed
  FROM (SELECT count(*) AS asked, count(r.confirmed_at) AS confirmed
          FROM notice n JOIN notice_receipt r ON r.notice_id = n.id
         WHERE n.sent_at >= $2 AND n.sent_at < $3 AND n.status = 'SENT' AND n.confirmation_mode <> 'READ_ONLY'
           AND ($1::uuid IS NULL OR n.district_id = $1)) receipts
"""
