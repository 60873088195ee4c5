"""Enums of notifications and push devices, described for the schema."""

from __future__ import annotations

from schema.common.enums import describe_enum
from services import enums

describe_enum(
    enums.NotificationKind, name="NotificationKind", description="What a notification is about.",
    values={"ALERT": "A wellbeing alert.", "HOME_VISIT": "A home visit.", "COURSE": "A course or its session.",
            "CONSULTATION": "A guidance consultation.", "HANDOFF": "A student's record moved school.",
            "SYSTEM": "The programme itself.", "NOTICE": "A school notice to read or confirm."},
)
NotificationKind = enums.NotificationKind
describe_enum(
    enums.DevicePlatform, name="DevicePlatform", description="The phone's push platform.",
    values={"IOS": "Apple push.", "ANDROID": "Android push.", "HARMONY": "HarmonyOS push."},
)
DevicePlatform = enums.DevicePlatform
