"""Root fields of the 静待花开 column: thin wrappers that decode ids and call one service function."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from schema.column import inputs
from schema.column.types import ColumnEpisode, ColumnEpisodeProgress, ColumnFacet, ColumnFacets
from schema.common.connection import After, Connection, First, connection, page_window
from schema.common.errors import UserError
from schema.common.ids import decode_id
from schema.common.mutations import run, user_errors_field
from schema.context import Context
from services.column import episodes, queries

Info = strawberry.Info[Context, None]


@strawberry.type(description="Result of `createColumnEpisode`.")
class CreateColumnEpisodePayload:
    episode: ColumnEpisode | None = strawberry.field(default=None, description="The new episode.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `updateColumnEpisode`.")
class UpdateColumnEpisodePayload:
    episode: ColumnEpisode | None = strawberry.field(default=None, description="The episode as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `setColumnEpisodePublished`.")
class SetColumnEpisodePublishedPayload:
    episode: ColumnEpisode | None = strawberry.field(default=None, description="The episode as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `recordColumnEpisodeProgress`.")
class RecordColumnEpisodeProgressPayload:
    progress: ColumnEpisodeProgress | None = strawberry.field(
        default=None, description="The viewer's progress as it is now.")
    user_errors: list[UserError] = user_errors_field()


def episode_filter(wanted: inputs.ColumnEpisodeFilter | None) -> queries.EpisodeFilter:
    if wanted is None:
        return queries.EpisodeFilter()
    student_id = decode_id(wanted.for_student_id, "Student")
    district_id = decode_id(wanted.district_id, "District")
    return queries.EpisodeFilter(
        search=wanted.search, series=wanted.series, topic=wanted.topic, format=wanted.format,
        for_student_id=student_id, status=wanted.status, district_id=district_id,
        impossible=(wanted.for_student_id is not None and student_id is None)
        or (wanted.district_id is not None and district_id is None))


def _given(value: Any) -> Any:
    return episodes.UNCHANGED if value is strawberry.UNSET else value


@strawberry.type
class ColumnQueries:
    @strawberry.field(description="静待花开 episodes the viewer sees, newest published first (administrators: "
                                  "also those they may edit, by `status`).")
    async def column_episodes(
        self, info: Info, first: First, after: After = None,
        filter: Annotated[inputs.ColumnEpisodeFilter | None,
                          strawberry.argument(description="Narrows the list.")] = None,
    ) -> Connection[ColumnEpisode]:
        size, position = page_window(first, after, info.context.language)
        page = await queries.episodes(info.context.viewer, episode_filter(filter), first=size, after=position)
        return connection(page, ColumnEpisode.of)

    @strawberry.field(description="The series and topics of the published episodes the viewer sees, with counts.")
    async def column_facets(self, info: Info) -> ColumnFacets:
        found = await queries.facets(info.context.viewer)
        return ColumnFacets(series=[ColumnFacet(name=n, episode_count=c) for n, c in found.series],
                            topics=[ColumnFacet(name=n, episode_count=c) for n, c in found.topics])


@strawberry.type
class ColumnMutations:
    @strawberry.mutation(description="A new episode, city-wide (city administrators) or for one district; published "
                                     "at once or kept as a draft.")
    async def create_column_episode(self, info: Info, input: inputs.CreateColumnEpisodeInput
                                    ) -> CreateColumnEpisodePayload:
        draft = episodes.EpisodeDraft(
            title=input.title, summary=input.summary, format=input.format, series=input.series, topics=input.topics,
            grade_bands=input.grade_bands, duration_seconds=input.duration_seconds, media_url=input.media_url,
            cover_image_url=input.cover_image_url)

        async def action() -> Any:
            created = await episodes.create(
                info.context.viewer, draft, district_id=decode_id(input.district_id, "District"),
                names_district=input.district_id is not None, publish=input.publish)
            return CreateColumnEpisodePayload(episode=ColumnEpisode.of(created))

        return await run(info, CreateColumnEpisodePayload, action)

    @strawberry.mutation(description="Edit an episode: fields left out stay, an explicit null clears series or "
                                     "coverImageUrl. Progress and counts stay.")
    async def update_column_episode(self, info: Info, input: inputs.UpdateColumnEpisodeInput
                                    ) -> UpdateColumnEpisodePayload:
        draft = episodes.EpisodeDraft(
            title=_given(input.title), summary=_given(input.summary), format=_given(input.format),
            series=_given(input.series), topics=_given(input.topics), grade_bands=_given(input.grade_bands),
            duration_seconds=_given(input.duration_seconds), media_url=_given(input.media_url),
            cover_image_url=_given(input.cover_image_url))

        async def action() -> Any:
            edited = await episodes.update(info.context.viewer, decode_id(input.episode_id, "ColumnEpisode"), draft)
            return UpdateColumnEpisodePayload(episode=ColumnEpisode.of(edited))

        return await run(info, UpdateColumnEpisodePayload, action)

    @strawberry.mutation(description="Publish (publishedAt is set the first time and kept) or unpublish (families no "
                                     "longer see it; progress and counts are kept). Already so: no change.")
    async def set_column_episode_published(self, info: Info, input: inputs.SetColumnEpisodePublishedInput
                                           ) -> SetColumnEpisodePublishedPayload:
        async def action() -> Any:
            changed = await episodes.set_published(info.context.viewer,
                                                   decode_id(input.episode_id, "ColumnEpisode"), input.published)
            return SetColumnEpisodePublishedPayload(episode=ColumnEpisode.of(changed))

        return await run(info, SetColumnEpisodePublishedPayload, action)

    @strawberry.mutation(description="Record progress: the furthest point only ever moves forward, and finished is "
                                     "set once (asked for, or at the end). Late or repeated calls are harmless.")
    async def record_column_episode_progress(self, info: Info, input: inputs.RecordColumnEpisodeProgressInput
                                             ) -> RecordColumnEpisodeProgressPayload:
        async def action() -> Any:
            progress = await queries.record_progress(
                info.context.viewer, decode_id(input.episode_id, "ColumnEpisode"), input.position_seconds,
                bool(input.finished))
            return RecordColumnEpisodeProgressPayload(progress=ColumnEpisodeProgress.of(progress))

        return await run(info, RecordColumnEpisodeProgressPayload, action)
