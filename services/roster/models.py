"""What links coedu's records to the city's student information system, and each sync run."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.models import Model

from services.enums import RosterFormat, RosterKind, RosterRunStatus
from services.ids import new_id

if TYPE_CHECKING:
    from services.identity.models import User


class RosterSource(Model):
    """The source id (OneRoster ``sourcedId``, or a 学籍号) a school, class, student or guardian
    has in the city's system. Found by a keyed digest, kept sealed: a source id may be a
    student number, and is personal data like one."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    kind = fields.CharEnumField(RosterKind, max_length=12)
    source_index = fields.CharField(max_length=64)
    source_sealed = fields.BinaryField()
    entity_id = fields.UUIDField()

    class Meta:
        table = "roster_source"
        unique_together = (("kind", "source_index"), ("kind", "entity_id"))


class RosterRun(Model):
    """One import or export: who ran it, on which file (its digest), what it changed.

    An import commits school by school; ``schools_done`` is its checkpoint, written in each
    school's transaction, so a run killed half-way resumes at the next school."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    direction = fields.CharField(max_length=8)  # IMPORT or EXPORT
    format = fields.CharEnumField(RosterFormat, max_length=12)
    digest = fields.CharField(max_length=64)
    status = fields.CharEnumField(RosterRunStatus, max_length=12, default=RosterRunStatus.RUNNING)
    started_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    started_by_id: uuid.UUID | None
    started_at = fields.DatetimeField(db_default=Now())
    finished_at = fields.DatetimeField(null=True)
    schools_total = fields.IntField(default=0)
    #: Source ids of the schools committed so far.
    schools_done: fields.JSONField[list[str]] = fields.JSONField(default=list)
    #: {"created.student": 12, ...}: what the run changed so far (a dry run: would change).
    counts: fields.JSONField[dict[str, int]] = fields.JSONField(default=dict)
    #: Imports started from the console: the file in the roster folder, and the operator's choices.
    file_name = fields.CharField(max_length=255, null=True)
    dry_run = fields.BooleanField(default=False)
    valid_schools_only = fields.BooleanField(default=False)
    #: The districts whose schools the operator may import (a district administrator's); null: the city.
    districts: fields.JSONField[list[str] | None] = fields.JSONField(null=True)
    #: [{"file", "row", "column", "key", "params"}]: what the check found.
    problems: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    #: Source ids of the schools left out for their problems.
    refused_schools: fields.JSONField[list[str]] = fields.JSONField(default=list)

    class Meta:
        table = "roster_run"
        indexes = (("digest", "status"),)
