"""Enums of the roster sync, described for the schema."""

from __future__ import annotations

from schema.common.enums import describe_enum
from services import enums

describe_enum(
    enums.RosterRunStatus, name="RosterImportStatus", description="Where a roster import stands.",
    values={"QUEUED": "Waiting for the roster lane to read its file.",
            "RUNNING": "Importing, a school at a time.",
            "COMPLETED": "Done (a dry run: planned, nothing written).",
            "REFUSED": "Its file has problems: nothing was written (see problems)."},
)
RosterImportStatus = enums.RosterRunStatus
describe_enum(
    enums.RosterFormat, name="RosterFormat", description="The format of a roster file.",
    values={"ONEROSTER": "OneRoster 1.2 CSV: a zip, or a folder with manifest.csv.",
            "XUEJI": "Student-status (学籍) spreadsheets: XLSX or CSV (UTF-8 or GB18030)."},
)
RosterFormat = enums.RosterFormat
