"""Districts, schools, classes, students, guardians, people and their roles."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql.pyutils import AwaitableOrValue

from schema.common.connection import After, Connection, First, connection, page_window
from schema.common.dataloaders import referenced, then
from schema.common.lookahead import selects
from schema.common.node import Node, gid, node_loader
from schema.context import Context
from schema.organisation.enums import Gender, GuardianRelationship, Role, SchoolStage
from services import access, paging
from services.access import Principal, RoleGrant
from services.family_education import stations
from services.home_visits import calendar
from services.identity.accounts import accepted_notice_version
from services.identity.models import User as UserRow
from services.identity.models import UserName
from services.notifications import service as notifications
from services.organisation import home_addresses, models, queries
from services.wellbeing import queries as wellbeing_queries
from services.wellbeing.queries import shares_for_guardians

if TYPE_CHECKING:
    from schema.column.types import ColumnEpisode, ColumnEpisodeProgress
    from schema.family_education.inputs import CourseSessionFilter, EnrollmentFilter
    from schema.family_education.types import (
        CourseSessionWaitlistEntry,
        Enrollment,
        Instructor,
        SchoolTeacherTraining,
        SessionRegistration,
        TeacherTraining,
    )
    from schema.home_visits.inputs import HomeVisitFilter
    from schema.home_visits.types import HomeVisit
    from schema.notices.inputs import NoticeFilter
    from schema.notices.types import Notice
    from schema.notifications.types import Notification
    from schema.wellbeing.types import StudentWellbeing, WellbeingShare
    from services.home_visits.queries import VisitFilter

Info = strawberry.Info[Context, None]


def _viewer_is(info: Info, user_id: uuid.UUID) -> bool:
    return access.is_self(info.context.principal, user_id)


@strawberry.type(description="One of the city's districts, banners and counties.")
class District(Node):
    name: str = strawberry.field(description="Name of the district, in Chinese.")
    code: str = strawberry.field(description="Administrative division code of the district.")

    @classmethod
    def of(cls, row: models.District) -> District:
        return cls(id=gid("District", row.id), name=row.name, code=row.code)


@strawberry.type(description="A school of the city, possibly a family-education pilot school.")
class School(Node):
    name: str = strawberry.field(description="Name of the school.")
    stage: SchoolStage = strawberry.field(description="Stage of schooling the school teaches.")
    is_family_education_pilot: bool = strawberry.field(
        description="Indicates the school is one of the family-education pilot schools (only they offer courses)."
    )
    address: str | None = strawberry.field(description="Postal address of the school.")
    _row: strawberry.Private[models.School]

    @classmethod
    def of(cls, row: models.School) -> School:
        return cls(
            id=gid("School", row.id), name=row.name, stage=row.stage,
            is_family_education_pilot=row.is_family_education_pilot, address=row.address, _row=row,
        )

    @strawberry.field(description="District the school is in.", graphql_type=District)
    def district(self, info: Info) -> AwaitableOrValue[District]:
        return then(referenced(info.context.loaders.district.load(self._row.district_id)), District.of)

    @strawberry.field(description="Number of students enrolled; only for staff of the school and its administrators.")
    async def student_count(self, info: Info) -> int | None:
        if info.context.principal is None:
            return None
        return await info.context.loaders.visible_student_count.load(self._row.id)

    @strawberry.field(description="Its teachers' family-education guidance training in a year; for the school's "
                                  "administrators and those above them.")
    async def teacher_training(
        self, info: Info, year: Annotated[int, strawberry.argument(description="Calendar year (Asia/Shanghai).")],
    ) -> Annotated[SchoolTeacherTraining, strawberry.lazy("schema.family_education.types")] | None:
        from schema.family_education.types import SchoolTeacherTraining as Figures

        if info.context.principal is None:
            return None
        found = await info.context.loaders.school_training.load((self._row, year))
        if found is None:
            return None
        return Figures(teachers=found.teachers, trained_teachers=found.trained_teachers,
                       credit_hours=found.credit_hours)


@strawberry.type(description="A point on the map (WGS-84).")
class GeoPoint:
    latitude: float = strawberry.field(description="Degrees north.")
    longitude: float = strawberry.field(description="Degrees east.")


@strawberry.type(description="When a place is open on one weekday, in local time.")
class OpeningHours:
    weekday: int = strawberry.field(description="ISO weekday: 1 = Monday … 7 = Sunday.")
    opens_at: str = strawberry.field(description="Local time it opens, HH:MM.")
    closes_at: str = strawberry.field(description="Local time it closes, HH:MM.")


@strawberry.type(description="A community service station for family education.")
class ServiceStation(Node):
    name: str = strawberry.field(description="Name of the station.")
    community: str = strawberry.field(description="Community (社区) it serves.")
    address: str = strawberry.field(description="Where it is.")
    phone: str | None = strawberry.field(description="The station's public telephone.")
    services: list[str] = strawberry.field(description="What it offers families.")
    _row: strawberry.Private[models.ServiceStation]

    @classmethod
    def of(cls, row: models.ServiceStation) -> ServiceStation:
        return cls(id=gid("ServiceStation", row.id), name=row.name, community=row.community, address=row.address,
                   phone=row.phone, services=list(row.services or ()), _row=row)

    @strawberry.field(description="District the station serves.")
    async def district(self, info: Info) -> District:
        return District.of(await referenced(info.context.loaders.district.load(self._row.district_id)))

    @strawberry.field(description="Where it is on the map.")
    def location(self) -> GeoPoint | None:
        if self._row.latitude is None or self._row.longitude is None:
            return None
        return GeoPoint(latitude=self._row.latitude, longitude=self._row.longitude)

    @strawberry.field(description="Opening hours per weekday, in Asia/Shanghai.")
    def opening_hours(self) -> list[OpeningHours]:
        return [OpeningHours(weekday=h["weekday"], opens_at=h["opensAt"], closes_at=h["closesAt"])
                for h in self._row.opening_hours or ()]

    @strawberry.field(description="Indicates the station is open now, by its opening hours in Asia/Shanghai.")
    def is_open_now(self) -> bool:
        return stations.is_open(self._row, dt.datetime.now(dt.UTC))

    @strawberry.field(description="Certified instructors on duty at the station.")
    async def instructors(
        self, info: Info
    ) -> list[Annotated[Instructor, strawberry.lazy("schema.family_education.types")]]:
        from schema.family_education.types import Instructor as Guide

        return [Guide.of(row) for row in await info.context.loaders.instructors_by_station.load(self._row.id)]


@strawberry.type(name="RoleAssignment", description="A role a person holds, and the scope it holds in.")
class RoleAssignmentType:
    role: Role = strawberry.field(description="The role.")
    _grant: strawberry.Private[RoleGrant]

    @strawberry.field(description="School the role holds in (teachers, school counsellors, school administrators).")
    async def school(self, info: Info) -> School | None:
        if self._grant.school_id is None:
            return None
        return School.of(await referenced(info.context.loaders.school.load(self._grant.school_id)))

    @strawberry.field(description="District the role holds in (district counsellors and administrators).")
    async def district(self, info: Info) -> District | None:
        if self._grant.district_id is None:
            return None
        return District.of(await referenced(info.context.loaders.district.load(self._grant.district_id)))

    @strawberry.field(description="Service station the role holds in (station staff).")
    async def station(self, info: Info) -> ServiceStation | None:
        if self._grant.station_id is None:
            return None
        return ServiceStation.of(await referenced(info.context.loaders.station.load(self._grant.station_id)))


@dataclasses.dataclass(frozen=True)
class _Unread:
    """A user whose row has not been read: only the id is known."""

    id: uuid.UUID


@strawberry.type(
    description="A person with an account: guardian, teacher, counsellor, instructor, staff or administrator."
)
class User(Node):
    display_name: str = strawberry.field(description="Name shown to others.")
    _row: strawberry.Private[UserRow | _Unread]

    @classmethod
    def of(cls, row: UserRow | UserName) -> User:
        """A person from their row, or from their name alone (the rest of the row is read when a field
        needs it, as for ``of_viewer``)."""
        return cls(id=gid("User", row.id), display_name=row.display_name,
                   _row=row if isinstance(row, UserRow) else _Unread(row.id))

    @classmethod
    def of_viewer(cls, principal: access.Principal) -> User:
        """The signed-in person as their principal knows them: their row (its password hash and sealed
        phone among the rest) is read only for a field that needs more than the id and the name. A
        name is never changed today; a change that may must announce itself as an access change
        (principals.access_changed), or the principals kept in memory would show the old one."""
        return cls(id=gid("User", principal.user_id), display_name=principal.display_name,
                   _row=_Unread(principal.user_id))

    async def _read(self, info: Info) -> UserRow:
        if isinstance(self._row, UserRow):
            return self._row
        return await referenced(info.context.loaders.user.load(self._row.id))

    @strawberry.field(description="Mobile number with the middle digits hidden; for the person, their "
                                  "administrators and the staff of their children's classes.")
    async def phone_masked(self, info: Info) -> str | None:
        if _viewer_is(info, self._row.id):
            return (await self._read(info)).phone_masked
        if info.context.principal is None or await info.context.loaders.visible_user.load(self._row.id) is None:
            return None
        return (await self._read(info)).phone_masked

    @strawberry.field(description="Roles the person holds; others see only the roles in their own scope.")
    async def roles(self, info: Info) -> list[RoleAssignmentType]:
        if info.context.principal is None:
            return []
        grants = await info.context.loaders.visible_grants_by_user.load(self._row.id)
        return [RoleAssignmentType(role=g.role, _grant=g) for g in grants]

    @strawberry.field(description="For the signed-in person: how many notifications are unread.")
    async def unread_notification_count(self, info: Info) -> int | None:
        if not _viewer_is(info, self._row.id):
            return None
        return await notifications.unread_count(self._row.id)

    @strawberry.field(description="For the signed-in person: their inbox, newest first.")
    async def notifications(
        self, info: Info, first: First = 20, after: After = None,
        unread_only: Annotated[bool | None, strawberry.argument(description="Only unread ones.")] = None,
    ) -> Connection[Annotated[Notification, strawberry.lazy("schema.notifications.types")]] | None:
        from schema.notifications.types import Notification as Item

        if not _viewer_is(info, self._row.id):
            return None
        size, position = page_window(first, after, info.context.language)
        page = await notifications.inbox(info.context.viewer, unread_only=bool(unread_only), first=size,
                                         after=position)
        language = info.context.language
        return connection(page, lambda row: Item.of(row, language))

    @strawberry.field(description="For the signed-in teacher: the secret address of their home-visit calendar "
                                  "(iCalendar) to subscribe to on their phone; `resetHomeVisitCalendarUrl` revokes it.")
    async def home_visit_calendar_url(self, info: Info) -> str | None:
        if not _viewer_is(info, self._row.id):
            return None
        return await calendar.feed_url(info.context.viewer)

    @strawberry.field(description="For the signed-in person: version of the privacy notice they accepted, if any.")
    async def accepted_privacy_notice_version(self, info: Info) -> str | None:
        if not _viewer_is(info, self._row.id):
            return None
        return await accepted_notice_version(self._row.id)

    @strawberry.field(description="For the signed-in guardian: their household address, if on file. Every read "
                                  "is audited.")
    async def home_address(self, info: Info) -> HomeAddress | None:
        if not _viewer_is(info, self._row.id):
            return None
        return HomeAddress.of(await home_addresses.own(info.context.viewer))

    @strawberry.field(description="For the signed-in teacher: classes they are homeroom teacher of or teach.")
    async def classes(self, info: Info) -> list[SchoolClass]:
        if not _viewer_is(info, self._row.id):
            return []
        return [SchoolClass.of(row) for row in await queries.classes_taught_by(info.context.viewer)]

    @strawberry.field(description="For the signed-in guardian: their children, in every school.")
    async def children(self, info: Info) -> list[Student]:
        from services.home_visits import queries as visits

        if not _viewer_is(info, self._row.id):
            return []
        loaders = info.context.loaders
        if selects(info, "homeVisits"):
            # The home screen: the children's upcoming visits read beside the children, not after them
            # (read for nothing when only other visits are asked for).
            children, upcoming = await asyncio.gather(queries.children_of(info.context.viewer),
                                                      visits.upcoming_of_own_children(info.context.viewer))
            loaders.prime_upcoming_visits([child.student.id for child in children], upcoming)
        else:
            children = await queries.children_of(info.context.viewer)
        loaders.prime_children(children)
        return [Student.of(child.student) for child in children]

    @strawberry.field(description="For the signed-in instructor: their certification, stations and availability.")
    async def instructor_profile(
        self, info: Info
    ) -> Annotated[Instructor, strawberry.lazy("schema.family_education.types")] | None:
        from schema.family_education.types import Instructor as Guide

        if not _viewer_is(info, self._row.id):
            return None
        found = await info.context.loaders.instructor_by_user.load(self._row.id)
        return Guide.of(found) if found else None

    @strawberry.field(description="For the signed-in person: their course enrolments (a parent's family courses, "
                                  "a teacher's guidance training), latest first.")
    async def enrollments(
        self, info: Info, first: First = 10, after: After = None,
        filter: Annotated[
            Annotated[EnrollmentFilter, strawberry.lazy("schema.family_education.inputs")] | None,
            strawberry.argument(description="Narrows the list; left out, every enrolment."),
        ] = None,
    ) -> Connection[Annotated[Enrollment, strawberry.lazy("schema.family_education.types")]] | None:
        from schema.family_education.types import Enrollment as Item
        from services.family_education import courses

        if not _viewer_is(info, self._row.id):
            return None
        size, position = page_window(first, after, info.context.language)
        page = await courses.my_enrollments(info.context.viewer, first=size, after=position,
                                            audience=filter.audience if filter else None)
        info.context.loaders.prime_enrolled(page.items)
        return connection(page, lambda enrolled: Item.of(enrolled.enrollment))

    @strawberry.field(description="For the signed-in guardian: notices awaiting their confirmation (the badge of "
                                  "the 待确认 tab).")
    async def unconfirmed_notice_count(self, info: Info) -> int | None:
        from services.notices import queries as notices

        if not _viewer_is(info, self._row.id):
            return None
        return await notices.unconfirmed_count(info.context.viewer)

    @strawberry.field(description="For the signed-in guardian: the school notices they received, newest sent first.")
    async def notices(
        self, info: Info, first: First = 20, after: After = None,
        filter: Annotated[
            Annotated[NoticeFilter, strawberry.lazy("schema.notices.inputs")] | None,
            strawberry.argument(description="Narrows the list."),
        ] = None,
    ) -> Connection[Annotated[Notice, strawberry.lazy("schema.notices.types")]] | None:
        from schema.common.ids import decode_id
        from schema.notices.types import Notice as Item
        from services.notices import queries as notices

        if not _viewer_is(info, self._row.id):
            return None
        size, position = page_window(first, after, info.context.language)
        student_id = decode_id(filter.student_id, "Student") if filter and filter.student_id else None
        page = await notices.received(
            info.context.viewer, unconfirmed_only=bool(filter and filter.unconfirmed_only), student_id=student_id,
            impossible=bool(filter and filter.student_id and student_id is None), first=size, after=position)
        return connection(page, Item.of)

    @strawberry.field(description="For the signed-in sender: the notices they sent or scheduled, newest first "
                                  "(scheduled ones by their time).")
    async def sent_notices(
        self, info: Info, first: First = 20, after: After = None,
    ) -> Connection[Annotated[Notice, strawberry.lazy("schema.notices.types")]] | None:
        from schema.notices.types import Notice as Item
        from services.notices import queries as notices

        if not _viewer_is(info, self._row.id):
            return None
        size, position = page_window(first, after, info.context.language)
        return connection(await notices.sent_by(info.context.viewer, first=size, after=position), Item.of)

    @strawberry.field(description="For the signed-in person: published 静待花开 episodes suiting a grade of their "
                                  "children, those not started first (newest published first), then those started "
                                  "and not finished (most recently watched first).")
    async def recommended_column_episodes(
        self, info: Info, first: First = 10, after: After = None,
    ) -> Connection[Annotated[ColumnEpisode, strawberry.lazy("schema.column.types")]] | None:
        from schema.column.types import ColumnEpisode as Item
        from services.column import queries as column

        if not _viewer_is(info, self._row.id):
            return None
        size, position = page_window(first, after, info.context.language)
        return connection(await column.recommended(info.context.viewer, first=size, after=position), Item.of)

    @strawberry.field(description="For the signed-in person: the 静待花开 episodes they watched or read, most recent "
                                  "first (episodes since unpublished left out).")
    async def column_history(
        self, info: Info, first: First = 10, after: After = None,
        finished_only: Annotated[bool | None, strawberry.argument(
            description="Only finished ones, most recently finished first.")] = None,
    ) -> Connection[Annotated[ColumnEpisodeProgress, strawberry.lazy("schema.column.types")]] | None:
        from schema.column.types import ColumnEpisodeProgress as Item
        from services.column import queries as column

        if not _viewer_is(info, self._row.id):
            return None
        size, position = page_window(first, after, info.context.language)
        page = await column.history(info.context.viewer, finished_only=bool(finished_only), first=size,
                                    after=position)
        return connection(page, Item.of)

    @strawberry.field(description="For the signed-in person: the TEACHER courses they completed and the credit hours "
                                  "earned, in a year (Asia/Shanghai) or, year left out, in all.")
    async def teacher_training(
        self, info: Info,
        year: Annotated[int | None, strawberry.argument(description="Calendar year; left out, all years.")] = None,
    ) -> Annotated[TeacherTraining, strawberry.lazy("schema.family_education.types")] | None:
        from schema.family_education.types import TeacherTraining as Figures
        from services.family_education import courses

        if not _viewer_is(info, self._row.id):
            return None
        found = await courses.own_training(info.context.viewer, year)
        return Figures(courses_completed=found.courses_completed, credit_hours=found.credit_hours)

    @strawberry.field(description="For the signed-in parent: their seats in course sessions, soonest first; "
                                  "`upcoming` for the live ones still to come.")
    async def course_session_registrations(
        self, info: Info, first: First = 10, after: After = None,
        filter: Annotated[
            Annotated[CourseSessionFilter, strawberry.lazy("schema.family_education.inputs")] | None,
            strawberry.argument(description="Narrows the list."),
        ] = None,
    ) -> Connection[Annotated[SessionRegistration, strawberry.lazy("schema.family_education.types")]] | None:
        from schema.family_education.types import SessionRegistration as Item
        from services.family_education import sessions

        if not _viewer_is(info, self._row.id):
            return None
        size, position = page_window(first, after, info.context.language)
        page = await sessions.my_registrations(info.context.viewer, upcoming=bool(filter and filter.upcoming),
                                               first=size, after=position)
        loaders = info.context.loaders
        loaders.prime_seats(page.items)
        for seat in page.items:
            loaders.prime_venue(seat.venue)
        return connection(page, lambda seat: Item.of(seat.registration))

    @strawberry.field(description="For the signed-in parent: their places in line for full sessions (left ones "
                                  "aside), soonest first; `upcoming` for sessions not yet ended.")
    async def course_session_waitlist(
        self, info: Info, first: First = 10, after: After = None,
        filter: Annotated[
            Annotated[CourseSessionFilter, strawberry.lazy("schema.family_education.inputs")] | None,
            strawberry.argument(description="Narrows the list."),
        ] = None,
    ) -> Connection[Annotated[CourseSessionWaitlistEntry, strawberry.lazy("schema.family_education.types")]] | None:
        from schema.family_education.types import CourseSessionWaitlistEntry as Item
        from services.family_education import waitlists

        if not _viewer_is(info, self._row.id):
            return None
        size, position = page_window(first, after, info.context.language)
        page = await waitlists.my_places(info.context.viewer, upcoming=bool(filter and filter.upcoming),
                                         first=size, after=position)
        return connection(page, Item.of)


@strawberry.type(description="A class of a school.")
class SchoolClass(Node):
    name: str = strawberry.field(description="Name of the class, e.g. 三年级2班.")
    grade: int = strawberry.field(description="Grade of the class (1 to 12).")
    _row: strawberry.Private[models.SchoolClass]

    @classmethod
    def of(cls, row: models.SchoolClass) -> SchoolClass:
        return cls(id=gid("SchoolClass", row.id), name=row.name, grade=row.grade, _row=row)

    @strawberry.field(description="School of the class.", graphql_type=School)
    def school(self, info: Info) -> AwaitableOrValue[School]:
        return then(referenced(info.context.loaders.school.load(self._row.school_id)), School.of)

    @strawberry.field(description="Homeroom teacher (班主任) of the class.", graphql_type=User | None)
    def homeroom_teacher(self, info: Info) -> AwaitableOrValue[User | None]:
        teacher_id = self._row.homeroom_teacher_id
        return then(info.context.loaders.named(teacher_id), User.of) if teacher_id else None

    @strawberry.field(description="Teachers who teach the class, besides its homeroom teacher.")
    async def teachers(self, info: Info) -> list[User]:
        return [User.of(u) for u in await info.context.loaders.teachers_by_class.load(self._row.id)]

    @strawberry.field(description="Students of the class the viewer may see, by name.")
    async def students(self, info: Info, first: First = 50, after: After = None) -> Connection[Student]:
        size, position = page_window(first, after, info.context.language)
        if info.context.principal is None:
            return connection(paging.fixed([], key=_by_name, first=size, after=position), Student.of)
        loaders = info.context.loaders
        # Their class is this one: a student's class and grade resolve at once, without a coroutine each;
        # so does their school (and its district) when asked for, read alongside the students.
        loaders.school_class.prime(self._row.id, self._row)
        if (selects(info, "nodes", "school") or selects(info, "nodes", "schoolClass", "school")) \
                and not loaders.holds_school(self._row.school_id):
            everyone, _ = await asyncio.gather(loaders.visible_students_by_class.load(self._row.id),
                                               loaders.school_and_district(self._row.school_id))
        else:
            everyone = await loaders.visible_students_by_class.load(self._row.id)
        return connection(paging.fixed(everyone, key=_by_name, first=size, after=position), Student.of)


def _by_name(student: models.Student) -> paging.Position:
    return (student.display_name, student.id)


@strawberry.type(description="A student of a school. Students have no account; their guardians do.")
class Student(Node):
    display_name: str = strawberry.field(description="Name of the student.")
    _row: strawberry.Private[models.Student]

    @classmethod
    def of(cls, row: models.Student) -> Student:
        return cls(id=gid("Student", row.id), display_name=row.display_name, _row=row)

    @strawberry.field(description="When the student left the city's schools (a roster sync no longer lists "
                                  "them): their records stay, they are on no class list; null while on the roll.")
    def withdrawn_at(self) -> dt.datetime | None:
        return self._row.withdrawn_at

    @strawberry.field(description="Gender of the student.")
    def gender(self) -> Gender:
        return self._row.gender

    @strawberry.field(description="Grade the student is in (their class's grade).", graphql_type=int)
    def grade(self, info: Info) -> AwaitableOrValue[int]:
        return then(referenced(info.context.loaders.school_class.load(self._row.school_class_id)),
                    lambda school_class: school_class.grade)

    @strawberry.field(description="School the student attends now.", graphql_type=School)
    def school(self, info: Info) -> AwaitableOrValue[School]:
        return then(referenced(info.context.loaders.school.load(self._row.school_id)), School.of)

    @strawberry.field(description="Class the student is in now.", graphql_type=SchoolClass)
    def school_class(self, info: Info) -> AwaitableOrValue[SchoolClass]:
        return then(referenced(info.context.loaders.school_class.load(self._row.school_class_id)), SchoolClass.of)

    @strawberry.field(description="Guardians of the student, the primary guardian first.")
    async def guardians(self, info: Info) -> list[Guardianship]:
        rows = await info.context.loaders.guardianships_by_student.load(self._row.id)
        return [Guardianship.of(row) for row in rows]

    @strawberry.field(description="The student's home visits the viewer may see; `upcoming` for the open ones "
                                  "still to come, soonest first.",
                      graphql_type=Connection[Annotated["HomeVisit", strawberry.lazy("schema.home_visits.types")]])
    def home_visits(
        self, info: Info, first: First = 3, after: After = None,
        filter: Annotated[
            Annotated[HomeVisitFilter, strawberry.lazy("schema.home_visits.inputs")] | None,
            strawberry.argument(description="Narrows the list."),
        ] = None,
    ) -> AwaitableOrValue[Connection[HomeVisit]]:
        from schema.home_visits.inputs import visit_filter
        from schema.home_visits.types import HomeVisit as Visit
        from services.home_visits import queries as visits

        size, position = page_window(first, after, info.context.language)
        if info.context.principal is None:
            return connection(paging.fixed([], key=visits.position, first=size, after=position), Visit.of)
        wanted = visit_filter(filter)
        if wanted == visits.VisitFilter(upcoming=True):
            # The parent's home screen: batched for all children in one statement, usually read already
            # (``children``), and then this list is made at once, without a coroutine per child.
            return then(info.context.loaders.upcoming_visits_by_student.load(self._row.id), lambda everyone: connection(
                paging.fixed(everyone, key=visits.position, first=size, after=position), Visit.of))
        return self._visits_page(info.context.principal, dataclasses.replace(wanted, student_id=self._row.id),
                                 size, position)

    @staticmethod
    async def _visits_page(viewer: Principal, wanted: VisitFilter, size: int, position: paging.Position | None
                           ) -> Connection[HomeVisit]:
        from schema.home_visits.types import HomeVisit as Visit
        from services.home_visits import queries as visits

        return connection(await visits.visits(viewer, wanted, first=size, after=position), Visit.of)

    @strawberry.field(description="The student's latest home visit the viewer may see.")
    async def last_home_visit(
        self, info: Info
    ) -> Annotated[HomeVisit, strawberry.lazy("schema.home_visits.types")] | None:
        from schema.home_visits.types import HomeVisit as Visit

        if info.context.principal is None:
            return None
        found = await info.context.loaders.last_visit_by_student.load(self._row.id)
        return Visit.of(found) if found else None

    @strawberry.field(description="What counsellors chose to share with the student's guardians, newest first; "
                                  "for the guardians and the counsellors responsible.")
    async def wellbeing_shares_with_guardians(
        self, info: Info
    ) -> list[Annotated[WellbeingShare, strawberry.lazy("schema.wellbeing.types")]]:
        from schema.wellbeing.types import WellbeingShare as Share

        if info.context.principal is None:
            return []
        return [Share.of(s) for s in await shares_for_guardians(info.context.principal, self._row.id)]

    @strawberry.field(description="The student's wellbeing record, for their counsellors at every level.")
    async def wellbeing(
        self, info: Info
    ) -> Annotated[StudentWellbeing, strawberry.lazy("schema.wellbeing.types")] | None:
        from schema.wellbeing.types import StudentWellbeing as Record

        principal = info.context.principal
        school = await info.context.loaders.school.load(self._row.school_id)
        if principal is None or not wellbeing_queries.may_see_record(principal, school):
            return None
        return Record(_student_id=self._row.id)


@strawberry.type(description="A guardian's household address. Sealed; for the guardian, their children's other "
                             "guardians while shared, and the visiting teachers of a confirmed visit at it.")
class HomeAddress:
    address: str = strawberry.field(description="The address as the guardian wrote it.")
    shared_with_co_guardians: bool = strawberry.field(
        description="Indicates the other guardians of the guardian's children may read it.")
    updated_at: dt.datetime = strawberry.field(description="Timestamp it was last set.")

    @classmethod
    def of(cls, read: home_addresses.ReadAddress | None) -> HomeAddress | None:
        if read is None:
            return None
        return cls(address=read.address, shared_with_co_guardians=read.shared_with_co_guardians,
                   updated_at=read.updated_at)


@strawberry.type(description="A guardian's link to a student.")
class Guardianship:
    relationship: GuardianRelationship = strawberry.field(description="How the guardian is related to the student.")
    is_primary: bool = strawberry.field(description="Indicates the primary guardian, contacted first.")
    _row: strawberry.Private[models.Guardianship]

    @classmethod
    def of(cls, row: models.Guardianship) -> Guardianship:
        return cls(relationship=row.relationship, is_primary=row.is_primary, _row=row)

    @strawberry.field(description="The guardian.")
    async def guardian(self, info: Info) -> User:
        loaded = getattr(self._row, "_guardian", None)
        if isinstance(loaded, UserRow):
            return User.of(loaded)
        return User.of(await referenced(info.context.loaders.user.load(self._row.guardian_id)))

    @strawberry.field(description="The student.")
    async def student(self, info: Info) -> Student:
        return Student.of(await referenced(info.context.loaders.student.load(self._row.student_id)))

    @strawberry.field(description="Indicates the guardian has a home address on file (never the address); for the "
                                  "student's guardians and the teachers who may propose a home visit to the student.")
    async def has_home_address(self, info: Info) -> bool | None:
        if info.context.principal is None:
            return None
        return (await info.context.loaders.guardian_address.load(self._row.id)).on_file

    @strawberry.field(description="The guardian's household address, for the guardian and, while they share it, "
                                  "the student's other guardians; null otherwise. Every read is audited.")
    async def home_address(self, info: Info) -> HomeAddress | None:
        if info.context.principal is None:
            return None
        return HomeAddress.of((await info.context.loaders.guardian_address.load(self._row.id)).read)


# node(id:) loaders: what the viewer may see, null otherwise.


@node_loader("District")
async def _district(context: Context, row_id: uuid.UUID) -> District | None:
    row = await context.loaders.district.load(row_id)
    return District.of(row) if row else None


@node_loader("School")
async def _school(context: Context, row_id: uuid.UUID) -> School | None:
    row = await context.loaders.school.load(row_id)
    return School.of(row) if row else None


@node_loader("ServiceStation")
async def _station(context: Context, row_id: uuid.UUID) -> ServiceStation | None:
    row = await context.loaders.station.load(row_id)
    return ServiceStation.of(row) if row else None


@node_loader("SchoolClass")
async def _school_class(context: Context, row_id: uuid.UUID) -> SchoolClass | None:
    row = await context.loaders.visible_class.load(row_id)
    return SchoolClass.of(row) if row else None


@node_loader("Student")
async def _student(context: Context, row_id: uuid.UUID) -> Student | None:
    row = await context.loaders.visible_student.load(row_id)
    return Student.of(row) if row else None


@node_loader("User")
async def _user(context: Context, row_id: uuid.UUID) -> User | None:
    row = await context.loaders.visible_user.load(row_id)
    return User.of(row) if row else None
