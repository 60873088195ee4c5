"""Types of school notices."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import strawberry

from schema.common.connection import After, Connection, First, connection, page_window
from schema.common.dataloaders import referenced
from schema.common.node import Node, gid, node_loader
from schema.context import Context
from schema.notices.enums import NoticeAudienceKind, NoticeConfirmationMode, NoticeStatus
from schema.notices.inputs import NoticeRecipientFilter
from schema.organisation.types import District, School, SchoolClass, Student, User
from services.notices import queries
from services.notices.models import NoticeReceipt as ReceiptRow
from services.notices.service import next_reminder_at

Info = strawberry.Info[Context, None]


@strawberry.type(description="A reply a guardian can give with their confirmation.")
class NoticeReplyOption:
    id: strawberry.ID = strawberry.field(description="The option's id, sent back with the confirmation.")
    label: str = strawberry.field(description="Its text, e.g. 参加.")


@strawberry.type(description="Whom a notice was sent to.")
class NoticeAudience:
    kind: NoticeAudienceKind = strawberry.field(description="The kind of audience.")
    grade: int | None = strawberry.field(description="The grade, of a SCHOOL_GRADE notice.")
    _class_ids: strawberry.Private[list[uuid.UUID]]
    _school_id: strawberry.Private[uuid.UUID | None]
    _district_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The classes, of a SCHOOL_CLASSES notice.")
    async def school_classes(self, info: Info) -> list[SchoolClass]:
        return [SchoolClass.of(c) for c in await info.context.loaders.school_class.load_many(self._class_ids) if c]

    @strawberry.field(description="The school, of a class, grade or school notice.")
    async def school(self, info: Info) -> School | None:
        if self._school_id is None:
            return None
        return School.of(await referenced(info.context.loaders.school.load(self._school_id)))

    @strawberry.field(description="The district the audience is in.")
    async def district(self, info: Info) -> District:
        return District.of(await referenced(info.context.loaders.district.load(self._district_id)))


@strawberry.type(description="How many confirmed with one reply.")
class NoticeReplyCount:
    option: NoticeReplyOption = strawberry.field(description="The reply.")
    count: int = strawberry.field(description="Guardians who chose it.")


@strawberry.type(description="A sent notice's counts; every count is of guardians unless it says students.")
class NoticeStats:
    recipients: int = strawberry.field(description="Guardians it was sent to.")
    read: int = strawberry.field(description="Of them, those who opened it.")
    confirmed: int = strawberry.field(description="Of them, those who confirmed (READ_ONLY: opened) it.")
    students: int = strawberry.field(description="Students of the audience it reached through their guardians.")
    students_confirmed: int = strawberry.field(description="Students with at least one confirming guardian.")
    replies: list[NoticeReplyCount] = strawberry.field(description="Confirmations per reply option.")


def _children(info: Info, notice_id: uuid.UUID, guardian_id: uuid.UUID):
    async def load() -> list[Student]:
        found = await info.context.loaders.notice_children.load((notice_id, guardian_id))
        students = await info.context.loaders.student.load_many([c.student_id for c in found])
        return [Student.of(s) for s in students if s]

    return load()


@strawberry.type(description="The viewer's copy of a notice.")
class NoticeReceipt:
    read_at: dt.datetime | None = strawberry.field(description="Timestamp they first opened it.")
    confirmed_at: dt.datetime | None = strawberry.field(description="Timestamp they confirmed it (first time).")
    signature_name: str | None = strawberry.field(description="The full name they typed, for SIGNATURE notices.")
    _row: strawberry.Private[ReceiptRow]
    _options: strawberry.Private[list[dict[str, str]]]
    _recalled: strawberry.Private[bool]

    @strawberry.field(description="The reply they chose; null on a recalled notice.")
    def reply_option(self) -> NoticeReplyOption | None:
        if self._recalled or self._row.reply_option is None:
            return None
        return next((NoticeReplyOption(id=strawberry.ID(o["id"]), label=o["label"]) for o in self._options
                     if o["id"] == self._row.reply_option), None)

    @strawberry.field(description="The children it reached them through (one confirmation covers them all).")
    async def children(self, info: Info) -> list[Student]:
        return await _children(info, self._row.notice_id, self._row.guardian_id)


@strawberry.type(description="A guardian a notice was sent to, for its sender.")
class NoticeRecipient:
    read_at: dt.datetime | None = strawberry.field(description="Timestamp they first opened it.")
    _row: strawberry.Private[ReceiptRow]

    @strawberry.field(description="The guardian.")
    async def guardian(self, info: Info) -> User:
        return User.of(await referenced(info.context.loaders.user.load(self._row.guardian_id)))

    @strawberry.field(description="The children it reached them through.")
    async def children(self, info: Info) -> list[Student]:
        return await _children(info, self._row.notice_id, self._row.guardian_id)


@strawberry.type(description="A school notice (家校通知) to guardians, to read, confirm or sign.")
class Notice(Node):
    status: NoticeStatus = strawberry.field(description="Where it stands (recipients: SENT or RECALLED).")
    confirmation_mode: NoticeConfirmationMode = strawberry.field(description="How guardians confirm it.")
    scheduled_for: dt.datetime | None = strawberry.field(description="When it is (or was) to be sent, if scheduled.")
    sent_at: dt.datetime | None = strawberry.field(description="Timestamp it went out.")
    deadline: dt.datetime | None = strawberry.field(description="Confirmations are taken until then.")
    recalled_at: dt.datetime | None = strawberry.field(description="Timestamp it was recalled.")
    _seen: strawberry.Private[queries.SeenNotice]

    @classmethod
    def of(cls, seen: queries.SeenNotice) -> Notice:
        row = seen.row
        return cls(id=gid("Notice", row.id), status=row.status, confirmation_mode=row.confirmation_mode,
                   scheduled_for=row.scheduled_for, sent_at=row.sent_at, deadline=row.deadline,
                   recalled_at=row.recalled_at, _seen=seen)

    @strawberry.field(description="Its title; null for recipients once recalled.")
    def title(self) -> str | None:
        return None if self._seen.recalled_for_recipient else self._seen.row.title

    @strawberry.field(description="Its text; null for recipients once recalled.")
    def body(self) -> str | None:
        return None if self._seen.recalled_for_recipient else self._seen.row.body

    @strawberry.field(description="The replies to choose from (CONFIRM and SIGNATURE notices); empty for "
                                  "recipients once recalled.")
    def reply_options(self) -> list[NoticeReplyOption]:
        if self._seen.recalled_for_recipient:
            return []
        return [NoticeReplyOption(id=strawberry.ID(o["id"]), label=o["label"]) for o in self._seen.row.reply_options]

    @strawberry.field(description="Who sent it.")
    async def sender(self, info: Info) -> User:
        return User.of(await referenced(info.context.loaders.user.load(self._seen.row.sender_id)))

    @strawberry.field(description="Whom it was sent to.")
    def audience(self) -> NoticeAudience:
        row = self._seen.row
        return NoticeAudience(kind=row.audience_kind, grade=row.grade,
                              _class_ids=[uuid.UUID(str(i)) for i in row.class_ids],
                              _school_id=row.school_id, _district_id=row.district_id)

    @strawberry.field(description="The viewer's copy, for a recipient.")
    def viewer_receipt(self) -> NoticeReceipt | None:
        receipt = self._seen.receipt
        if receipt is None:
            return None
        return NoticeReceipt(read_at=receipt.read_at, confirmed_at=receipt.confirmed_at,
                             signature_name=None if self._seen.recalled_for_recipient else receipt.signature_name,
                             _row=receipt, _options=self._seen.row.reply_options,
                             _recalled=self._seen.recalled_for_recipient)

    @strawberry.field(description="Its counts, for the sender; null until sent.")
    async def stats(self, info: Info) -> NoticeStats | None:
        found = await info.context.loaders.notice_stats.load(self._seen)
        if found is None:
            return None
        labels = {o["id"]: o["label"] for o in self._seen.row.reply_options}
        return NoticeStats(recipients=found.recipients, read=found.read, confirmed=found.confirmed,
                           students=found.students, students_confirmed=found.students_confirmed,
                           replies=[NoticeReplyCount(option=NoticeReplyOption(id=strawberry.ID(i), label=label),
                                                     count=found.replies.get(i, 0)) for i, label in labels.items()])

    @strawberry.field(description="When the sender last reminded the unconfirmed; for the sender.")
    def last_reminded_at(self) -> dt.datetime | None:
        return self._seen.row.last_reminded_at if self._seen.is_sender_view else None

    @strawberry.field(description="From when the sender may remind again (5 minutes after sending or the last "
                                  "reminder); for the sender, once sent.")
    def next_reminder_allowed_at(self) -> dt.datetime | None:
        return next_reminder_at(self._seen.row) if self._seen.is_sender_view else None

    @strawberry.field(description="The guardians it was sent to, by class then child's name, one row per guardian; "
                                  "for the sender of a class or school notice (a district notice: null, its names "
                                  "are withheld).")
    async def recipients(
        self, info: Info, first: First = 50, after: After = None,
        filter: Annotated[NoticeRecipientFilter | None, strawberry.argument(description="Narrows the list.")] = None,
    ) -> Connection[NoticeRecipient] | None:
        size, position = page_window(first, after, info.context.language)
        page = await queries.recipients(info.context.viewer, self._seen,
                                        unconfirmed_only=bool(filter and filter.unconfirmed_only), first=size,
                                        after=position)
        if page is None:
            return None
        return connection(page, lambda r: NoticeRecipient(read_at=r.receipt.read_at, _row=r.receipt))


@node_loader("Notice")
async def _notice(context: Context, row_id: uuid.UUID) -> Notice | None:
    found = await context.loaders.visible_notice.load(row_id)
    return Notice.of(found) if found else None
