"""Enums of family education, described for the schema."""

from __future__ import annotations

from schema.common.enums import describe_enum
from services import enums

describe_enum(
    enums.CourseAudience, name="CourseAudience", description="Who a course is for.",
    values={
        "PARENT": "Parents: the family-education courses.",
        "TEACHER": "Teachers: family-education guidance training, with credit hours (学时).",
    },
)
CourseAudience = enums.CourseAudience

describe_enum(
    enums.CourseCategory, name="CourseCategory", description="What a family-education course is about.",
    values={
        "PARENTING": "Everyday parenting.",
        "MENTAL_HEALTH": "Children's mental health.",
        "SAFETY": "Safety at home, online and on the way to school.",
        "LEARNING_SUPPORT": "Supporting a child's learning.",
        "HEALTH": "Physical health, sleep and food.",
        "FAMILY_RELATIONSHIPS": "Relationships within the family.",
    },
)
CourseCategory = enums.CourseCategory
describe_enum(
    enums.LessonKind, name="LessonKind", description="How a lesson is given.",
    values={"VIDEO": "A video to watch.", "ARTICLE": "A text to read.", "IN_PERSON": "Attended at a session."},
)
LessonKind = enums.LessonKind
describe_enum(
    enums.WaitlistStatus, name="WaitlistStatus", description="Where a place on a session's waitlist stands.",
    values={
        "WAITING": "In line for a seat.",
        "PROMOTED": "A seat freed and became theirs (a REGISTERED registration).",
        "LEFT": "They left the line.",
        "CLOSED": "The session started before a seat freed.",
    },
)
WaitlistStatus = enums.WaitlistStatus

describe_enum(
    enums.RegistrationStatus, name="RegistrationStatus", description="Where a seat in a session stands.",
    values={
        "REGISTERED": "The parent holds a seat.",
        "CANCELLED": "The parent gave the seat back.",
        "ATTENDED": "The parent checked in at the venue.",
        "ABSENT": "The session ended without the parent checking in.",
    },
)
RegistrationStatus = enums.RegistrationStatus
describe_enum(
    enums.CertificationStatus, name="CertificationStatus", description="Whether an instructor may work now.",
    values={
        "ACTIVE": "Certified and current: teaches sessions and takes bookings.",
        "EXPIRED": "The certificate's last day has passed.",
        "SUSPENDED": "Suspended by an administrator.",
    },
)
CertificationStatus = enums.CertificationStatus
describe_enum(
    enums.ConsultationMode, name="ConsultationMode", description="How a consultation takes place.",
    values={"IN_PERSON": "Face to face, at a station.", "PHONE": "By phone.", "VIDEO": "By video call."},
)
ConsultationMode = enums.ConsultationMode
describe_enum(
    enums.ConsultationStatus, name="ConsultationStatus", description="Where a consultation is in its life.",
    values={
        "REQUESTED": "Booked by the family; the instructor has to answer.",
        "CONFIRMED": "Accepted by the instructor.",
        "DECLINED": "Declined by the instructor.",
        "CANCELLED": "Called off by the family or the instructor.",
        "COMPLETED": "Took place; the instructor left a summary.",
    },
)
ConsultationStatus = enums.ConsultationStatus
describe_enum(
    enums.ConsultationParty, name="ConsultationParty", description="A side of a consultation.",
    values={"INSTRUCTOR": "The instructor.", "FAMILY": "The family."},
)
ConsultationParty = enums.ConsultationParty
