"""School notices (家校通知): sending, delivering, reading, confirming, reminding and recalling.

Sending writes the notice and a scheduled job, and nothing else: the request
returns at once however large the audience. The job (services.scheduler,
exactly once) delivers in batches of ``BATCH`` guardians, each in its own
transaction with its checkpoint (``Notice.fanned_out_to``): receipts, the
children each came by, inbox rows, push deliveries and wake-ups, each a single
statement over the batch. Recipients are fixed when the notice goes out: the
guardians linked before it did. Reminders go the same way, to the unconfirmed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services import access, db, scheduler
from services.access import Principal
from services.enums import NoticeAudienceKind, NoticeConfirmationMode, NoticeStatus, NotificationKind
from services.errors import Checks, ErrorCode, UserErrors
from services.identity import principals
from services.notices.models import Notice, NoticeReceipt
from services.notifications.service import notify_many
from services.organisation.models import ClassTeacher, School, SchoolClass, on_roll

SEND_JOB, REMIND_JOB = "notice_send", "notice_remind"
BATCH = 2000
MAX_CLASSES, MAX_SCHEDULE_AHEAD, MAX_DEADLINE_AFTER = 10, dt.timedelta(days=30), dt.timedelta(days=90)
REMINDER_INTERVAL, RECALL_WITHIN = dt.timedelta(minutes=5), dt.timedelta(hours=24)


@dataclass(frozen=True)
class Audience:
    class_ids: tuple[uuid.UUID | None, ...] | None = None
    school_id: uuid.UUID | None = None
    grade: int | None = None
    district_id: uuid.UUID | None = None
    pilot_schools_only: bool | None = None
    #: which of classIds, schoolId, districtId the client named (an undecodable id is named too)
    named: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Draft:
    title: str
    body: str
    audience: Audience
    mode: NoticeConfirmationMode
    reply_options: list[str] | None
    deadline: dt.datetime | None
    scheduled_for: dt.datetime | None


# --------------------------------------------------------------------------
# Who may send to whom.


@dataclass(frozen=True)
class Reach:
    """Where an audience lies, once checked: its kind, classes, school, grade and district."""

    kind: NoticeAudienceKind
    class_ids: list[uuid.UUID]
    school_id: uuid.UUID | None
    grade: int | None
    district_id: uuid.UUID
    pilot_schools_only: bool


async def _teaches(actor: Principal, school_class: SchoolClass) -> bool:
    if school_class.homeroom_teacher_id == actor.user_id:
        return True
    return await ClassTeacher.filter(school_class_id=school_class.id, teacher_id=actor.user_id).exists()


async def _reach(actor: Principal, audience: Audience, checks: Checks) -> Reach | None:
    """The audience checked against the sender's scope: NOT_FOUND on what lies outside it."""
    if len(audience.named) != 1:
        checks.invalid("audience", "notice_one_audience")
        return None
    field = "audience." + next(iter(audience.named))
    if audience.grade is not None and "schoolId" not in audience.named:
        checks.invalid("audience.grade", "notice_grade_needs_school")
    if audience.pilot_schools_only and "districtId" not in audience.named:
        checks.invalid("audience.pilotSchoolsOnly", "notice_pilot_needs_district")
    if "schoolClassIds" in audience.named:
        ids = audience.class_ids or ()
        if not 1 <= len(ids) <= MAX_CLASSES:
            checks.invalid(field, "out_of_range", min=1, max=MAX_CLASSES)
            return None
        classes = {c.id: c for c in await SchoolClass.filter(id__in=[i for i in ids if i]).select_related("school")}
        schools: set[uuid.UUID] = set()
        for index, class_id in enumerate(ids):
            found = classes.get(class_id) if class_id else None
            if found is None or not access.may_notify_class(actor, school_id=found.school_id,
                                                            teaches=await _teaches(actor, found)):
                checks.add(ErrorCode.NOT_FOUND, "not_found", f"{field}[{index}]")
            else:
                schools.add(found.school_id)
        if checks.failed:
            return None
        if len(schools) != 1:
            checks.invalid(field, "notice_classes_of_one_school")
            return None
        of_classes = next(c.school for c in classes.values())
        return Reach(NoticeAudienceKind.SCHOOL_CLASSES, list(dict.fromkeys(i for i in ids if i)), of_classes.id, None,
                     of_classes.district_id, False)
    if "schoolId" in audience.named:
        school = await School.get_or_none(id=audience.school_id) if audience.school_id else None
        if school is None or not access.may_notify_school(actor, school.id):
            checks.add(ErrorCode.NOT_FOUND, "not_found", field)
            return None
        if audience.grade is not None and not 1 <= audience.grade <= 12:
            checks.invalid("audience.grade", "out_of_range", min=1, max=12)
        kind = NoticeAudienceKind.SCHOOL if audience.grade is None else NoticeAudienceKind.SCHOOL_GRADE
        return Reach(kind, [], school.id, audience.grade, school.district_id, False)
    district_id = audience.district_id
    if district_id is None or not access.may_notify_district(actor, district_id):
        checks.add(ErrorCode.NOT_FOUND, "not_found", field)
        return None
    pilot = bool(audience.pilot_schools_only)
    return Reach(NoticeAudienceKind.DISTRICT_PILOT_SCHOOLS if pilot else NoticeAudienceKind.DISTRICT, [], None, None,
                 district_id, pilot)


# The guardians (and the children they come by, on their school's roll) of an audience, linked before ``$6``.
AUDIENCE = f"""
SELECT g.guardian_id, st.id AS student_id, st.school_class_id
  FROM guardianship g
  JOIN student st ON st.id = g.student_id
  JOIN school sc ON sc.id = st.school_id
  JOIN school_class c ON c.id = st.school_class_id
 WHERE ($1::uuid[] IS NULL OR st.school_class_id = ANY($1))
   AND ($2::uuid IS NULL OR st.school_id = $2)
   AND ($3::smallint IS NULL OR c.grade = $3)
   AND sc.district_id = $4
   AND (NOT $5 OR sc.is_family_education_pilot)
   AND g.created_at <= $6
   AND {on_roll("st")}
"""


def _audience_values(notice: Notice | Reach, cutoff: dt.datetime) -> list[object]:
    classes = [uuid.UUID(str(i)) for i in notice.class_ids] or None
    return [classes, notice.school_id, notice.grade, notice.district_id,
            notice.pilot_schools_only, cutoff]


# --------------------------------------------------------------------------
# Sending.


def _check_content(checks: Checks, draft: Draft, now: dt.datetime) -> tuple[list[dict[str, str]], dt.datetime]:
    checks.text("title", draft.title, max_length=60)
    checks.text("body", draft.body, max_length=2000)
    options: list[dict[str, str]] = []
    if draft.reply_options is not None:
        if draft.mode == NoticeConfirmationMode.READ_ONLY:
            checks.invalid("replyOptions", "notice_replies_need_confirmation")
        elif not 2 <= len(draft.reply_options) <= 6:
            checks.invalid("replyOptions", "out_of_range", min=2, max=6)
        else:
            labels = [checks.text(f"replyOptions[{i}]", o, max_length=20) for i, o in enumerate(draft.reply_options)]
            if len(set(labels)) != len(labels):
                checks.invalid("replyOptions", "notice_replies_distinct")
            options = [{"id": str(i + 1), "label": label} for i, label in enumerate(labels) if label]
    sending = now
    if draft.scheduled_for is not None:
        if not now < draft.scheduled_for <= now + MAX_SCHEDULE_AHEAD:
            checks.invalid("scheduledFor", "notice_schedule_window", days=MAX_SCHEDULE_AHEAD.days)
        sending = draft.scheduled_for
    if draft.deadline is not None and not sending < draft.deadline <= sending + MAX_DEADLINE_AFTER:
        checks.invalid("deadline", "notice_deadline_window", days=MAX_DEADLINE_AFTER.days)
    return options, sending


async def send(actor: Principal, draft: Draft) -> Notice:
    """Send now or at ``scheduled_for``: the notice and its delivery job, nothing more in this request."""
    checks = Checks()
    reach = await _reach(actor, draft.audience, checks)
    now = await db.now()
    options, sending = _check_content(checks, draft, now)
    checks.raise_if_any()
    assert reach is not None
    async with in_transaction() as tx:
        await tx.execute_query("SET LOCAL plan_cache_mode = force_custom_plan")  # as for the delivery, below
        anyone = await tx.execute_query_dict(f"SELECT EXISTS ({AUDIENCE}) AS any", _audience_values(reach, now))
        if not anyone[0]["any"]:
            raise UserErrors.one(ErrorCode.INVALID_STATE, "notice_nobody", "audience")
        scheduled = draft.scheduled_for is not None
        notice = await Notice.create(
            sender_id=actor.user_id, title=draft.title.strip(), body=draft.body.strip(), confirmation_mode=draft.mode,
            reply_options=options, audience_kind=reach.kind, class_ids=[str(i) for i in reach.class_ids],
            school_id=reach.school_id, grade=reach.grade, district_id=reach.district_id,
            pilot_schools_only=reach.pilot_schools_only,
            status=NoticeStatus.SCHEDULED if scheduled else NoticeStatus.SENT, scheduled_for=draft.scheduled_for,
            sent_at=None if scheduled else now, deadline=draft.deadline, using_db=tx)
        await scheduler.schedule(SEND_JOB, notice.id, at=sending, using=tx)
    return notice


async def _still_in_scope(notice: Notice) -> bool:
    """A scheduled notice goes out only if its sender still holds the audience's scope."""
    sender = await principals.of_user(notice.sender_id)
    if sender is None:
        return False
    audience = Audience(class_ids=tuple(uuid.UUID(str(i)) for i in notice.class_ids) or None,
                        school_id=notice.school_id, grade=notice.grade,
                        district_id=notice.district_id, pilot_schools_only=notice.pilot_schools_only,
                        named=frozenset({{NoticeAudienceKind.SCHOOL_CLASSES: "schoolClassIds",
                                          NoticeAudienceKind.SCHOOL_GRADE: "schoolId",
                                          NoticeAudienceKind.SCHOOL: "schoolId"}.get(notice.audience_kind,
                                                                                       "districtId")}))
    checks = Checks()
    return await _reach(sender, audience, checks) is not None and not checks.failed


_DELIVER_BATCH = f"""
WITH audience AS ({AUDIENCE}),
batch AS (
    SELECT DISTINCT guardian_id FROM audience WHERE $7::uuid IS NULL OR guardian_id > $7 ORDER BY guardian_id LIMIT $8
), receipts AS (
    INSERT INTO notice_receipt (id, notice_id, guardian_id)
    SELECT gen_random_uuid(), $9, guardian_id FROM batch
    ON CONFLICT (notice_id, guardian_id) DO NOTHING
), children AS (
    INSERT INTO notice_child (id, notice_id, guardian_id, student_id, school_class_id)
    SELECT gen_random_uuid(), $9, a.guardian_id, a.student_id, a.school_class_id
      FROM audience a JOIN batch b ON b.guardian_id = a.guardian_id
)
SELECT guardian_id FROM batch ORDER BY guardian_id
"""


@scheduler.handler(SEND_JOB)
async def deliver(job: scheduler.Job, tx: BaseDBAsyncClient) -> None:
    """One batch of a notice's delivery; the next batch is another job, due at once."""
    notice = await Notice.select_for_update().using_db(tx).get_or_none(id=job.subject_id)
    if notice is None or notice.delivered_at is not None or notice.status in (NoticeStatus.CANCELLED,
                                                                               NoticeStatus.RECALLED):
        return
    now = await db.now(tx)
    if notice.status == NoticeStatus.SCHEDULED:
        if not await _still_in_scope(notice):
            await Notice.filter(id=notice.id).using_db(tx).update(status=NoticeStatus.CANCELLED)
            return
        notice.status, notice.sent_at = NoticeStatus.SENT, now
        await Notice.filter(id=notice.id).using_db(tx).update(status=NoticeStatus.SENT, sent_at=now)
    assert notice.sent_at is not None
    # Planned for this audience every time: a cached generic plan of "$1 IS NULL OR …" guesses a handful
    # of rows and, for a district of a hundred thousand guardians, outlasts the statement timeout.
    await tx.execute_query("SET LOCAL plan_cache_mode = force_custom_plan")
    rows = await tx.execute_query_dict(_DELIVER_BATCH, [*_audience_values(notice, notice.sent_at),
                                                        notice.fanned_out_to, BATCH, notice.id])
    guardians = [r["guardian_id"] for r in rows]
    await notify_many(guardians, kind=NotificationKind.NOTICE, title_key="notice_title", body_key="notice_body",
                      params={"title": notice.title}, subject=("Notice", notice.id), using=tx)
    if len(guardians) == BATCH:
        await Notice.filter(id=notice.id).using_db(tx).update(fanned_out_to=guardians[-1])
        await scheduler.schedule(SEND_JOB, notice.id, using=tx)
    else:
        await Notice.filter(id=notice.id).using_db(tx).update(
            delivered_at=now, **({"fanned_out_to": guardians[-1]} if guardians else {}))


# --------------------------------------------------------------------------
# The sender: reminding and recalling.


async def _senders(actor: Principal, notice_id: uuid.UUID | None, tx: BaseDBAsyncClient) -> Notice:
    notice = await Notice.select_for_update().using_db(tx).get_or_none(id=notice_id) if notice_id else None
    if notice is None or notice.sender_id != actor.user_id:
        raise UserErrors.not_found("noticeId")
    return notice


def next_reminder_at(notice: Notice) -> dt.datetime | None:
    """From when the sender may remind again: 5 minutes after sending or the last reminder."""
    if notice.sent_at is None:
        return None
    return max(notice.sent_at, notice.last_reminded_at or notice.sent_at) + REMINDER_INTERVAL


#: Not confirmed yet (a READ_ONLY notice is confirmed by being opened: its receipts say so too).
_UNCONFIRMED = "confirmed_at IS NULL"


async def remind(actor: Principal, notice_id: uuid.UUID | None) -> tuple[Notice, int]:
    """One push and inbox notification to each recipient who has not confirmed, at most every 5 minutes."""
    async with in_transaction() as tx:
        notice = await _senders(actor, notice_id, tx)
        now = await db.now(tx)
        if notice.status != NoticeStatus.SENT or (notice.deadline is not None and notice.deadline <= now):
            raise UserErrors.one(ErrorCode.INVALID_STATE, "notice_not_remindable", "noticeId")
        allowed = next_reminder_at(notice)
        if allowed is not None and now < allowed:
            raise UserErrors.one(ErrorCode.RATE_LIMITED, "notice_remind_later", "noticeId",
                                 seconds=int((allowed - now).total_seconds()) + 1)
        waiting = (await tx.execute_query_dict(
            f"SELECT count(*) AS n FROM notice_receipt WHERE notice_id = $1 AND {_UNCONFIRMED}", [notice.id]))[0]["n"]
        if waiting:
            notice.last_reminded_at = now
            await Notice.filter(id=notice.id).using_db(tx).update(last_reminded_at=now)
            await scheduler.schedule(REMIND_JOB, notice.id, using=tx)
    return notice, waiting


@scheduler.handler(REMIND_JOB)
async def remind_batch(job: scheduler.Job, tx: BaseDBAsyncClient) -> None:
    """One batch of a reminder round: the unconfirmed not yet reminded in this round."""
    notice = await Notice.select_for_update().using_db(tx).get_or_none(id=job.subject_id)
    if notice is None or notice.status != NoticeStatus.SENT or notice.last_reminded_at is None:
        return
    rows = await tx.execute_query_dict(
        f"UPDATE notice_receipt SET reminded_at = $2 WHERE id IN ("
        f"  SELECT id FROM notice_receipt WHERE notice_id = $1 AND {_UNCONFIRMED}"
        f"     AND (reminded_at IS NULL OR reminded_at < $2) ORDER BY id LIMIT $3) RETURNING guardian_id",
        [notice.id, notice.last_reminded_at, BATCH])
    await notify_many([r["guardian_id"] for r in rows], kind=NotificationKind.NOTICE, title_key="notice_reminder_title",
                      body_key="notice_body", params={"title": notice.title}, subject=("Notice", notice.id), using=tx)
    if len(rows) == BATCH:
        await scheduler.schedule(REMIND_JOB, notice.id, using=tx)


async def recall(actor: Principal, notice_id: uuid.UUID | None) -> Notice:
    """A sent notice within 24 hours becomes RECALLED; a scheduled one CANCELLED. Again: no change."""
    async with in_transaction() as tx:
        notice = await _senders(actor, notice_id, tx)
        now = await db.now(tx)
        if notice.status in (NoticeStatus.RECALLED, NoticeStatus.CANCELLED):
            return notice
        if notice.status == NoticeStatus.SCHEDULED:
            await Notice.filter(id=notice.id).using_db(tx).update(status=NoticeStatus.CANCELLED)
        else:
            assert notice.sent_at is not None
            if now > notice.sent_at + RECALL_WITHIN:
                raise UserErrors.one(ErrorCode.INVALID_STATE, "notice_recall_too_late", "noticeId")
            await Notice.filter(id=notice.id).using_db(tx).update(status=NoticeStatus.RECALLED, recalled_at=now)
            # its inbox notifications say it was recalled, without its title
            await tx.execute_query(
                "UPDATE notification SET title_key = 'notice_recalled_title', body_key = 'notice_recalled_body', "
                "params = '{}'::jsonb WHERE subject_type = 'Notice' AND subject_id = $1", [notice.id])
        await notice.refresh_from_db(using_db=tx)
    return notice


# --------------------------------------------------------------------------
# The guardian: reading and confirming.


async def _receipt(actor: Principal, notice_id: uuid.UUID | None, tx: BaseDBAsyncClient
                   ) -> tuple[Notice, NoticeReceipt]:
    receipt = await NoticeReceipt.select_for_update().using_db(tx).get_or_none(
        notice_id=notice_id, guardian_id=actor.user_id) if notice_id else None
    if receipt is None:
        raise UserErrors.not_found("noticeId")
    notice = await Notice.get(id=notice_id, using_db=tx)
    return notice, receipt


async def _mark_read(actor: Principal, notice: Notice, receipt: NoticeReceipt, now: dt.datetime,
                     tx: BaseDBAsyncClient) -> None:
    if receipt.read_at is not None:
        return
    receipt.read_at = now
    if notice.confirmation_mode == NoticeConfirmationMode.READ_ONLY and notice.status == NoticeStatus.SENT:
        receipt.confirmed_at = now  # opening a READ_ONLY notice is its confirmation
    await NoticeReceipt.filter(id=receipt.id).using_db(tx).update(read_at=receipt.read_at,
                                                                  confirmed_at=receipt.confirmed_at)
    await tx.execute_query(
        "UPDATE notification SET read_at = $3 WHERE user_id = $1 AND subject_type = 'Notice' AND subject_id = $2 "
        "AND read_at IS NULL", [actor.user_id, notice.id, now])


async def read(actor: Principal, notice_id: uuid.UUID | None) -> Notice:
    """Opening it: read (and its inbox notification), the first time; recalled ones come back as such."""
    async with in_transaction() as tx:
        notice, receipt = await _receipt(actor, notice_id, tx)
        if notice.status != NoticeStatus.RECALLED:
            await _mark_read(actor, notice, receipt, await db.now(tx), tx)
    return notice


@dataclass(frozen=True)
class Confirmation:
    signature_name: str | None
    reply_option_id: str | None


async def confirm(actor: Principal, notice_id: uuid.UUID | None, given: Confirmation) -> Notice:
    """Confirm once (time and signature stay); the reply may change until the deadline. On a
    READ_ONLY notice, what opening it does."""
    async with in_transaction() as tx:
        notice, receipt = await _receipt(actor, notice_id, tx)
        now = await db.now(tx)
        checks = Checks()
        signature = None
        if notice.confirmation_mode == NoticeConfirmationMode.SIGNATURE:
            signature = checks.text("signatureName", given.signature_name, max_length=30, min_length=2)
        elif given.signature_name is not None:
            checks.invalid("signatureName", "notice_field_not_taken")
        options = {o["id"] for o in notice.reply_options}
        if options and given.reply_option_id is None:
            checks.invalid("replyOptionId", "required")
        elif given.reply_option_id is not None and given.reply_option_id not in options:
            checks.invalid("replyOptionId", "notice_no_such_option" if options else "notice_field_not_taken")
        checks.raise_if_any()
        if notice.confirmation_mode == NoticeConfirmationMode.READ_ONLY:
            if notice.status != NoticeStatus.RECALLED:
                await _mark_read(actor, notice, receipt, now, tx)
            return notice
        if notice.status != NoticeStatus.SENT or (notice.deadline is not None and notice.deadline <= now):
            raise UserErrors.one(ErrorCode.INVALID_STATE, "notice_closed", "noticeId")
        await _mark_read(actor, notice, receipt, now, tx)
        changes: dict[str, object] = {}
        if receipt.confirmed_at is None:
            changes |= {"confirmed_at": now, "signature_name": signature}
        if options and receipt.reply_option != given.reply_option_id:
            changes["reply_option"] = given.reply_option_id
        if changes:
            await NoticeReceipt.filter(id=receipt.id).using_db(tx).update(**changes)
    return notice
