"""Inputs of the school notices' operations."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.notices.enums import NoticeConfirmationMode


@strawberry.input(description="Whom to send to: exactly one of schoolClassIds, schoolId (with grade: one grade of "
                              "it) or districtId (with pilotSchoolsOnly: its pilot schools).")
class NoticeAudienceInput:
    school_class_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="1 to 10 classes of one school.")
    school_id: strawberry.ID | None = strawberry.field(default=None, description="A school (administrators).")
    grade: int | None = strawberry.field(default=None, description="With schoolId: only this grade (1 to 12).")
    district_id: strawberry.ID | None = strawberry.field(default=None, description="A district (its administrators).")
    pilot_schools_only: bool | None = strawberry.field(
        default=None, description="With districtId: only its family-education pilot schools.")


@strawberry.input(description="A notice to send.")
class SendNoticeInput:
    title: str = strawberry.field(description="1 to 60 characters.")
    body: str = strawberry.field(description="1 to 2000 characters.")
    audience: NoticeAudienceInput = strawberry.field(description="Whom to send to.")
    confirmation_mode: NoticeConfirmationMode = strawberry.field(description="How guardians confirm it.")
    reply_options: list[str] | None = strawberry.field(
        default=None, description="2 to 6 distinct replies of 1 to 20 characters (CONFIRM and SIGNATURE only).")
    deadline: dt.datetime | None = strawberry.field(
        default=None, description="Confirmations until then: after the sending time, at most 90 days after it.")
    scheduled_for: dt.datetime | None = strawberry.field(
        default=None, description="Send then (in the future, at most 30 days ahead) instead of now.")


@strawberry.input(description="Narrows the guardian's notices.")
class NoticeFilter:
    unconfirmed_only: bool | None = strawberry.field(
        default=None, description="Only those awaiting the viewer's confirmation (the 待确认 tab).")
    student_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only those that reached the viewer through this child.")


@strawberry.input(description="Narrows a notice's recipients.")
class NoticeRecipientFilter:
    unconfirmed_only: bool | None = strawberry.field(
        default=None, description="Only those who have not confirmed (READ_ONLY: not opened).")


@strawberry.input(description="A notice the viewer received.")
class ReadNoticeInput:
    notice_id: strawberry.ID = strawberry.field(description="The notice.")


@strawberry.input(description="A confirmation.")
class ConfirmNoticeInput:
    notice_id: strawberry.ID = strawberry.field(description="The notice.")
    signature_name: str | None = strawberry.field(
        default=None, description="SIGNATURE notices: the guardian's full name as typed, 2 to 30 characters.")
    reply_option_id: strawberry.ID | None = strawberry.field(
        default=None, description="With reply options: the one chosen.")


@strawberry.input(description="A notice of the viewer's.")
class SentNoticeInput:
    notice_id: strawberry.ID = strawberry.field(description="The notice.")
