"""Enums of the audit trail, described for the schema."""

from __future__ import annotations

from schema.common.enums import describe_enum
from services.enums import AuditAction as AuditActionEnum

describe_enum(
    AuditActionEnum,
    name="AuditAction",
    description="What an audited access did.",
    values={
        "READ_ALERT": "Read a wellbeing alert's details or timeline.",
        "UPDATE_ALERT": "Changed a wellbeing alert.",
        "READ_HOME_ADDRESS": "Read a family's home address (on file, or a home visit's).",
        "UPDATE_HOME_ADDRESS": "Set, replaced or erased a guardian's household address.",
        "EXPORT": "Exported records.",
        "IMPORT": "Imported records (a roster sync from the student information system).",
        "SIGN_IN": "Signed in.",
        "ROLE_CHANGE": "Granted or revoked a role.",
    },
)
AuditAction = AuditActionEnum

