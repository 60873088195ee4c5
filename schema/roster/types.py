"""Types of the roster sync: an import started from the console, its changes and its problems."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import strawberry

from schema.common.node import Node, gid, node_loader
from schema.context import Context
from schema.roster.enums import RosterFormat, RosterImportStatus
from services.messages import translate
from services.roster import jobs, queries
from services.roster.models import RosterRun

Info = strawberry.Info[Context, None]


@strawberry.type(description="A problem the check found in the files: nothing of its school is written.")
class RosterProblem:
    file: str = strawberry.field(description="The file's name.")
    row: int = strawberry.field(description="The row, counting the header as row 1; 0 for the file as a whole.")
    column: str = strawberry.field(description="The column, as the file names it; empty for a whole row or file.")
    code: str = strawberry.field(description="What is wrong, e.g. INVALID_PHONE, ROSTER_DUPLICATE_ID.")
    message: str = strawberry.field(description="The same, said in the viewer's language.")


@strawberry.type(description="What an import changed so far (a dry run: would change).")
class RosterChanges:
    schools_created: int = strawberry.field(description="Schools created.")
    schools_updated: int = strawberry.field(description="Schools renamed.")
    classes_created: int = strawberry.field(description="Classes created.")
    students_created: int = strawberry.field(description="Students enrolled.")
    students_updated: int = strawberry.field(description="Students whose name, gender or birth date changed.")
    students_moved: int = strawberry.field(description="Students moved to another class of their school.")
    students_transferred: int = strawberry.field(
        description="Students transferred to another school (their wellbeing record handed off).")
    students_withdrawn: int = strawberry.field(description="Students withdrawn (kept, no longer listed).")
    students_rejoined: int = strawberry.field(description="Withdrawn students listed again.")
    guardians_linked: int = strawberry.field(description="Guardians linked to a child.")
    guardians_unlinked: int = strawberry.field(
        description="Links the school's full roster no longer lists, ended (links made by hand and never listed stay).")
    guardianships_updated: int = strawberry.field(description="Links whose relationship or primary flag changed.")
    guardians_invited: int = strawberry.field(description="Guardians given an invitation code.")

    @classmethod
    def of(cls, counts: dict[str, int]) -> RosterChanges:
        def n(key: str) -> int:
            return int(counts.get(key, 0))

        return cls(
            schools_created=n("created.school"), schools_updated=n("updated.school"),
            classes_created=n("created.class"), students_created=n("created.student"),
            students_updated=n("updated.student"), students_moved=n("moved.student"),
            students_transferred=n("transferred.student"), students_withdrawn=n("withdrawn.student"),
            students_rejoined=n("rejoined.student"), guardians_linked=n("linked.guardian"),
            guardians_unlinked=n("unlinked.guardian"),
            guardianships_updated=n("updated.guardianship"), guardians_invited=n("invited.guardian"))


@strawberry.type(description="A roster import from a file in the server's roster folder.")
class RosterImport(Node):
    status: RosterImportStatus = strawberry.field(description="Where it stands.")
    format: RosterFormat = strawberry.field(description="The file's format.")
    file_name: str = strawberry.field(description="The file, in the roster folder.")
    dry_run: bool = strawberry.field(description="Planned only: nothing is written.")
    valid_schools_only: bool = strawberry.field(
        description="With problems, the schools without any are imported (a school is all or nothing).")
    started_at: dt.datetime = strawberry.field(description="When it was started.")
    finished_at: dt.datetime | None = strawberry.field(description="When it completed or was refused.")
    schools_total: int = strawberry.field(description="Schools to import (known once the file is read).")
    schools_done: int = strawberry.field(description="Schools imported so far.")
    changes: RosterChanges = strawberry.field(description="What it changed so far.")
    problem_count: int = strawberry.field(description="Problems found in the files.")
    refused_schools: list[str] = strawberry.field(
        description="Source ids of the schools left out for their problems.")
    _run: strawberry.Private[RosterRun]

    @classmethod
    def of(cls, run: RosterRun) -> RosterImport:
        return cls(id=gid("RosterImport", run.id), status=run.status, format=run.format,
                   file_name=run.file_name or "", dry_run=run.dry_run, valid_schools_only=run.valid_schools_only,
                   started_at=run.started_at, finished_at=run.finished_at, schools_total=run.schools_total,
                   schools_done=len(run.schools_done), changes=RosterChanges.of(run.counts),
                   problem_count=len(run.problems), refused_schools=list(run.refused_schools), _run=run)

    @strawberry.field(description="The problems, in file and row order.")
    def problems(self, info: Info, first: Annotated[int, strawberry.argument(
            description="At most this many (1 to 500).")] = 100) -> list[RosterProblem]:
        language = info.context.language
        found = sorted(jobs.problems_of(self._run), key=lambda p: (p.origin.file, p.origin.row, p.column))
        return [RosterProblem(file=p.origin.file, row=p.origin.row, column=p.column, code=p.key.upper(),
                              message=translate(p.key, language, p.params))
                for p in found[:max(1, min(first, 500))]]

    @strawberry.field(description="The file of invitation codes to hand on, in the roster folder (0600); only for "
                                  "whoever started the import, null for anyone else or before any code.")
    def invitation_report(self, info: Info) -> str | None:
        principal = info.context.principal
        path = jobs.invitations_report(self._run)
        if principal is None or not queries.may_read_invitations(principal, self._run) or not path.exists():
            return None
        return path.name


@node_loader("RosterImport")
async def _load(context: Context, run_id: uuid.UUID) -> RosterImport | None:
    if context.principal is None:
        return None
    run = await queries.visible_import(context.principal, run_id)
    return RosterImport.of(run) if run else None
