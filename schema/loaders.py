"""Per-request DataLoaders, one per access pattern, made lazily on first use.

Never module-level: a loader caches for its lifetime, and what one viewer may
see must not leak to the next request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, TypeGuard, TypeVar

from graphql.pyutils import AwaitableOrValue
from strawberry.dataloader import DataLoader

from services.access import Principal
from services.column import queries as column
from services.family_education import consultations, courses, instructors, sessions, waitlists
from services.home_visits import queries as home_visits
from services.notices import queries as notices
from services.organisation import home_addresses
from services.organisation import queries as organisation
from services.wellbeing import queries as wellbeing

T = TypeVar("T")
R = TypeVar("R")


def then(pending: Awaitable[T], make: Callable[[T], R]) -> AwaitableOrValue[R]:
    """``make`` of what a loader answers, for a resolver that is not a coroutine: at once when the
    loader already holds the row (a list of forty students of one class asks for the same class,
    school and district forty times), else when it arrives. An async resolver would pay for a
    coroutine and a task per item even then, and on a nested list that is most of the work.

    Its resolvers say so: they return ``AwaitableOrValue[X]`` and name the GraphQL type
    (``graphql_type=X``), which strawberry would otherwise read from the return annotation."""
    if _holds_value(pending):
        return make(pending.result())
    return _later(pending, make)


def _holds_value(pending: object) -> TypeGuard[asyncio.Future[Any]]:
    """A loader's future that already has its row (not pending, failed or cancelled)."""
    return isinstance(pending, asyncio.Future) and pending.done() and not pending.cancelled() \
        and pending.exception() is None


async def _later(pending: Awaitable[T], make: Callable[[T], R]) -> R:
    return make(await pending)


def _per_year(load: Callable[[Sequence[Any], int], Awaitable[list[R]]]
              ) -> Callable[[Sequence[tuple[Any, int]]], Awaitable[list[R]]]:
    """A loader of (item, year) keys over a function of (items, year): one call per year asked for."""
    async def load_keys(keys: Sequence[tuple[Any, int]]) -> list[R]:
        answers: list[Any] = [None] * len(keys)
        for year in dict.fromkeys(year for _, year in keys):
            places = [index for index, (_, of_year) in enumerate(keys) if of_year == year]
            for index, answer in zip(places, await load([keys[i][0] for i in places], year), strict=True):
                answers[index] = answer
        return answers

    return load_keys


class Loaders:
    def __init__(self, principal: Principal | None, primed: dict[str, dict[Any, Any]] | None = None) -> None:
        self._principal = principal
        self._made: dict[str, DataLoader[Any, Any]] = {}
        #: Rows already read (the live feed reads once for every subscriber), handed to a loader when it
        #: is first used; most events are rendered once and shared, so most loaders never are.
        self._primed = primed or {}

    def forget(self) -> None:
        """Drop what was loaded: a mutation just changed rows, and what it returns must show them."""
        self._made.clear()

    def prime_children(self, children: Sequence[organisation.Child]) -> None:
        """Hand the rows read with a guardian's children to the loaders that would fetch them again."""
        for child in children:
            self.school_class.prime(child.school_class.id, child.school_class)
            self.prime_school(child.school, child.district)
            if child.homeroom_teacher is not None:
                self.user.prime(child.homeroom_teacher.id, child.homeroom_teacher)

    def prime_school(self, school: Any, district: Any) -> None:
        self.school.prime(school.id, school)
        self.district.prime(district.id, district)

    def holds_school(self, school_id: Any) -> bool:
        """Whether a school and its district are loaded already (they resolve at once)."""
        school = self.school.cache_map.get(school_id)
        return _holds_value(school) and _holds_value(self.district.cache_map.get(school.result().district_id))

    async def school_and_district(self, school_id: Any) -> None:
        """Have a school and its district loaded, in one statement if neither is."""
        if self.school.cache_map.get(school_id) is not None:
            school = await self.school.load(school_id)
            await self.district.load(school.district_id)
            return
        for school, district in await organisation.schools_with_districts([school_id]):
            self.prime_school(school, district)

    def _get(self, name: str, load: Callable[[Sequence[Any]], Awaitable[list[Any]]],
             key: Callable[[Any], Any] | None = None) -> DataLoader[Any, Any]:
        loader = self._made.get(name)
        if loader is None:
            loader = self._made[name] = DataLoader(load_fn=load, cache_key_fn=key)  # type: ignore[arg-type]
            if name in self._primed:
                loader.prime_many(self._primed[name])
        return loader

    def _viewer(self, load: Callable[..., Awaitable[list[Any]]]) -> Callable[[Sequence[Any]], Awaitable[list[Any]]]:
        assert self._principal is not None, "visibility loaders need a signed-in viewer"
        return partial(load, self._principal)

    # rows reached from an object the viewer already sees
    @property
    def district(self) -> DataLoader[Any, Any]:
        return self._get("district", organisation.districts_by_id)

    @property
    def school(self) -> DataLoader[Any, Any]:
        return self._get("school", organisation.schools_by_id)

    @property
    def station(self) -> DataLoader[Any, Any]:
        return self._get("station", organisation.stations_by_id)

    @property
    def school_class(self) -> DataLoader[Any, Any]:
        return self._get("school_class", organisation.classes_by_id)

    @property
    def user(self) -> DataLoader[Any, Any]:
        return self._get("user", organisation.users_by_id)

    @property
    def student(self) -> DataLoader[Any, Any]:
        return self._get("student", organisation.students_by_id)

    @property
    def visible_student_count(self) -> DataLoader[Any, Any]:
        return self._get("visible_student_count", self._viewer(organisation.visible_student_counts))

    @property
    def teachers_by_class(self) -> DataLoader[Any, Any]:
        return self._get("teachers_by_class", organisation.teachers_of_classes)

    @property
    def guardianships_by_student(self) -> DataLoader[Any, Any]:
        return self._get("guardianships_by_student", organisation.guardianships_of_students)

    @property
    def guardian_address(self) -> DataLoader[Any, Any]:
        """By guardianship id: whether its guardian has a home address on file, and the address for
        whom may read it (each read audited)."""
        return self._get("guardian_address", self._viewer(home_addresses.of_guardianships))

    @property
    def visible_grants_by_user(self) -> DataLoader[Any, Any]:
        return self._get("visible_grants_by_user", self._viewer(organisation.visible_grants_of_users))

    @property
    def transfers_by_student(self) -> DataLoader[Any, Any]:
        return self._get("transfers_by_student", organisation.transfers_of_students)

    # filtered by what the viewer may see
    @property
    def visible_student(self) -> DataLoader[Any, Any]:
        return self._get("visible_student", self._viewer(organisation.visible_students_by_id))

    @property
    def visible_class(self) -> DataLoader[Any, Any]:
        return self._get("visible_class", self._visible_classes)

    async def _visible_classes(self, ids: Sequence[Any]) -> list[Any]:
        rows = await self._viewer(organisation.visible_classes_by_id)(ids)
        for row in rows:
            if row is not None:  # fetched with the class: its school and district resolve at once
                self.prime_school(row.school, row.school.district)
        return rows

    @property
    def visible_user(self) -> DataLoader[Any, Any]:
        return self._get("visible_user", self._viewer(organisation.visible_users_by_id))

    @property
    def visible_students_by_class(self) -> DataLoader[Any, Any]:
        return self._get("visible_students_by_class", self._viewer(organisation.visible_students_of_classes))

    # wellbeing (keyed by alert id; the value carries the viewer's tier)
    @property
    def visible_alert(self) -> DataLoader[Any, Any]:
        return self._get("visible_alert", self._viewer(wellbeing.visible_alerts_by_id))

    @property
    def alert_details(self) -> DataLoader[Any, Any]:
        return self._get("alert_details", self._viewer(wellbeing.read_details), key=_row_key)

    @property
    def alert_timeline(self) -> DataLoader[Any, Any]:
        return self._get("alert_timeline", self._viewer(wellbeing.read_timelines), key=_row_key)

    @property
    def alert_shared(self) -> DataLoader[Any, Any]:
        return self._get("alert_shared", wellbeing.shared_flags)

    @property
    def watch_level_by_student(self) -> DataLoader[Any, Any]:
        return self._get("watch_level_by_student", wellbeing.watch_levels)

    @property
    def handoffs_by_student(self) -> DataLoader[Any, Any]:
        return self._get("handoffs_by_student", wellbeing.handoffs)

    # home visits
    @property
    def visible_visit(self) -> DataLoader[Any, Any]:
        return self._get("visible_visit", self._viewer(home_visits.visible_visits_by_id))

    @property
    def visit_address(self) -> DataLoader[Any, Any]:
        return self._get("visit_address", self._viewer(home_visits.read_addresses), key=_row_key)

    @property
    def visit_slots(self) -> DataLoader[Any, Any]:
        return self._get("visit_slots", home_visits.current_slots, key=_id_key)

    @property
    def visit_companions(self) -> DataLoader[Any, Any]:
        return self._get("visit_companions", home_visits.companions_of)

    @property
    def visit_transitions(self) -> DataLoader[Any, Any]:
        return self._get("visit_transitions", home_visits.transitions_of)

    @property
    def upcoming_visits_by_student(self) -> DataLoader[Any, Any]:
        return self._get("upcoming_visits_by_student", self._viewer(home_visits.upcoming_of_students))

    @property
    def last_visit_by_student(self) -> DataLoader[Any, Any]:
        return self._get("last_visit_by_student", self._viewer(home_visits.last_of_students))

    # family education
    @property
    def course(self) -> DataLoader[Any, Any]:
        return self._get("course", courses.courses_by_id)

    @property
    def lesson(self) -> DataLoader[Any, Any]:
        return self._get("lesson", courses.lessons_by_id)

    @property
    def lessons_by_course(self) -> DataLoader[Any, Any]:
        return self._get("lessons_by_course", courses.lessons_of)

    @property
    def lesson_totals(self) -> DataLoader[Any, Any]:
        return self._get("lesson_totals", courses.lesson_totals)

    @property
    def course_rating(self) -> DataLoader[Any, Any]:
        return self._get("course_rating", courses.ratings_of)

    @property
    def offering_schools(self) -> DataLoader[Any, Any]:
        return self._get("offering_schools", courses.offering_schools)

    @property
    def viewer_enrollment_by_course(self) -> DataLoader[Any, Any]:
        return self._get("viewer_enrollment_by_course", self._viewer(courses.enrollments_of_viewer))

    @property
    def visible_enrollment(self) -> DataLoader[Any, Any]:
        return self._get("visible_enrollment", self._viewer(courses.visible_enrollments_by_id))

    @property
    def completed_lessons(self) -> DataLoader[Any, Any]:
        return self._get("completed_lessons", courses.completed_lessons)

    @property
    def session(self) -> DataLoader[Any, Any]:
        return self._get("session", sessions.sessions_by_id)

    @property
    def upcoming_sessions_by_course(self) -> DataLoader[Any, Any]:
        return self._get("upcoming_sessions_by_course", sessions.upcoming_of_courses)

    @property
    def session_manageable(self) -> DataLoader[Any, Any]:
        return self._get("session_manageable", self._viewer(sessions.manageable), key=_id_key)

    # school notices
    @property
    def visible_notice(self) -> DataLoader[Any, Any]:
        return self._get("visible_notice", self._viewer(notices.visible_notices_by_id))

    @property
    def notice_children(self) -> DataLoader[Any, Any]:
        """By (notice id, guardian id): the children a notice came to the guardian through."""
        return self._get("notice_children", notices.children_of)

    @property
    def notice_stats(self) -> DataLoader[Any, Any]:
        return self._get("notice_stats", self._viewer(notices.stats), key=lambda seen: seen.row.id)

    # the 静待花开 column
    @property
    def visible_episode(self) -> DataLoader[Any, Any]:
        return self._get("visible_episode", self._viewer(column.visible_episodes_by_id))

    @property
    def episode_progress(self) -> DataLoader[Any, Any]:
        return self._get("episode_progress", self._viewer(column.viewer_progress))

    @property
    def episode_stats(self) -> DataLoader[Any, Any]:
        return self._get("episode_stats", self._viewer(column.stats), key=_id_key)

    @property
    def school_training(self) -> DataLoader[Any, Any]:
        """By (school, year): its teachers' guidance training, for who may see it; a page of schools in one
        statement."""
        return self._get("school_training", _per_year(self._viewer(courses.school_training_for)),
                         key=lambda key: (key[0].id, key[1]))

    @property
    def waitlist_length(self) -> DataLoader[Any, Any]:
        return self._get("waitlist_length", waitlists.lengths)

    @property
    def waitlist_position(self) -> DataLoader[Any, Any]:
        return self._get("waitlist_position", waitlists.positions, key=_id_key)

    @property
    def viewer_waitlist_entry(self) -> DataLoader[Any, Any]:
        return self._get("viewer_waitlist_entry", self._viewer(waitlists.viewer_entries))

    @property
    def viewer_registration(self) -> DataLoader[Any, Any]:
        return self._get("viewer_registration", self._viewer(waitlists.viewer_registrations))

    @property
    def visible_waitlist_entry(self) -> DataLoader[Any, Any]:
        return self._get("visible_waitlist_entry", self._viewer(waitlists.entries_by_id))

    @property
    def registrations_by_session(self) -> DataLoader[Any, Any]:
        return self._get("registrations_by_session", sessions.registrations_of)

    @property
    def visible_registration(self) -> DataLoader[Any, Any]:
        return self._get("visible_registration", self._viewer(sessions.visible_registrations_by_id))

    @property
    def instructor(self) -> DataLoader[Any, Any]:
        return self._get("instructor", instructors.instructors_by_id)

    @property
    def instructor_by_user(self) -> DataLoader[Any, Any]:
        return self._get("instructor_by_user", instructors.instructors_of_users)

    @property
    def stations_by_instructor(self) -> DataLoader[Any, Any]:
        return self._get("stations_by_instructor", instructors.stations_of)

    @property
    def instructors_by_station(self) -> DataLoader[Any, Any]:
        return self._get("instructors_by_station", instructors.instructors_at)

    @property
    def availability_by_instructor(self) -> DataLoader[Any, Any]:
        return self._get("availability_by_instructor", instructors.availability_of)

    @property
    def instructor_rating(self) -> DataLoader[Any, Any]:
        return self._get("instructor_rating", consultations.instructor_ratings)

    @property
    def visible_consultation(self) -> DataLoader[Any, Any]:
        return self._get("visible_consultation", self._viewer(consultations.visible_consultations_by_id))


def _row_key(visible: Any) -> Any:
    """Values that pair a row with the viewer's tier (VisibleAlert, VisibleVisit) are keyed by the row."""
    return visible.row.id


def _id_key(row: Any) -> Any:
    return row.id
