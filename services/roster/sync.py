"""Bring the database in line with a roster, school by school.

Identity is the source id, never a name: a school's or class's ``roster_source`` link (found by
name the first time, for the schools and classes staff created by hand), a student's link or
their 学籍号, a guardian's phone. A run plans each school against the database and applies the
plan in one transaction per school, through the same code as the API (a school change is
``move_student``, as for TransferStudent; new guardians are ``add_guardians``, as for LinkGuardian),
with its checkpoint in the same transaction: a run killed half-way resumes at the next school and
never writes a record twice. An unchanged roster plans nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services import audit, db, outbox, runtime
from services.enums import AuditAction, GuardianRelationship, RosterKind, RosterRunStatus
from services.home_visits.service import call_off_for_withdrawn
from services.identity import principals
from services.identity.accounts import accounts_of, find_or_create_users
from services.ids import new_id
from services.organisation.models import Guardianship, School, SchoolClass, Student, on_roll
from services.organisation.service import (
    NewGuardian,
    NewStudent,
    add_guardians,
    move_student,
    new_students,
    student_number_index,
)
from services.progress import Progress
from services.roster.models import RosterRun
from services.roster.records import Problem, Roster, SchoolRecord, StudentRecord
from services.roster.validation import validate

#: Recorded as the reason of a transfer the roster made.
TRANSFER_REASON = "学籍系统同步"


def source_index(kind: RosterKind, source_id: str) -> str:
    return runtime.current().crypto.blind_index.digest(f"roster-{kind.value.lower()}", source_id)


def _seal(source_id: str, entity_id: uuid.UUID) -> bytes:
    return runtime.current().crypto.sealer.seal(source_id, table="roster_source", column="source", row=entity_id)


def unseal_source(sealed: bytes, entity_id: uuid.UUID) -> str:
    return runtime.current().crypto.sealer.open(sealed, table="roster_source", column="source", row=entity_id)


@dataclass(frozen=True)
class Invited:
    """A code for the operator to hand on: the guardian's name and phone, and the code."""

    guardian: str
    name: str
    phone: str
    code: str
    expires_at: dt.datetime


@dataclass
class Outcome:
    run_id: uuid.UUID | None
    problems: list[Problem]
    #: "created.student" → 12, ...
    counts: Counter[str] = field(default_factory=Counter)
    refused_schools: list[str] = field(default_factory=list)
    #: Guardians invited by this process (codes go to ``on_invited``).
    invited: int = 0
    resumed: bool = False

    @property
    def written(self) -> bool:
        return self.run_id is not None


# --------------------------------------------------------------------------
# The run.


@dataclass
class Prepared:
    """A roster checked and resolved, ready to import school by school."""

    roster: Roster
    places: _Places
    everyone: _Everyone
    #: The schools to import, in order (those with problems left out).
    schools: list[str]
    refused: list[str]
    #: Nothing may be imported (a problem with a whole file, or with a school when the operator
    #: did not choose to import the valid schools only).
    blocked: bool


async def prepare(roster: Roster, *, valid_schools_only: bool, districts: frozenset[uuid.UUID] | None = None
                  ) -> Prepared:
    """Validate the roster against itself and the database. ``districts``: the only districts
    whose schools the operator may import (a district administrator's); None for the whole city."""
    # Checking a city's rows takes tens of seconds: a thread, so the loop (deadlines) keeps its turn.
    await asyncio.to_thread(validate, roster, (await db.now()).date())
    return await resolve(roster, valid_schools_only=valid_schools_only, districts=districts)


async def resolve(roster: Roster, *, valid_schools_only: bool, districts: frozenset[uuid.UUID] | None,
                  using: BaseDBAsyncClient | None = None) -> Prepared:
    """A roster already validated against itself (``validate``), against the database: its schools,
    classes and districts found, the operator's scope checked."""
    places = await _Places.load(roster, using or connections.get("default"))
    places.check(roster, districts)
    fatal = any(p.everything for p in roster.problems)
    refused = {p.school for p in roster.problems if p.school is not None}
    # Half a million blind indexes: a second of CPU the loop (deadlines) must not stand still for.
    everyone = await asyncio.to_thread(_Everyone.of, roster)
    return Prepared(roster, places, everyone, [s for s in sorted(roster.schools) if s not in refused],
                    sorted(s for s in refused if s in roster.schools),
                    fatal or (bool(refused) and not valid_schools_only))


async def plan_all(prepared: Prepared) -> Counter[str]:
    """What importing would change (a dry run): every school planned, nothing written."""
    counts: Counter[str] = Counter()
    client = connections.get("default")
    for source_id in prepared.schools:
        plan = await _plan(prepared.roster, prepared.roster.schools[source_id], prepared.places, prepared.everyone,
                           client)
        counts.update(plan.counts())
    return counts


async def import_school(prepared: Prepared, source_id: str, run: RosterRun, actor_id: uuid.UUID | None,
                        tx: BaseDBAsyncClient) -> tuple[list[outbox.RedisOutbox], list[Invited]]:
    """One school, in the caller's transaction, with the run's checkpoint: the school is done
    exactly when its changes commit. Flush the returned entries after commit."""
    # Two imports at once would each plan against the other's half-written schools.
    await tx.execute_query("SELECT pg_advisory_xact_lock(hashtext('roster-import'))")
    plan = await _plan(prepared.roster, prepared.roster.schools[source_id], prepared.places, prepared.everyone, tx)
    entries, invited = await _apply(plan, prepared.roster, prepared.places, actor_id, tx)
    counts = Counter(run.counts)
    counts.update(plan.counts())
    run.counts = dict(counts)
    run.schools_done = [*run.schools_done, source_id]
    await tx.execute_query(
        "UPDATE roster_run SET schools_done = schools_done || $2::jsonb, counts = $3::jsonb WHERE id = $1",
        [run.id, json.dumps([source_id]), json.dumps(run.counts)])
    return entries, invited


async def finish(run: RosterRun, actor_id: uuid.UUID | None, tx: BaseDBAsyncClient) -> None:
    await RosterRun.filter(id=run.id).using_db(tx).update(status=RosterRunStatus.COMPLETED,
                                                         finished_at=await db.now(tx))
    await audit.record(AuditAction.IMPORT, actor_id=actor_id, subject_type="RosterRun", subject_id=run.id, using=tx)


async def run(roster: Roster, *, actor_id: uuid.UUID | None = None, dry_run: bool = False,
              valid_schools_only: bool = False, progress: Progress | None = None,
              after_school: Callable[[int], Awaitable[None]] | None = None,
              on_invited: Callable[[list[Invited]], object] | None = None) -> Outcome:
    """The whole import from the command line, one transaction per school. ``on_invited``: given
    each school's invitations once it has committed. ``after_school(n)``: called once the n-th school
    of this run has committed (the fault tests kill the process there)."""
    prepared = await prepare(roster, valid_schools_only=valid_schools_only)
    outcome = Outcome(None, roster.problems, refused_schools=prepared.refused)
    if prepared.blocked:
        return outcome
    if dry_run:
        outcome.counts = await plan_all(prepared)
        return outcome
    job, outcome.resumed = await _run_for(roster, actor_id, len(prepared.schools))
    outcome.run_id = job.id
    done = set(job.schools_done)
    report = progress or Progress("roster import", enabled=False)
    report.set(len(done), len(prepared.schools))
    for source_id in prepared.schools:
        if source_id in done:
            continue
        async with in_transaction() as tx:
            entries, invited = await import_school(prepared, source_id, job, actor_id, tx)
        outcome.invited += len({i.guardian for i in invited})
        if on_invited is not None:
            on_invited(invited)
        await outbox.flush(entries)
        report.advance()
        if after_school is not None:
            await after_school(report.done - len(done))
    report.close()
    async with in_transaction() as tx:
        await finish(job, actor_id, tx)
    outcome.counts = Counter(job.counts)
    return outcome


async def _run_for(roster: Roster, actor_id: uuid.UUID | None, schools: int) -> tuple[RosterRun, bool]:
    """The unfinished run of these very files, to resume, or a new one."""
    unfinished = await RosterRun.filter(direction="IMPORT", digest=roster.digest,
                                        status=RosterRunStatus.RUNNING).order_by("-started_at").first()
    if unfinished is not None:
        return unfinished, True
    return await RosterRun.create(direction="IMPORT", format=roster.format.upper(), digest=roster.digest,
                                  started_by_id=actor_id, schools_total=schools), False


# --------------------------------------------------------------------------
# Schools and classes: resolved once per run.


@dataclass
class _Places:
    districts: dict[str, uuid.UUID]
    #: school source id → (school id, its district id); absent for schools to create.
    schools: dict[str, tuple[uuid.UUID, uuid.UUID]]
    #: school id → its name, to tell a renamed school.
    school_names: dict[uuid.UUID, str]
    #: class source id → class id.
    classes: dict[str, uuid.UUID]
    #: (school id, class name) → class id, for classes made by hand.
    class_names: dict[tuple[uuid.UUID, str], uuid.UUID]

    @classmethod
    async def load(cls, roster: Roster, client: BaseDBAsyncClient) -> _Places:
        districts: dict[str, uuid.UUID] = {}
        for row in await client.execute_query_dict("SELECT id, code, name FROM district"):
            districts[row["code"]] = districts[row["name"]] = row["id"]
        linked = await _linked(RosterKind.SCHOOL, list(roster.schools), client)
        by_name = {row["name"]: (row["id"], row["district_id"]) for row in await client.execute_query_dict(
            "SELECT id, name, district_id FROM school WHERE name = ANY($1)",
            [[s.name for s in roster.schools.values()]])}
        names: dict[uuid.UUID, str] = {}
        district_of: dict[uuid.UUID, uuid.UUID] = {}
        for row in await client.execute_query_dict("SELECT id, name, district_id FROM school WHERE id = ANY($1)",
                                                   [list(linked.values())]):
            names[row["id"]], district_of[row["id"]] = row["name"], row["district_id"]
        schools = {}
        for source_id, record in roster.schools.items():
            if source_id in linked:
                schools[source_id] = (linked[source_id], district_of[linked[source_id]])
            elif record.name in by_name:
                schools[source_id] = by_name[record.name]
                names[by_name[record.name][0]] = record.name
        school_ids = [school_id for school_id, _ in schools.values()]
        class_names = {(row["school_id"], row["name"]): row["id"] for row in await client.execute_query_dict(
            "SELECT id, school_id, name FROM school_class WHERE school_id = ANY($1)", [school_ids])}
        classes = await _linked(RosterKind.CLASS, list(roster.classes), client)
        return cls(districts, schools, names, classes, class_names)

    def check(self, roster: Roster, districts: frozenset[uuid.UUID] | None) -> None:
        """What only the database can tell: a new school's district exists, and is one the operator
        may import into."""
        for record in roster.schools.values():
            known = self.schools.get(record.source_id)
            district = known[1] if known else self.districts.get(record.district or "")
            if district is None:
                roster.problem(record.origin, "parentSourcedId", "roster_unknown_district", school=record.source_id,
                               district=record.district or "")
            elif districts is not None and district not in districts:
                roster.problem(record.origin, "parentSourcedId", "roster_school_outside_scope",
                               school=record.source_id)


async def _linked(kind: RosterKind, source_ids: list[str], client: BaseDBAsyncClient) -> dict[str, uuid.UUID]:
    """source id → entity id, for the source ids already linked."""
    by_index = {source_index(kind, s): s for s in source_ids}
    rows = await client.execute_query_dict(
        "SELECT source_index, entity_id FROM roster_source WHERE kind = $1 AND source_index = ANY($2)",
        [kind.value, list(by_index)])
    return {by_index[row["source_index"]]: row["entity_id"] for row in rows}


_LINK = """
INSERT INTO roster_source (id, kind, source_index, source_sealed, entity_id)
SELECT id, $1, source_index, sealed, entity_id
  FROM unnest($2::uuid[], $3::text[], $4::bytea[], $5::uuid[]) AS t(id, source_index, sealed, entity_id)
    ON CONFLICT DO NOTHING
"""


async def _link(kind: RosterKind, pairs: dict[str, uuid.UUID], tx: BaseDBAsyncClient) -> None:
    """Remember each record's source id (source id → entity), for the next import and the export."""
    if not pairs:
        return
    sources = list(pairs)
    await tx.execute_query(_LINK, [kind.value, [new_id() for _ in sources],
                                   [source_index(kind, s) for s in sources],
                                   [_seal(s, pairs[s]) for s in sources], [pairs[s] for s in sources]])


@dataclass(frozen=True)
class _Everyone:
    """Every student the roster names, city-wide: a student missing from their school's file may
    have moved to another school in the same files, and is not withdrawn then."""

    sources: frozenset[str]
    numbers: frozenset[str]

    @classmethod
    def of(cls, roster: Roster) -> _Everyone:
        listed = [s for s in roster.students.values() if not s.withdrawn]
        return cls(frozenset(source_index(RosterKind.STUDENT, s.source_id) for s in listed),
                   frozenset(student_number_index(s.student_number) for s in listed))


# --------------------------------------------------------------------------
# One school's plan.


@dataclass
class _Plan:
    school: SchoolRecord
    school_id: uuid.UUID | None
    school_changes: dict[str, object]
    new_classes: list[str] = field(default_factory=list)
    class_links: dict[str, uuid.UUID] = field(default_factory=dict)
    new_students: list[StudentRecord] = field(default_factory=list)
    #: student id → its row's changes, moves (class in the school) and transfers (another school)
    student_changes: dict[uuid.UUID, dict[str, object]] = field(default_factory=dict)
    moves: dict[uuid.UUID, str] = field(default_factory=dict)
    transfers: dict[uuid.UUID, str] = field(default_factory=dict)
    rejoins: list[uuid.UUID] = field(default_factory=list)
    withdrawals: list[uuid.UUID] = field(default_factory=list)
    student_links: dict[str, uuid.UUID] = field(default_factory=dict)
    #: Students found by their 学籍号, not yet by their source id.
    unlinked_students: set[str] = field(default_factory=set)
    #: (student source id, guardian source id, relationship, primary) to link
    new_links: list[tuple[str, str, GuardianRelationship, bool]] = field(default_factory=list)
    link_changes: dict[uuid.UUID, dict[str, object]] = field(default_factory=dict)
    #: Links the file confirms for the first time (made by hand, or before links were marked).
    adopted_links: list[uuid.UUID] = field(default_factory=list)
    #: (link, guardian) the school's full roster no longer lists: ended.
    unlinks: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)
    #: guardians to invite: new accounts, or accounts never activated, newly linked
    to_invite: set[str] = field(default_factory=set)

    def counts(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        if self.school_id is None:
            counts["created.school"] += 1
        elif self.school_changes:
            counts["updated.school"] += 1
        counts["created.class"] += len(self.new_classes)
        counts["created.student"] += len(self.new_students)
        counts["updated.student"] += len(self.student_changes)
        counts["moved.student"] += len(self.moves)
        counts["transferred.student"] += len(self.transfers)
        counts["rejoined.student"] += len(self.rejoins)
        counts["withdrawn.student"] += len(self.withdrawals)
        counts["linked.guardian"] += len(self.new_links)
        counts["unlinked.guardian"] += len(self.unlinks)
        counts["updated.guardianship"] += len(self.link_changes)
        counts["invited.guardian"] += len(self.to_invite)
        return +counts


_STUDENTS_NAMED = """
SELECT s.id, s.display_name, s.gender, s.birth_date, s.school_id, s.school_class_id, s.withdrawn_at,
       s.student_number_index, rs.source_index
  FROM student s LEFT JOIN roster_source rs ON rs.kind = 'STUDENT' AND rs.entity_id = s.id
 WHERE s.id IN (SELECT entity_id FROM roster_source WHERE kind = 'STUDENT' AND source_index = ANY($1)
                UNION ALL SELECT id FROM student WHERE student_number_index = ANY($2))
"""
_STUDENTS_OF_SCHOOL = f"""
SELECT s.id, s.student_number_index, rs.source_index
  FROM student s LEFT JOIN roster_source rs ON rs.kind = 'STUDENT' AND rs.entity_id = s.id
 WHERE s.school_id = $1 AND {on_roll("s")}
"""


async def _plan(roster: Roster, school: SchoolRecord, places: _Places, everyone: _Everyone,
                client: BaseDBAsyncClient) -> _Plan:
    known = places.schools.get(school.source_id)
    school_id = known[0] if known else None
    plan = _Plan(school, school_id, {})
    if school_id is not None and places.school_names.get(school_id) != school.name:
        plan.school_changes["name"] = school.name
    _plan_classes(plan, roster, places)
    students = roster.students_of(school.source_id)
    complete = school.source_id in roster.complete_schools
    await _plan_students(plan, students, complete, everyone, client)
    await _plan_guardians(plan, roster, students, complete, client)
    return plan


def _plan_classes(plan: _Plan, roster: Roster, places: _Places) -> None:
    for record in roster.classes_of(plan.school.source_id):
        class_id = places.classes.get(record.source_id)
        if class_id is None and plan.school_id is not None:
            class_id = places.class_names.get((plan.school_id, record.name))
        if class_id is None:
            plan.new_classes.append(record.source_id)
        else:
            plan.class_links[record.source_id] = class_id


async def _plan_students(plan: _Plan, students: list[StudentRecord], complete: bool, everyone: _Everyone,
                         client: BaseDBAsyncClient) -> None:
    by_source = {source_index(RosterKind.STUDENT, s.source_id): s for s in students}
    by_number = {student_number_index(s.student_number): s for s in students}
    rows = await client.execute_query_dict(_STUDENTS_NAMED, [list(by_source), list(by_number)])
    found: dict[str, dict] = {}
    for read in rows:
        record = by_source.get(read["source_index"] or "") or by_number.get(read["student_number_index"])
        if record is not None:
            found.setdefault(record.source_id, read)
    for record in students:
        row = found.get(record.source_id)
        if record.withdrawn:
            if row is not None and row["withdrawn_at"] is None and row["id"] not in plan.withdrawals:
                plan.withdrawals.append(row["id"])
            continue
        if row is None:
            plan.new_students.append(record)
            continue
        plan.student_links[record.source_id] = row["id"]
        if row["source_index"] != source_index(RosterKind.STUDENT, record.source_id):
            plan.unlinked_students.add(record.source_id)
        changes: dict[str, object] = {
            key: value for key, value in (("display_name", record.name), ("gender", record.gender),
                                          ("birth_date", record.birth_date)) if row[key] != value}
        if changes:
            plan.student_changes[row["id"]] = changes
        if row["withdrawn_at"] is not None:
            plan.rejoins.append(row["id"])
        target = plan.class_links.get(record.school_class or "")
        if plan.school_id is None or row["school_id"] != plan.school_id:
            plan.transfers[row["id"]] = record.school_class or ""
        elif target != row["school_class_id"]:
            plan.moves[row["id"]] = record.school_class or ""
    if plan.school_id is not None and complete:
        for row in await client.execute_query_dict(_STUDENTS_OF_SCHOOL, [plan.school_id]):
            absent = row["source_index"] not in everyone.sources and row["student_number_index"] not in everyone.numbers
            if absent and row["id"] not in plan.withdrawals:
                plan.withdrawals.append(row["id"])


async def _plan_guardians(plan: _Plan, roster: Roster, students: list[StudentRecord], complete: bool,
                          client: BaseDBAsyncClient) -> None:
    """Links to make, to change, to adopt and, where the file is the school's whole roster, to end:
    a link the roster made or confirmed and no longer lists (custody changes with the source) ends;
    one made by hand and never confirmed is left to the school."""
    wanted = {(s.source_id, g) for s in students if not s.withdrawn for g in s.guardians}
    guardians = {g for _, g in wanted}
    phones_of = {g: roster.guardians[g].phone for g in guardians}
    accounts = await accounts_of([p for p in phones_of.values() if p], using=client)
    linked_ids = [plan.student_links[s] for s in {s for s, _ in wanted} if s in plan.student_links]
    existing = {(row["student_id"], row["guardian_id"]): row for row in await client.execute_query_dict(
        "SELECT id, student_id, guardian_id, relationship, is_primary, from_roster FROM guardianship "
        "WHERE student_id = ANY($1)", [linked_ids])}
    listed: set[uuid.UUID] = set()
    for student in students:
        if student.withdrawn:
            continue
        for position, guardian in enumerate(dict.fromkeys(student.guardians)):
            relationship = student.relationships.get(guardian, GuardianRelationship.OTHER)
            account = accounts.get(phones_of[guardian] or "")
            student_id = plan.student_links.get(student.source_id)
            link = existing.get((student_id, account.id)) if account and student_id else None
            if link is None:
                plan.new_links.append((student.source_id, guardian, relationship, position == 0))
                if account is None or not account.active:
                    plan.to_invite.add(guardian)
                continue
            listed.add(link["id"])
            if not link["from_roster"]:
                plan.adopted_links.append(link["id"])
            changes: dict[str, object] = {key: value for key, value in (("relationship", relationship.value),
                                                       ("is_primary", position == 0)) if link[key] != value}
            if changes:
                plan.link_changes[link["id"]] = changes
    if complete:
        plan.unlinks = [(row["id"], row["guardian_id"]) for row in existing.values()
                        if row["from_roster"] and row["id"] not in listed]


# --------------------------------------------------------------------------
# Applying a plan, in the school's transaction.


async def _apply(plan: _Plan, roster: Roster, places: _Places, actor_id: uuid.UUID | None,
                 tx: BaseDBAsyncClient) -> tuple[list[outbox.RedisOutbox], list[Invited]]:
    """The plan written, in a few statements per kind of change whatever the school's size."""
    record = plan.school
    school_id = plan.school_id
    if school_id is None:
        assert record.stage is not None
        district_id = places.districts[record.district or ""]
        school = await School.create(district_id=district_id, name=record.name, stage=record.stage, using_db=tx)
        school_id = school.id
        places.schools[record.source_id] = (school_id, district_id)
    elif plan.school_changes:
        await School.filter(id=school_id).using_db(tx).update(**plan.school_changes)
    links: dict[RosterKind, dict[str, uuid.UUID]] = {RosterKind.SCHOOL: {record.source_id: school_id}}
    classes = dict(plan.class_links)
    for source_id in plan.new_classes:
        wanted = roster.classes[source_id]
        created = await SchoolClass.create(school_id=school_id, grade=wanted.grade, name=wanted.name, using_db=tx)
        classes[source_id] = created.id
    links[RosterKind.CLASS] = classes
    places.classes.update(classes)
    students = dict(plan.student_links)
    new = [NewStudent(classes[s.school_class or ""], school_id, s.name, s.gender, s.birth_date,  # type: ignore[arg-type]
                      s.student_number) for s in plan.new_students]  # validation: neither gender nor birth is None
    students.update(zip((s.source_id for s in plan.new_students), await new_students(new, using=tx), strict=True))
    links[RosterKind.STUDENT] = {s: students[s] for s in plan.unlinked_students | {r.source_id for r in
                                                                                   plan.new_students}}
    entries: list[outbox.RedisOutbox] = []
    for student_id, changes in plan.student_changes.items():
        await Student.filter(id=student_id).using_db(tx).update(**changes)
    for student_id, class_source in {**plan.moves, **plan.transfers}.items():
        _, wakeups = await move_student(student_id, to_class_id=classes[class_source], to_school_id=school_id,
                                        reason=TRANSFER_REASON, actor_id=actor_id, using=tx)
        entries += wakeups
    now = await db.now(tx)
    if plan.rejoins:
        await Student.filter(id__in=plan.rejoins).using_db(tx).update(withdrawn_at=None)
    if plan.withdrawals:
        await Student.filter(id__in=plan.withdrawals).using_db(tx).update(withdrawn_at=now)
        entries += await call_off_for_withdrawn(plan.withdrawals, tx)
    if plan.unlinks:
        await Guardianship.filter(id__in=[link for link, _ in plan.unlinks]).using_db(tx).delete()
        for guardian_id in {guardian for _, guardian in plan.unlinks}:
            entries += await principals.access_changed(guardian_id, using=tx)  # their children's districts
    if plan.adopted_links:
        await Guardianship.filter(id__in=plan.adopted_links).using_db(tx).update(from_roster=True)
    for link_id, changes in plan.link_changes.items():
        if changes.get("is_primary"):
            row = await Guardianship.get(id=link_id, using_db=tx)
            await Guardianship.filter(student_id=row.student_id, is_primary=True).using_db(tx).update(
                is_primary=False)
        await Guardianship.filter(id=link_id).using_db(tx).update(**changes)
    guardians = {g: roster.guardians[g] for _, g, _, _ in plan.new_links}
    accounts = await find_or_create_users({r.phone: r.name for r in guardians.values() if r.phone}, using=tx)
    account_of = {g: accounts[r.phone] for g, r in guardians.items() if r.phone}
    links[RosterKind.GUARDIAN] = {g: account.id for g, account in account_of.items()}
    invitations, more = await add_guardians([
        NewGuardian(students[student], account_of[guardian], relationship, primary, guardians[guardian].address,
                    from_roster=True)
        for student, guardian, relationship, primary in plan.new_links], actor_id=actor_id, using=tx)
    entries += more
    for kind, pairs in links.items():
        await _link(kind, pairs, tx)
    invited = [Invited(g, r.name, r.phone or "", invitations[account_of[g].id].code,
                       invitations[account_of[g].id].expires_at)
               for g, r in guardians.items() if account_of[g].id in invitations]
    return entries, invited
