"""Types of the 静待花开 family-education column."""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry

from schema.column.enums import ColumnEpisodeFormat, ColumnEpisodeStatus, GradeBand
from schema.common.dataloaders import referenced
from schema.common.node import Node, gid, node_loader
from schema.context import Context
from schema.organisation.types import District
from services import enums
from services.column import models as rows
from services.column.queries import Reach

Info = strawberry.Info[Context, None]


@strawberry.type(description="How far one person got through an episode.")
class ColumnEpisodeProgress:
    position_seconds: int = strawberry.field(description="The furthest point reached, in seconds; only goes up.")
    finished_at: dt.datetime | None = strawberry.field(description="Timestamp it was finished, set once.")
    updated_at: dt.datetime = strawberry.field(description="Timestamp the position last moved on.")
    _row: strawberry.Private[rows.ColumnProgress]

    @classmethod
    def of(cls, row: rows.ColumnProgress) -> ColumnEpisodeProgress:
        return cls(position_seconds=row.position_seconds, finished_at=row.finished_at, updated_at=row.updated_at,
                   _row=row)

    @strawberry.field(description="The episode.")
    async def episode(self, info: Info) -> ColumnEpisode | None:
        found = await info.context.loaders.visible_episode.load(self._row.episode_id)
        return ColumnEpisode.of(found) if found else None


@strawberry.type(description="Views and completions of an episode.")
class ColumnReach:
    views: int = strawberry.field(description="People who recorded progress on it.")
    completions: int = strawberry.field(description="People who finished it.")


@strawberry.type(description="One district's views and completions of an episode.")
class ColumnDistrictReach:
    views: int = strawberry.field(description="Its people who recorded progress on it.")
    completions: int = strawberry.field(description="Its people who finished it.")
    _district_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The district.")
    async def district(self, info: Info) -> District:
        return District.of(await referenced(info.context.loaders.district.load(self._district_id)))


@strawberry.type(description="An episode's counts since publishing; a person counts once in all and once in each "
                             "district they belong to.")
class ColumnEpisodeStats:
    views: int = strawberry.field(description="People who recorded progress on it.")
    completions: int = strawberry.field(description="People who finished it.")
    by_district: list[ColumnDistrictReach] = strawberry.field(description="Per district.")


@strawberry.type(description="An episode of 静待花开, the city's family-education column: a video, audio programme "
                             "or article hosted elsewhere.")
class ColumnEpisode(Node):
    title: str = strawberry.field(description="Title.")
    summary: str = strawberry.field(description="What it is about.")
    format: ColumnEpisodeFormat = strawberry.field(description="Video, audio or article.")
    series: str | None = strawberry.field(description="The series it belongs to, if any.")
    topics: list[str] = strawberry.field(description="Its topics.")
    grade_bands: list[GradeBand] = strawberry.field(description="The grades it suits.")
    duration_seconds: int = strawberry.field(description="Its length (an article: its reading time).")
    media_url: str = strawberry.field(description="Where its video, audio or text is.")
    cover_image_url: str | None = strawberry.field(description="Its cover picture.")
    status: ColumnEpisodeStatus = strawberry.field(description="Where it stands.")
    published_at: dt.datetime | None = strawberry.field(description="Timestamp it was first published.")
    updated_at: dt.datetime = strawberry.field(description="Timestamp it was last changed.")
    _row: strawberry.Private[rows.ColumnEpisode]

    @classmethod
    def of(cls, row: rows.ColumnEpisode) -> ColumnEpisode:
        return cls(id=gid("ColumnEpisode", row.id), title=row.title, summary=row.summary, format=row.format,
                   series=row.series, topics=list(row.topics),
                   grade_bands=[enums.GradeBand(b) for b in row.grade_bands],
                   duration_seconds=row.duration_seconds, media_url=row.media_url,
                   cover_image_url=row.cover_image_url, status=row.status, published_at=row.published_at,
                   updated_at=row.updated_at, _row=row)

    @strawberry.field(description="The district it is for; null: the whole city.")
    async def district(self, info: Info) -> District | None:
        district_id = self._row.district_id
        return District.of(await referenced(info.context.loaders.district.load(district_id))) if district_id else None

    @strawberry.field(description="Where the viewer got to: null before they start.")
    async def viewer_progress(self, info: Info) -> ColumnEpisodeProgress | None:
        if info.context.principal is None:
            return None
        found = await info.context.loaders.episode_progress.load(self._row.id)
        return ColumnEpisodeProgress.of(found) if found else None

    @strawberry.field(description="Views and completions since publishing, for the administrators who may edit it "
                                  "(a district administrator: their district's only).")
    async def stats(self, info: Info) -> ColumnEpisodeStats | None:
        if info.context.principal is None:
            return None
        found = await info.context.loaders.episode_stats.load(self._row)
        if found is None:
            return None
        return ColumnEpisodeStats(views=found.total.views, completions=found.total.completions,
                                  by_district=[_district_reach(d, r) for d, r in found.by_district])


def _district_reach(district_id: uuid.UUID, reach: Reach) -> ColumnDistrictReach:
    return ColumnDistrictReach(views=reach.views, completions=reach.completions, _district_id=district_id)


@strawberry.type(description="A series or topic, with how many published episodes it has.")
class ColumnFacet:
    name: str = strawberry.field(description="Its name.")
    episode_count: int = strawberry.field(description="Published episodes the viewer sees.")


@strawberry.type(description="The browse screen's filter chips.")
class ColumnFacets:
    series: list[ColumnFacet] = strawberry.field(description="Series, by name.")
    topics: list[ColumnFacet] = strawberry.field(description="Topics, by name.")


@node_loader("ColumnEpisode")
async def _episode(context: Context, row_id: uuid.UUID) -> ColumnEpisode | None:
    row = await context.loaders.visible_episode.load(row_id)
    return ColumnEpisode.of(row) if row else None
