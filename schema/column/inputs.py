"""Inputs of the 静待花开 column's operations."""

from __future__ import annotations

import strawberry

from schema.column.enums import ColumnEpisodeFormat, ColumnEpisodeStatus, GradeBand


@strawberry.input(description="Narrows the list of episodes.")
class ColumnEpisodeFilter:
    search: str | None = strawberry.field(
        default=None, description="Words of the title or summary; Chinese text is matched by its characters.")
    series: str | None = strawberry.field(default=None, description="Only this series (its exact name).")
    topic: str | None = strawberry.field(default=None, description="Only episodes with this topic (exact name).")
    format: ColumnEpisodeFormat | None = strawberry.field(default=None, description="Only this format.")
    for_student_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only episodes suiting this child's grade (a child the viewer may see).")
    status: ColumnEpisodeStatus | None = strawberry.field(
        default=None, description="For administrators; everyone else gets published episodes whatever they ask.")
    district_id: strawberry.ID | None = strawberry.field(default=None, description="Only this district's episodes.")


@strawberry.input(description="A new episode.")
class CreateColumnEpisodeInput:
    title: str = strawberry.field(description="1 to 60 characters.")
    summary: str = strawberry.field(description="1 to 500 characters.")
    format: ColumnEpisodeFormat = strawberry.field(description="Video, audio or article.")
    series: str | None = strawberry.field(default=None, description="1 to 30 characters.")
    topics: list[str] = strawberry.field(description="0 to 5 topics of 1 to 12 characters.")
    grade_bands: list[GradeBand] = strawberry.field(description="1 to 4 grade bands.")
    duration_seconds: int = strawberry.field(description="1 to 14400 (an article: its reading time).")
    media_url: str = strawberry.field(description="https, at most 500 characters.")
    cover_image_url: str | None = strawberry.field(default=None, description="https, at most 500 characters.")
    district_id: strawberry.ID | None = strawberry.field(
        default=None, description="The district it is for (left out: city-wide, for city administrators only); a "
                                  "district administrator gives their own.")
    publish: bool = strawberry.field(description="true: published at once; false: a draft.")


@strawberry.input(description="Changes to an episode: fields left out stay; an explicit null clears series or "
                              "coverImageUrl.")
class UpdateColumnEpisodeInput:
    episode_id: strawberry.ID = strawberry.field(description="The episode.")
    title: str | None = strawberry.field(default=strawberry.UNSET, description="1 to 60 characters.")
    summary: str | None = strawberry.field(default=strawberry.UNSET, description="1 to 500 characters.")
    format: ColumnEpisodeFormat | None = strawberry.field(default=strawberry.UNSET, description="The format.")
    series: str | None = strawberry.field(default=strawberry.UNSET, description="1 to 30 characters; null clears.")
    topics: list[str] | None = strawberry.field(default=strawberry.UNSET, description="0 to 5 topics.")
    grade_bands: list[GradeBand] | None = strawberry.field(default=strawberry.UNSET, description="1 to 4 bands.")
    duration_seconds: int | None = strawberry.field(default=strawberry.UNSET, description="1 to 14400.")
    media_url: str | None = strawberry.field(default=strawberry.UNSET, description="https.")
    cover_image_url: str | None = strawberry.field(default=strawberry.UNSET, description="https; null clears.")


@strawberry.input(description="Publish or unpublish an episode.")
class SetColumnEpisodePublishedInput:
    episode_id: strawberry.ID = strawberry.field(description="The episode.")
    published: bool = strawberry.field(description="true publishes, false unpublishes.")


@strawberry.input(description="Progress through an episode, sent now and then while playing and when it stops.")
class RecordColumnEpisodeProgressInput:
    episode_id: strawberry.ID = strawberry.field(description="The episode.")
    position_seconds: int = strawberry.field(description="0 to the episode's duration; lower than stored: no change.")
    finished: bool | None = strawberry.field(
        default=None, description="true marks it finished; false or left out never unfinishes it.")
