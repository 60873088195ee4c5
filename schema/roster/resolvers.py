"""Root fields of the roster sync: start an import from the console, watch it."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from schema.common.errors import UserError
from schema.common.mutations import run, user_errors_field
from schema.context import Context
from schema.roster import inputs
from schema.roster.types import RosterImport
from services.roster import jobs, queries

Info = strawberry.Info[Context, None]


@strawberry.type(description="Result of `startRosterImport`.")
class StartRosterImportPayload:
    roster_import: RosterImport | None = strawberry.field(default=None, description="The import, queued.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type
class RosterQueries:
    @strawberry.field(description="Roster imports, newest first: every one for city administrators, those of their "
                                  "district for district administrators.")
    async def roster_imports(self, info: Info, first: Annotated[int, strawberry.argument(
            description="At most this many (1 to 50).")] = 20) -> list[RosterImport]:
        assert info.context.principal is not None
        found = await queries.visible_imports(info.context.principal, max(1, min(first, queries.LATEST)))
        return [RosterImport.of(r) for r in found]


@strawberry.type
class RosterMutations:
    @strawberry.mutation(description=(
        "Import a roster file the city's system dropped in the server's roster folder: checked whole first (a "
        "problem refuses its school, or everything), then imported a school at a time in the background. City "
        "administrators import any school, district administrators their district's."))
    async def start_roster_import(self, info: Info, input: inputs.StartRosterImportInput) -> StartRosterImportPayload:
        async def action() -> Any:
            assert info.context.principal is not None
            started = await jobs.start(info.context.principal, file_name=input.file, format=input.format,
                                       dry_run=input.dry_run, valid_schools_only=input.valid_schools_only)
            return StartRosterImportPayload(roster_import=RosterImport.of(started))

        return await run(info, StartRosterImportPayload, action)
