"""Enums of home visits, described for the schema."""

from __future__ import annotations

from schema.common.enums import describe_enum
from services import enums

describe_enum(
    enums.HomeVisitStatus, name="HomeVisitStatus", description="Where a home visit is in its life.",
    values={
        "PROPOSED": "The teacher offered slots; the family has to answer.",
        "RESCHEDULE_REQUESTED": "The family asked for other times; the teacher has to offer new slots.",
        "CONFIRMED": "The family accepted a slot; the visiting teachers' time is booked.",
        "COMPLETED": "The visit took place and was recorded.",
        "CANCELLED": "The teacher or the family called it off.",
        "DECLINED": "The family declined the visit.",
        "MISSED": "Confirmed, but not recorded within 48 hours of its end.",
    },
)
HomeVisitStatus = enums.HomeVisitStatus
describe_enum(
    enums.HomeVisitDecision, name="HomeVisitDecision", description="The family's answer to a proposal.",
    values={"ACCEPT": "Accept one of the offered slots.", "PROPOSE_ALTERNATIVES": "Ask for other times.",
            "DECLINE": "Decline the visit."},
)
HomeVisitDecision = enums.HomeVisitDecision
describe_enum(
    enums.Side, name="VisitSide", description="Who ended a visit.",
    values={"SCHOOL": "The school (the lead teacher).", "FAMILY": "The family."},
)
VisitSide = enums.Side
