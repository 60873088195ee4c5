"""Imports started from the administrators' console: a file the city's system dropped in the
roster folder, imported by the roster lane of the scheduler, one school per job.

The first job reads and checks the files (a refused import writes nothing but its problems; a
dry run plans every school and stops there); each following job imports one school in the job's
own transaction, its checkpoint with it, and schedules the next: a process killed mid-school
leaves the job to another, which reads the files again. City administrators import any school,
district administrators their district's (``services.access``).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services import access, db, outbox, runtime, scheduler
from services.access import Principal
from services.enums import RosterFormat, RosterRunStatus
from services.errors import ErrorCode, UserErrors
from services.roster import files, report, sync
from services.roster.models import RosterRun
from services.roster.records import Origin, Problem

ROSTER_JOB = "roster_import"


def folder() -> Path:
    configured = runtime.current().roster_dir
    assert configured is not None, "the runtime names the roster folder"
    return configured


def _file(name: str) -> Path:
    """The named file of the roster folder; nothing outside it (no paths, no links out)."""
    base = folder().resolve()
    try:
        path = (base / name).resolve()
        found = bool(name) and Path(name).name == name and path.parent == base and path.exists()
    except (OSError, ValueError):  # a NUL byte, a name longer than the file system allows
        found = False
    if not found:
        raise UserErrors.one(ErrorCode.NOT_FOUND, "roster_file_not_found", "file")
    return path


async def start(actor: Principal, *, file_name: str, format: RosterFormat | None, dry_run: bool,
                valid_schools_only: bool) -> RosterRun:
    access.require(access.may_import_roster(actor))
    path = _file(file_name)
    async with in_transaction() as tx:
        run = await RosterRun.create(
            direction="IMPORT", format=format or files.guess_format(path), digest="", status=RosterRunStatus.QUEUED,
            started_by_id=actor.user_id, file_name=file_name, dry_run=dry_run,
            valid_schools_only=valid_schools_only, districts=access.roster_districts(actor), using_db=tx)
        await scheduler.schedule(ROSTER_JOB, run.id, using=tx)
    return run


#: The files of the run this process is importing, read once (a run imports one school per job).
_prepared: dict[uuid.UUID, sync.Prepared] = {}


async def _prepare(run: RosterRun) -> sync.Prepared:
    prepared = _prepared.get(run.id)
    if prepared is None:
        roster = files.read(_file(run.file_name or ""), RosterFormat(run.format))
        districts = frozenset(uuid.UUID(d) for d in run.districts) if run.districts is not None else None
        prepared = await sync.prepare(roster, valid_schools_only=run.valid_schools_only, districts=districts)
        _prepared.clear()
        _prepared[run.id] = prepared
    return prepared


def _stored(problem: Problem) -> dict[str, object]:
    return {"file": problem.origin.file, "row": problem.origin.row, "column": problem.column, "key": problem.key,
            "params": {k: str(v) for k, v in problem.params.items()}}


def problems_of(run: RosterRun) -> list[Problem]:
    return [Problem(Origin(p["file"], p["row"]), p["column"], p["key"], p["params"]) for p in run.problems]


def invitations_report(run: RosterRun) -> Path:
    """The codes of the guardians the run invited, for its operator to hand on (0600, beside the file)."""
    return folder() / f"{Path(run.file_name or 'roster').stem}-{run.id}-invitations.csv"


@scheduler.handler(ROSTER_JOB)
async def step(job: scheduler.Job, tx: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    run = await RosterRun.select_for_update().using_db(tx).get_or_none(id=job.subject_id)
    if run is None or run.status in (RosterRunStatus.COMPLETED, RosterRunStatus.REFUSED):
        return []
    try:
        prepared = await _prepare(run)
    except UserErrors:  # the file is gone
        return await _refuse(run, [Problem(Origin(run.file_name or "", 0), "", "roster_file_not_found")], tx)
    if run.status == RosterRunStatus.QUEUED:
        return await _begin(run, prepared, tx)
    if prepared.roster.digest != run.digest:
        return await _refuse(run, [Problem(Origin(run.file_name or "", 0), "", "roster_file_changed")], tx)
    done = set(run.schools_done)
    remaining = [s for s in prepared.schools if s not in done]
    if not remaining:
        await sync.finish(run, run.started_by_id, tx)
        _prepared.pop(run.id, None)
        return []
    entries, invited = await sync.import_school(prepared, remaining[0], run, run.started_by_id,
                                                tx)
    report.append_invitations(invitations_report(run), invited)
    await scheduler.schedule(ROSTER_JOB, run.id, using=tx)
    return entries


async def _begin(run: RosterRun, prepared: sync.Prepared, tx: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    run.digest = prepared.roster.digest
    run.problems = [_stored(p) for p in prepared.roster.problems]
    run.refused_schools = prepared.refused
    run.schools_total = len(prepared.schools)
    if prepared.blocked:
        return await _refuse(run, prepared.roster.problems, tx)
    if run.dry_run:
        run.counts = dict(await sync.plan_all(prepared))
        run.status = RosterRunStatus.COMPLETED
        await run.save(using_db=tx)
        return []
    run.status = RosterRunStatus.RUNNING
    await run.save(using_db=tx)
    await scheduler.schedule(ROSTER_JOB, run.id, using=tx)
    return []


async def _refuse(run: RosterRun, problems: list[Problem], tx: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    run.problems = [_stored(p) for p in problems]
    run.status = RosterRunStatus.REFUSED
    run.finished_at = await db.now(tx)
    await run.save(using_db=tx)
    _prepared.pop(run.id, None)
    return []
