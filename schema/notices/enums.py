"""Enums of school notices, described for the schema."""

from __future__ import annotations

from schema.common.enums import describe_enum
from services import enums

describe_enum(
    enums.NoticeConfirmationMode, name="NoticeConfirmationMode", description="How guardians confirm a notice.",
    values={"READ_ONLY": "Opening it is the confirmation.", "CONFIRM": "One tap.",
            "SIGNATURE": "The guardian types their full name."},
)
NoticeConfirmationMode = enums.NoticeConfirmationMode
describe_enum(
    enums.NoticeStatus, name="NoticeStatus", description="Where a notice stands.",
    values={"SCHEDULED": "To be sent at its time.", "SENT": "Sent.",
            "RECALLED": "Recalled after sending: recipients see it without content.",
            "CANCELLED": "Recalled before its time, or its sender lost the scope: it reached nobody."},
)
NoticeStatus = enums.NoticeStatus
describe_enum(
    enums.NoticeAudienceKind, name="NoticeAudienceKind", description="Whom a notice was sent to.",
    values={"SCHOOL_CLASSES": "Classes of a school.", "SCHOOL_GRADE": "One grade of a school.",
            "SCHOOL": "A whole school.", "DISTRICT": "A district's schools.",
            "DISTRICT_PILOT_SCHOOLS": "A district's family-education pilot schools."},
)
NoticeAudienceKind = enums.NoticeAudienceKind
