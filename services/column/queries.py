"""Reading the 静待花开 column: browsing and search, facets, recommendations, progress and the counts.

Every read starts from services.access's ``visible_episodes`` for the viewer,
whose districts (of their roles and of their children's schools) are read
once per request.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise import connections
from tortoise.expressions import RawSQL
from tortoise.transactions import in_transaction

from services import access, db, paging
from services.access import Principal
from services.column.models import ColumnEpisode, ColumnProgress
from services.enums import ColumnEpisodeFormat, ColumnEpisodeStatus, GradeBand
from services.errors import Checks, UserErrors
from services.family_education.search import query_terms
from services.ids import new_id
from services.organisation.models import SchoolClass, Student, on_roll

#: Grades 1-3, 4-6, 7-9 and 10-12.
BANDS = (GradeBand.LOWER_PRIMARY, GradeBand.UPPER_PRIMARY, GradeBand.JUNIOR_SECONDARY, GradeBand.SENIOR_SECONDARY)


def band_of(grade: int) -> GradeBand:
    return BANDS[(min(max(grade, 1), 12) - 1) // 3]


async def _family_districts(viewer: Principal) -> frozenset[uuid.UUID]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT district_id FROM guardian_district WHERE guardian_id = $1", [viewer.user_id])
    return frozenset(r["district_id"] for r in rows)


async def belongs_to(viewer: Principal) -> frozenset[uuid.UUID]:
    return access.districts_belonged_to(viewer, await _family_districts(viewer))


async def _visible(viewer: Principal):
    return ColumnEpisode.filter(access.visible_episodes(viewer, await belongs_to(viewer)))


async def visible_episode(viewer: Principal, episode_id: uuid.UUID | None) -> ColumnEpisode | None:
    return await (await _visible(viewer)).get_or_none(id=episode_id) if episode_id else None


async def visible_episodes_by_id(viewer: Principal, ids: Sequence[uuid.UUID]) -> list[ColumnEpisode | None]:
    found = {e.id: e for e in await (await _visible(viewer)).filter(id__in=list(ids))}
    return [found.get(i) for i in ids]


@dataclass(frozen=True)
class EpisodeFilter:
    search: str | None = None
    series: str | None = None
    topic: str | None = None
    format: ColumnEpisodeFormat | None = None
    for_student_id: uuid.UUID | None = None
    status: ColumnEpisodeStatus | None = None
    district_id: uuid.UUID | None = None
    impossible: bool = False


#: Newest published first; drafts by when they were made.
_LISTED = RawSQL("coalesce(published_at, created_at)")


async def _grade_band_of_child(viewer: Principal, student_id: uuid.UUID) -> GradeBand | None:
    student = await Student.filter(access.visible_students(viewer)).get_or_none(id=student_id)
    if student is None:
        return None
    return band_of((await SchoolClass.get(id=student.school_class_id)).grade)


async def episodes(viewer: Principal, wanted: EpisodeFilter, *, first: int, after: paging.Position | None
                   ) -> paging.Page[ColumnEpisode]:
    """Published episodes the viewer sees (administrators: those they may edit too, by status)."""
    query = await _visible(viewer)
    if wanted.impossible:
        query = query.filter(access.NOTHING)
    if not (viewer.is_city_admin or viewer.admin_districts):
        query = query.filter(status=ColumnEpisodeStatus.PUBLISHED)  # whatever they ask
    elif wanted.status is not None:
        query = query.filter(status=wanted.status)
    if wanted.search and wanted.search.strip():
        terms = query_terms(wanted.search[:50])
        if terms:
            query = query.filter(search_terms__contains=terms)
    if wanted.series is not None:
        query = query.filter(series=wanted.series)
    if wanted.topic is not None:
        query = query.filter(topics__contains=[wanted.topic])
    if wanted.format is not None:
        query = query.filter(format=wanted.format)
    if wanted.district_id is not None:
        query = query.filter(district_id=wanted.district_id)
    if wanted.for_student_id is not None:
        band = await _grade_band_of_child(viewer, wanted.for_student_id)
        query = query.filter(access.NOTHING) if band is None else query.filter(grade_bands__contains=[band.value])
    return await paging.fetch(query.annotate(listed=_LISTED), order=("-listed", "-id"), first=first, after=after)


@dataclass(frozen=True)
class Facets:
    series: list[tuple[str, int]]
    topics: list[tuple[str, int]]


async def facets(viewer: Principal) -> Facets:
    """Series and topics of the published episodes the viewer sees, by name, with their counts."""
    rows = await (await _visible(viewer)).filter(status=ColumnEpisodeStatus.PUBLISHED).values("series", "topics")
    series = Counter(r["series"] for r in rows if r["series"])
    topics = Counter(t for r in rows for t in r["topics"])
    return Facets(sorted(series.items()), sorted(topics.items()))


async def _children_bands(viewer: Principal) -> list[str]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT DISTINCT c.grade FROM guardianship g JOIN student s ON s.id = g.student_id "
        f"JOIN school_class c ON c.id = s.school_class_id WHERE g.guardian_id = $1 AND {on_roll('s')}",
        [viewer.user_id])
    return sorted({band_of(r["grade"]).value for r in rows})


async def recommended(viewer: Principal, *, first: int, after: paging.Position | None) -> paging.Page[ColumnEpisode]:
    """Published episodes suiting a grade of the viewer's children: not started (newest published
    first), then started and not finished (most recently watched first); finished ones left out."""
    bands = await _children_bands(viewer)
    if not bands:
        return paging.fixed([], key=lambda e: (0,), first=first, after=after)
    suiting = (await _visible(viewer)).filter(status=ColumnEpisodeStatus.PUBLISHED)
    matching = [e for e in await suiting if set(e.grade_bands) & set(bands)]
    progress = {p.episode_id: p for p in await ColumnProgress.filter(
        user_id=viewer.user_id, episode_id__in=[e.id for e in matching])}
    left = [e for e in matching if not (e.id in progress and progress[e.id].finished_at is not None)]

    def place(episode: ColumnEpisode) -> paging.Position:
        seen = progress.get(episode.id)
        if seen is None:  # not started: newest published first
            return (0, -(episode.published_at or episode.created_at).timestamp(), str(episode.id))
        return (1, -seen.updated_at.timestamp(), str(episode.id))

    return paging.fixed(left, key=place, first=first, after=after)


# --------------------------------------------------------------------------
# Progress.


_RECORD = """
INSERT INTO column_progress AS p (id, episode_id, user_id, position_seconds, started_at, finished_at, updated_at)
VALUES ($1, $2, $3, $4::integer, now(), CASE WHEN $5::boolean OR $4::integer >= $6::integer THEN now() END, now())
ON CONFLICT (episode_id, user_id) DO UPDATE
   SET position_seconds = greatest(p.position_seconds, excluded.position_seconds),
       finished_at = coalesce(p.finished_at, excluded.finished_at),
       updated_at = CASE WHEN excluded.position_seconds > p.position_seconds
                           OR (p.finished_at IS NULL AND excluded.finished_at IS NOT NULL)
                         THEN now() ELSE p.updated_at END
RETURNING id
"""


async def record_progress(viewer: Principal, episode_id: uuid.UUID | None, position_seconds: int,
                          finished: bool) -> ColumnProgress:
    """The furthest point reached, only ever forward; finished once (asked, or at the end)."""
    episode = await visible_episode(viewer, episode_id)
    if episode is None or episode.status != ColumnEpisodeStatus.PUBLISHED:
        raise UserErrors.not_found("episodeId")
    checks = Checks()
    if not 0 <= position_seconds <= episode.duration_seconds:
        checks.invalid("positionSeconds", "out_of_range", min=0, max=episode.duration_seconds)
    checks.raise_if_any()
    async with in_transaction() as tx:
        await tx.execute_query(_RECORD, [new_id(), episode.id, viewer.user_id, position_seconds, finished,
                                         episode.duration_seconds])
        return await ColumnProgress.get(episode_id=episode.id, user_id=viewer.user_id, using_db=tx)


async def viewer_progress(viewer: Principal, episode_ids: Sequence[uuid.UUID]) -> list[ColumnProgress | None]:
    found = {p.episode_id: p for p in await ColumnProgress.filter(
        user_id=viewer.user_id, episode_id__in=list(episode_ids))}
    return [found.get(i) for i in episode_ids]


async def history(viewer: Principal, *, finished_only: bool, first: int, after: paging.Position | None
                  ) -> paging.Page[ColumnProgress]:
    """What the viewer watched or read, most recent first (finished: by when); episodes since
    unpublished left out."""
    query = ColumnProgress.filter(access.own_rows(viewer), episode__status=ColumnEpisodeStatus.PUBLISHED)
    if finished_only:
        query = query.filter(finished_at__isnull=False)
        order = ("-finished_at", "-id")
    else:
        order = ("-updated_at", "-id")
    return await paging.fetch(query, order=order, first=first, after=after)


# --------------------------------------------------------------------------
# Counts: a view is a person who recorded progress, a completion one who finished, each once per
# episode; a person counts once in the city's figures and once in each district they belong to.


@dataclass(frozen=True)
class Reach:
    views: int
    completions: int


@dataclass(frozen=True)
class EpisodeStats:
    total: Reach
    by_district: list[tuple[uuid.UUID, Reach]]


# Who belongs to which district: guardians through their children's schools, staff through their roles.
BELONGING = """
    SELECT guardian_id AS user_id, district_id FROM guardian_district
    UNION
    SELECT r.user_id, coalesce(s.district_id, st.district_id, r.district_id)
      FROM role_assignment r LEFT JOIN school s ON s.id = r.school_id
      LEFT JOIN service_station st ON st.id = r.station_id
     WHERE coalesce(s.district_id, st.district_id, r.district_id) IS NOT NULL
"""

_STATS = f"""
WITH people AS (
    SELECT episode_id, user_id, finished_at FROM column_progress WHERE episode_id = ANY($1::uuid[])
), belonging AS ({BELONGING})
SELECT p.episode_id, NULL::uuid AS district_id, count(*) AS views, count(p.finished_at) AS completions
  FROM people p GROUP BY p.episode_id
UNION ALL
SELECT p.episode_id, b.district_id, count(*), count(p.finished_at)
  FROM people p JOIN belonging b ON b.user_id = p.user_id
 WHERE $2::uuid IS NULL OR b.district_id = $2
 GROUP BY p.episode_id, b.district_id
"""


async def stats(viewer: Principal, episodes: Sequence[ColumnEpisode]) -> list[EpisodeStats | None]:
    """Views and completions since publishing, in all and per district, for who may edit each
    episode; a district administrator sees their district's figures only (as the total, and its row)."""
    editable = [e for e in episodes if access.may_edit_episode(viewer, e.district_id)]
    if not editable:
        return [None] * len(episodes)
    only = None if viewer.is_city_admin else next(iter(viewer.admin_districts))
    rows = await db.report_rows(_STATS, [[e.id for e in editable], only])
    totals: dict[uuid.UUID, Reach] = {}
    districts: dict[uuid.UUID, list[tuple[uuid.UUID, Reach]]] = {}
    for row in rows:
        reach = Reach(row["views"], row["completions"])
        if row["district_id"] is None:
            totals[row["episode_id"]] = reach
        else:
            districts.setdefault(row["episode_id"], []).append((row["district_id"], reach))
    answers: dict[uuid.UUID, EpisodeStats] = {}
    for episode in editable:
        rows_of = districts.get(episode.id, [])
        total = totals.get(episode.id, Reach(0, 0)) if only is None else (rows_of[0][1] if rows_of else Reach(0, 0))
        answers[episode.id] = EpisodeStats(total, rows_of)
    return [answers.get(e.id) for e in episodes]


# The dashboard's figure: progress begun or finished in the year. A district's people are looked up by
# the district (guardian_district's key, the roles' scopes), not found in the city's whole belonging.
YEAR_REACH = """
SELECT count(*) FILTER (WHERE started_at >= $2 AND started_at < $3) AS views,
       count(*) FILTER (WHERE finished_at >= $2 AND finished_at < $3) AS completions
  FROM column_progress p
 WHERE (p.started_at >= $2 AND p.started_at < $3 OR p.finished_at >= $2 AND p.finished_at < $3)
   AND ($1::uuid IS NULL
        OR p.user_id IN (SELECT guardian_id FROM guardian_district WHERE district_id = $1)
        OR p.user_id IN (SELECT r.user_id FROM role_assignment r
                           LEFT JOIN school s ON s.id = r.school_id
                           LEFT JOIN service_station st ON st.id = r.station_id
                          WHERE coalesce(s.district_id, st.district_id, r.district_id) = $1))
"""
