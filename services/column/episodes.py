"""Publishing the 静待花开 column: creating, editing, publishing and unpublishing episodes.

Who may is services.access's ``may_edit_episode``; everything about an episode
is checked before anything is written, and each failure names its field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from tortoise.transactions import in_transaction

from services import access, db
from services.access import Principal
from services.column import queries
from services.column.models import ColumnEpisode
from services.enums import ColumnEpisodeStatus, GradeBand
from services.errors import Checks, UserErrors
from services.family_education.search import index_terms
from services.organisation.models import District

MAX_TOPICS, MAX_DURATION_SECONDS, MAX_URL = 5, 4 * 3600, 500

#: Left out of an edit: the field stays as it is (None is a value: it clears series or cover).
UNCHANGED: Any = object()


@dataclass
class EpisodeDraft:
    """What an episode says; on an edit, UNCHANGED where left out."""

    title: Any = UNCHANGED
    summary: Any = UNCHANGED
    format: Any = UNCHANGED
    series: Any = UNCHANGED
    topics: Any = UNCHANGED
    grade_bands: Any = UNCHANGED
    duration_seconds: Any = UNCHANGED
    media_url: Any = UNCHANGED
    cover_image_url: Any = UNCHANGED


def _https(checks: Checks, name: str, url: str | None, *, required: bool) -> str | None:
    if url is None:
        if required:
            checks.invalid(name, "required")
        return None
    parts = urlparse(url.strip())
    if len(url) > MAX_URL or parts.scheme != "https" or not parts.netloc or any(ord(c) < 32 for c in url):
        checks.invalid(name, "invalid_https_url", max=MAX_URL)
        return None
    return url.strip()


def _checked(checks: Checks, draft: EpisodeDraft, *, creating: bool) -> dict[str, Any]:
    """The draft's fields, cleaned; the errors go to ``checks``."""
    clean: dict[str, Any] = {}

    def given(value: Any) -> bool:
        return value is not UNCHANGED

    if creating or given(draft.title):
        clean["title"] = checks.text("title", draft.title, max_length=60)
    if creating or given(draft.summary):
        clean["summary"] = checks.text("summary", draft.summary, max_length=500)
    if given(draft.format):
        if draft.format is None:
            checks.invalid("format", "required")
        clean["format"] = draft.format
    if given(draft.series):
        clean["series"] = checks.text("series", draft.series, max_length=30, required=False)
    if creating or given(draft.topics):
        topics = draft.topics or []
        if draft.topics is None and not creating:
            checks.invalid("topics", "required")
        if len(topics) > MAX_TOPICS:
            checks.invalid("topics", "too_many_items", max=MAX_TOPICS)
        cleaned = [checks.text(f"topics[{i}]", t, max_length=12) for i, t in enumerate(topics[:MAX_TOPICS])]
        clean["topics"] = list(dict.fromkeys(t for t in cleaned if t))
    if creating or given(draft.grade_bands):
        bands = draft.grade_bands or []
        if not 1 <= len(set(bands)) <= len(GradeBand):
            checks.invalid("gradeBands", "out_of_range", min=1, max=len(GradeBand))
        clean["grade_bands"] = [b.value for b in GradeBand if b in bands]
    if creating or given(draft.duration_seconds):
        seconds = draft.duration_seconds
        if seconds is None or not 1 <= seconds <= MAX_DURATION_SECONDS:
            checks.invalid("durationSeconds", "out_of_range", min=1, max=MAX_DURATION_SECONDS)
        clean["duration_seconds"] = seconds
    if creating or given(draft.media_url):
        clean["media_url"] = _https(checks, "mediaUrl", draft.media_url, required=True)
    if given(draft.cover_image_url):
        clean["cover_image_url"] = _https(checks, "coverImageUrl", draft.cover_image_url, required=False)
    return clean


async def create(actor: Principal, draft: EpisodeDraft, *, district_id: uuid.UUID | None, names_district: bool,
                 publish: bool) -> ColumnEpisode:
    """A new episode, city-wide or (``district_id``) for one district; published at once or a draft."""
    checks = Checks()
    clean = _checked(checks, draft, creating=True)
    if names_district and (district_id is None or not await District.filter(id=district_id).exists()):
        raise UserErrors.not_found("districtId")
    access.require(access.may_edit_episode(actor, district_id if names_district else None))
    checks.raise_if_any()
    async with in_transaction() as tx:
        now = await db.now(tx)
        return await ColumnEpisode.create(
            **clean, district_id=district_id if names_district else None, created_by_id=actor.user_id,
            status=ColumnEpisodeStatus.PUBLISHED if publish else ColumnEpisodeStatus.DRAFT,
            published_at=now if publish else None, search_terms=index_terms(clean["title"], clean["summary"]),
            using_db=tx)


async def _editable(actor: Principal, episode_id: uuid.UUID | None) -> ColumnEpisode:
    """The episode, if the actor sees it (NOT_FOUND otherwise) and may edit it (FORBIDDEN)."""
    episode = await queries.visible_episode(actor, episode_id)
    if episode is None:
        raise UserErrors.not_found("episodeId")
    access.require(access.may_edit_episode(actor, episode.district_id))
    return episode


async def update(actor: Principal, episode_id: uuid.UUID | None, draft: EpisodeDraft) -> ColumnEpisode:
    """Fields left out stay; progress and counts stay whatever changes."""
    episode = await _editable(actor, episode_id)
    checks = Checks()
    clean = _checked(checks, draft, creating=False)
    checks.raise_if_any()
    if clean:
        title, summary = clean.get("title", episode.title), clean.get("summary", episode.summary)
        async with in_transaction() as tx:
            await ColumnEpisode.filter(id=episode.id).using_db(tx).update(
                **clean, search_terms=index_terms(title, summary), updated_at=await db.now(tx))
        await episode.refresh_from_db()
    return episode


async def set_published(actor: Principal, episode_id: uuid.UUID | None, published: bool) -> ColumnEpisode:
    """Publish (publishedAt the first time only) or unpublish; already so: no change."""
    episode = await _editable(actor, episode_id)
    wanted = ColumnEpisodeStatus.PUBLISHED if published else ColumnEpisodeStatus.UNPUBLISHED
    if episode.status == wanted or (not published and episode.status == ColumnEpisodeStatus.DRAFT):
        return episode
    async with in_transaction() as tx:
        now = await db.now(tx)
        await ColumnEpisode.filter(id=episode.id).using_db(tx).update(
            status=wanted, updated_at=now, published_at=episode.published_at or (now if published else None))
    await episode.refresh_from_db()
    return episode
