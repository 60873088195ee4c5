"""Root fields of school notices: thin wrappers that decode ids and call one service function."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.common.errors import UserError
from schema.common.ids import decode_id
from schema.common.mutations import run, user_errors_field
from schema.context import Context
from schema.notices import inputs
from schema.notices.types import Notice
from services.notices import queries, service

Info = strawberry.Info[Context, None]


@strawberry.type(description="Result of `sendNotice`.")
class SendNoticePayload:
    notice: Notice | None = strawberry.field(default=None, description="The notice, sent or scheduled.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `readNotice`.")
class ReadNoticePayload:
    notice: Notice | None = strawberry.field(default=None, description="The notice, with its content unless recalled.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `confirmNotice`.")
class ConfirmNoticePayload:
    notice: Notice | None = strawberry.field(default=None, description="The notice with the viewer's receipt.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `recallNotice`.")
class RecallNoticePayload:
    notice: Notice | None = strawberry.field(default=None, description="The notice, recalled or cancelled.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `remindUnconfirmedNotice`.")
class RemindUnconfirmedNoticePayload:
    reminded_count: int | None = strawberry.field(default=None, description="Guardians reminded.")
    notice: Notice | None = strawberry.field(default=None, description="The notice, with its reminder times.")
    user_errors: list[UserError] = user_errors_field()


async def _notice(info: Info, notice_id: Any) -> Notice:
    found = (await queries.visible_notices_by_id(info.context.viewer, [notice_id]))[0]
    assert found is not None
    return Notice.of(found)


def _audience(given: inputs.NoticeAudienceInput) -> service.Audience:
    named = {name for name, value in (("schoolClassIds", given.school_class_ids), ("schoolId", given.school_id),
                                      ("districtId", given.district_id)) if value is not None}
    return service.Audience(
        class_ids=tuple(decode_id(i, "SchoolClass") for i in given.school_class_ids)
        if given.school_class_ids is not None else None,
        school_id=decode_id(given.school_id, "School"), grade=given.grade,
        district_id=decode_id(given.district_id, "District"), pilot_schools_only=given.pilot_schools_only,
        named=frozenset(named))


@strawberry.type
class NoticeMutations:
    @strawberry.mutation(description=(
        "Send a notice now or at scheduledFor to the guardians of an audience (each guardian once, however many of "
        "their children it reaches); each gets an inbox notification and a push. Teachers send to their classes, "
        "school administrators to their school or a grade of it, district administrators to their district."
    ))
    async def send_notice(self, info: Info, input: inputs.SendNoticeInput) -> SendNoticePayload:
        draft = service.Draft(title=input.title, body=input.body, audience=_audience(input.audience),
                              mode=input.confirmation_mode, reply_options=input.reply_options,
                              deadline=input.deadline, scheduled_for=input.scheduled_for)

        async def action() -> Any:
            sent = await service.send(info.context.viewer, draft)
            return SendNoticePayload(notice=await _notice(info, sent.id))

        return await run(info, SendNoticePayload, action)

    @strawberry.mutation(description="Open a notice received: read (and its inbox notification), the first time; a "
                                     "READ_ONLY notice is confirmed so. A recalled one comes back without content.")
    async def read_notice(self, info: Info, input: inputs.ReadNoticeInput) -> ReadNoticePayload:
        async def action() -> Any:
            read = await service.read(info.context.viewer, decode_id(input.notice_id, "Notice"))
            return ReadNoticePayload(notice=await _notice(info, read.id))

        return await run(info, ReadNoticePayload, action)

    @strawberry.mutation(description="Confirm a notice (SIGNATURE: with the full name; with reply options: one of "
                                     "them). Again: nothing changes but the reply, until the deadline.")
    async def confirm_notice(self, info: Info, input: inputs.ConfirmNoticeInput) -> ConfirmNoticePayload:
        given = service.Confirmation(signature_name=input.signature_name,
                                     reply_option_id=str(input.reply_option_id) if input.reply_option_id else None)

        async def action() -> Any:
            confirmed = await service.confirm(info.context.viewer, decode_id(input.notice_id, "Notice"), given)
            return ConfirmNoticePayload(notice=await _notice(info, confirmed.id))

        return await run(info, ConfirmNoticePayload, action)

    @strawberry.mutation(description="Remind those who have not confirmed (one push and inbox notification each), at "
                                     "most every 5 minutes (RATE_LIMITED).")
    async def remind_unconfirmed_notice(self, info: Info, input: inputs.SentNoticeInput
                                        ) -> RemindUnconfirmedNoticePayload:
        async def action() -> RemindUnconfirmedNoticePayload:
            notice, reminded = await service.remind(info.context.viewer, decode_id(input.notice_id, "Notice"))
            return RemindUnconfirmedNoticePayload(reminded_count=reminded, notice=await _notice(info, notice.id))

        return await run(info, RemindUnconfirmedNoticePayload, action)

    @strawberry.mutation(description="Recall a notice within 24 hours of sending (its recipients see it recalled, "
                                     "without content); a scheduled one is cancelled and reaches nobody.")
    async def recall_notice(self, info: Info, input: inputs.SentNoticeInput) -> RecallNoticePayload:
        async def action() -> Any:
            recalled = await service.recall(info.context.viewer, decode_id(input.notice_id, "Notice"))
            return RecallNoticePayload(notice=await _notice(info, recalled.id))

        return await run(info, RecallNoticePayload, action)
