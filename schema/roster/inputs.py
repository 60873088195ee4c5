"""Inputs of the roster sync's operations."""

from __future__ import annotations

import strawberry

from schema.roster.enums import RosterFormat


@strawberry.input(description="A roster import to start.")
class StartRosterImportInput:
    file: str = strawberry.field(description="A file (or folder) in the server's roster folder, by name.")
    format: RosterFormat | None = strawberry.field(
        default=None, description="The format; by default OneRoster for a zip or a folder with manifest.csv.")
    dry_run: bool = strawberry.field(default=False, description="Plan only: say what would change, write nothing.")
    valid_schools_only: bool = strawberry.field(
        default=False, description="With problems, import the schools without any (a school is all or nothing).")
