"""Imports started from the administrators' console: a file the city's system dropped in the
roster folder, imported by the roster lane of the scheduler, one school per job.

The files are read and checked in a thread of the process, outside any transaction: a city's
files take a minute, longer than a job's lease (the scheduler's idle-in-transaction timeout) and
far longer than the event loop, which also runs the deadlines and the live feed, may stand still.
Meanwhile the job looks again every second. Once they are read, the first job records what the
check found (a refused import writes nothing but its problems; a dry run plans every school and
stops there); each following job imports one school in the job's own transaction, its checkpoint
with it, and schedules the next: a process killed mid-school leaves the job to another, which
reads the files again. City administrators import any school, district administrators their
district's (``services.access``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
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
from services.roster.records import Origin, Problem, Roster
from services.roster.validation import validate

ROSTER_JOB = "roster_import"
#: How soon a job whose files are still being read looks again.
READ_POLL = dt.timedelta(seconds=1)


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


#: The files of the runs this process is importing, read and checked once (a run imports one
#: school per job): the reading, then the roster resolved against the database.
_reading: dict[uuid.UUID, asyncio.Task[Roster]] = {}
_prepared: dict[uuid.UUID, sync.Prepared] = {}


def _read(path: Path, format: RosterFormat, today: dt.date) -> Roster:
    """In a thread: no database here (the task would carry the job's transaction with it)."""
    roster = files.read(path, format)
    validate(roster, today)
    return roster


async def _ready(run: RosterRun, tx: BaseDBAsyncClient) -> sync.Prepared | None:
    """The run's files read and checked; None while they are being read (the reading starts here).
    Raises what reading raised (UserErrors: the file is gone), once: a retry reads again."""
    if run.id in _prepared:
        return _prepared[run.id]
    task = _reading.get(run.id)
    if task is None:
        path = _file(run.file_name or "")
        # Kept until the run ends (two runs at once each keep theirs: dropping the other's would have
        # each re-read for ever).
        task = _reading[run.id] = asyncio.create_task(
            asyncio.to_thread(_read, path, RosterFormat(run.format), (await db.now(tx)).date()), name="roster-read")
    if not task.done():
        return None
    del _reading[run.id]
    districts = frozenset(uuid.UUID(d) for d in run.districts) if run.districts is not None else None
    prepared = _prepared[run.id] = await sync.resolve(task.result(), valid_schools_only=run.valid_schools_only,
                                                      districts=districts, using=tx)
    return prepared


def _forget(run: RosterRun) -> None:
    _reading.pop(run.id, None)
    _prepared.pop(run.id, None)


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
        prepared = await _ready(run, tx)
    except UserErrors:  # the file is gone
        return await _refuse(run, [Problem(Origin(run.file_name or "", 0), "", "roster_file_not_found")], tx)
    if prepared is None:
        await scheduler.schedule(ROSTER_JOB, run.id, using=tx, delay=READ_POLL)
        return []
    if run.status == RosterRunStatus.QUEUED:
        return await _begin(run, prepared, tx)
    if prepared.roster.digest != run.digest:
        return await _refuse(run, [Problem(Origin(run.file_name or "", 0), "", "roster_file_changed")], tx)
    done = set(run.schools_done)
    remaining = [s for s in prepared.schools if s not in done]
    if not remaining:
        await sync.finish(run, run.started_by_id, tx)
        _forget(run)
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
    _forget(run)
    return []
