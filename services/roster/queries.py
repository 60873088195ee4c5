"""Reading roster imports, as the viewer may see them (``access.may_see_roster_run``)."""

from __future__ import annotations

import uuid

from services import access
from services.access import Principal
from services.roster.models import RosterRun

#: Imports are a few a term; the console lists the latest.
LATEST = 50


def _visible(actor: Principal, run: RosterRun) -> bool:
    return access.may_see_roster_run(actor, run.districts)


async def visible_imports(actor: Principal, first: int) -> list[RosterRun]:
    """Newest first, at most ``first`` (and LATEST)."""
    runs = await RosterRun.filter(direction="IMPORT").order_by("-started_at").limit(LATEST)
    return [run for run in runs if _visible(actor, run)][:first]


async def visible_import(actor: Principal, run_id: uuid.UUID) -> RosterRun | None:
    run = await RosterRun.get_or_none(id=run_id, direction="IMPORT")
    return run if run is not None and _visible(actor, run) else None


def may_read_invitations(actor: Principal, run: RosterRun) -> bool:
    """The codes are the operator's to hand on: only whoever started the import learns where they are."""
    return access.is_self(actor, run.started_by_id)
