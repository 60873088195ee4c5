"""The 静待花开 family-education column: episodes, and each person's progress through them."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.models import Model

from services.enums import ColumnEpisodeFormat, ColumnEpisodeStatus
from services.ids import new_id

if TYPE_CHECKING:
    from services.identity.models import User
    from services.organisation.models import District


class ColumnEpisode(Model):
    """A video, audio or article episode; its media are hosted elsewhere."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    title = fields.CharField(max_length=60)
    summary = fields.CharField(max_length=500)
    format = fields.CharEnumField(ColumnEpisodeFormat, max_length=8)
    series = fields.CharField(max_length=30, null=True)
    #: Names, a JSON list (0 to 5).
    topics: fields.JSONField[list[str]] = fields.JSONField(default=list)
    #: GradeBand values, a JSON list (1 to 4).
    grade_bands: fields.JSONField[list[str]] = fields.JSONField(default=list)
    duration_seconds = fields.IntField()
    media_url = fields.CharField(max_length=500)
    cover_image_url = fields.CharField(max_length=500, null=True)
    #: The district whose people it is for; None: the whole city.
    district: fields.ForeignKeyNullableRelation[District] = fields.ForeignKeyField(
        "coedu.District", related_name=False, null=True, on_delete=fields.RESTRICT)
    district_id: uuid.UUID | None
    status = fields.CharEnumField(ColumnEpisodeStatus, max_length=12, default=ColumnEpisodeStatus.DRAFT)
    #: Set the first time it is published, kept after.
    published_at = fields.DatetimeField(null=True)
    #: Search terms of title and summary (services.family_education.search), under a GIN index.
    search_terms: fields.JSONField[list[str]] = fields.JSONField(default=list)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    created_by_id: uuid.UUID | None
    created_at = fields.DatetimeField(db_default=Now())
    updated_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "column_episode"
        indexes = (("status", "published_at"), ("district_id", "status"))


class ColumnProgress(Model):
    """How far one person got through one episode: the furthest point, and when they finished."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    episode: fields.ForeignKeyRelation[ColumnEpisode] = fields.ForeignKeyField(
        "coedu.ColumnEpisode", related_name=False, on_delete=fields.CASCADE)
    episode_id: uuid.UUID
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    user_id: uuid.UUID
    position_seconds = fields.IntField()
    started_at = fields.DatetimeField(db_default=Now())
    finished_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "column_progress"
        unique_together = (("episode_id", "user_id"),)
        indexes = (("user_id", "updated_at"), ("started_at",), ("finished_at",))
