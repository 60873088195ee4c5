"""Family education as parents, instructors, station staff and administrators see it: courses
and their lessons, enrolments, in-person sessions and seats, instructors, consultations."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import strawberry
from graphql.pyutils import AwaitableOrValue

from schema.common.connection import After, Connection, First, connection, page_window
from schema.common.dataloaders import referenced, referenced_all, then
from schema.common.node import Node, gid, node_loader
from schema.context import Context
from schema.family_education.enums import (
    CertificationStatus,
    ConsultationMode,
    ConsultationParty,
    ConsultationStatus,
    CourseAudience,
    CourseCategory,
    LessonKind,
    RegistrationStatus,
    WaitlistStatus,
)
from schema.family_education.inputs import CourseSessionFilter
from schema.organisation.types import District, School, ServiceStation, Student, User
from services import clock, enums, paging
from services.family_education import consultations, courses, instructors, sessions
from services.family_education import models as rows

Info = strawberry.Info[Context, None]


@strawberry.type(description="A lesson of a course.")
class Lesson(Node):
    position: int = strawberry.field(description="Place in the course, from 1.")
    title: str = strawberry.field(description="Title of the lesson.")
    kind: LessonKind = strawberry.field(description="How it is given.")
    duration_minutes: int = strawberry.field(description="How long it takes.")
    content_url: str | None = strawberry.field(description="Where its video or text is.")

    @classmethod
    def of(cls, row: rows.Lesson) -> Lesson:
        return cls(id=gid("Lesson", row.id), position=row.position, title=row.title, kind=row.kind,
                   duration_minutes=row.duration_minutes, content_url=row.content_url)


@strawberry.type(description="A family-education course of the city's catalogue.")
class Course(Node):
    title: str = strawberry.field(description="Title of the course.")
    summary: str = strawberry.field(description="What it teaches.")
    category: CourseCategory = strawberry.field(description="What it is about.")
    min_grade: int = strawberry.field(description="Lowest grade of the children it suits.")
    max_grade: int = strawberry.field(description="Highest grade of the children it suits.")
    audience: CourseAudience = strawberry.field(description="Who it is for.")
    credit_hours: int | None = strawberry.field(description="Credit hours (学时) a TEACHER course earns; null for "
                                                            "PARENT courses.")
    _row: strawberry.Private[rows.Course]

    @classmethod
    def of(cls, row: rows.Course) -> Course:
        return cls(id=gid("Course", row.id), title=row.title, summary=row.summary, category=row.category,
                   min_grade=row.min_grade, max_grade=row.max_grade, audience=row.audience,
                   credit_hours=row.credit_hours, _row=row)

    @strawberry.field(description="Number of lessons.", graphql_type=int)
    def lesson_count(self, info: Info) -> AwaitableOrValue[int]:
        return then(info.context.loaders.lesson_totals.load(self._row.id), lambda totals: totals.count)

    @strawberry.field(description="Minutes of all lessons together.")
    async def total_minutes(self, info: Info) -> int:
        return (await info.context.loaders.lesson_totals.load(self._row.id)).minutes

    @strawberry.field(description="Average of the parents' ratings (1 to 5), null before the first.")
    async def rating_average(self, info: Info) -> float | None:
        return (await info.context.loaders.course_rating.load(self._row.id)).average

    @strawberry.field(description="Number of parents who rated it.")
    async def rating_count(self, info: Info) -> int:
        return (await info.context.loaders.course_rating.load(self._row.id)).count

    @strawberry.field(description="Lessons in order.")
    async def lessons(self, info: Info) -> list[Lesson]:
        return [Lesson.of(row) for row in await info.context.loaders.lessons_by_course.load(self._row.id)]

    @strawberry.field(description="Pilot schools that offer it.")
    async def offered_at(self, info: Info) -> list[School]:
        ids = await info.context.loaders.offering_schools.load(self._row.id)
        return [School.of(row) for row in await referenced_all(info.context.loaders.school.load_many(ids))]

    @strawberry.field(description="In-person sessions still to come, soonest first.")
    async def upcoming_sessions(self, info: Info, first: First = 10, after: After = None
                                ) -> Connection[CourseSession]:
        size, position = page_window(first, after, info.context.language)
        everyone = await info.context.loaders.upcoming_sessions_by_course.load(self._row.id)
        return connection(paging.fixed(everyone, key=lambda s: (s.starts_at, s.id), first=size, after=position),
                          CourseSession.of)

    @strawberry.field(description="The signed-in parent's enrolment in it, if any.")
    async def viewer_enrollment(self, info: Info) -> Enrollment | None:
        if info.context.principal is None:
            return None
        found = await info.context.loaders.viewer_enrollment_by_course.load(self._row.id)
        return Enrollment.of(found) if found else None


@strawberry.type(description="A parent's enrolment in a course and their progress.")
class Enrollment(Node):
    enrolled_at: dt.datetime = strawberry.field(description="Timestamp of enrolling.")
    completed_at: dt.datetime | None = strawberry.field(description="Timestamp the last lesson was completed.")
    certificate_number: str | None = strawberry.field(
        description="Number of the completion certificate; anyone can check it with `verifyCourseCertificate`.")
    _row: strawberry.Private[rows.Enrollment]

    @classmethod
    def of(cls, row: rows.Enrollment) -> Enrollment:
        return cls(id=gid("Enrollment", row.id), enrolled_at=row.enrolled_at, completed_at=row.completed_at,
                   certificate_number=row.certificate_number, _row=row)

    @strawberry.field(description="Credit hours earned: the course's, once completed (TEACHER courses).")
    async def credit_hours(self, info: Info) -> int | None:
        if self._row.completed_at is None:
            return None
        return (await referenced(info.context.loaders.course.load(self._row.course_id))).credit_hours

    @strawberry.field(description="Share of the lessons completed, 0 to 100.", graphql_type=int)
    def progress_percent(self, info: Info) -> AwaitableOrValue[int]:
        totals = info.context.loaders.lesson_totals.load(self._row.course_id)
        return then(totals, lambda found: courses.progress_percent(self._row.completed_lessons, found.count))

    @strawberry.field(description="Lessons completed, in the order they were.")
    async def completed_lessons(self, info: Info) -> list[Lesson]:
        ids = await info.context.loaders.completed_lessons.load(self._row.id)
        return [Lesson.of(row) for row in await referenced_all(info.context.loaders.lesson.load_many(ids))]

    @strawberry.field(description="The course.", graphql_type=Course)
    def course(self, info: Info) -> AwaitableOrValue[Course]:
        return then(referenced(info.context.loaders.course.load(self._row.course_id)), Course.of)


CourseVenue = Annotated[School | ServiceStation, strawberry.union(
    "CourseVenue", description="Where an in-person session takes place: a pilot school or a service station.")]


@strawberry.type(description="An in-person session of a course, with a capacity.")
class CourseSession(Node):
    starts_at: dt.datetime = strawberry.field(description="Timestamp it starts at.")
    ends_at: dt.datetime = strawberry.field(description="Timestamp it ends at.")
    capacity: int = strawberry.field(description="Seats in all.")
    _row: strawberry.Private[rows.CourseSession]

    @classmethod
    def of(cls, row: rows.CourseSession) -> CourseSession:
        return cls(id=gid("CourseSession", row.id), starts_at=row.starts_at, ends_at=row.ends_at,
                   capacity=row.capacity, _row=row)

    @strawberry.field(description="Seats still free.")
    def seats_left(self) -> int:
        return max(0, self._row.capacity - self._row.registered)

    @strawberry.field(description="The course.", graphql_type=Course)
    def course(self, info: Info) -> AwaitableOrValue[Course]:
        return then(referenced(info.context.loaders.course.load(self._row.course_id)), Course.of)

    @strawberry.field(description="The instructor who teaches it.")
    async def instructor(self, info: Info) -> Instructor | None:
        instructor_id = self._row.instructor_id
        if instructor_id is None:
            return None
        return Instructor.of(await referenced(info.context.loaders.instructor.load(instructor_id)))

    @strawberry.field(description="Where it takes place.", graphql_type=CourseVenue)
    def venue(self, info: Info) -> AwaitableOrValue[School | ServiceStation]:
        loaders = info.context.loaders
        if self._row.school_id:
            return then(referenced(loaders.school.load(self._row.school_id)), School.of)
        station_id = self._row.station_id
        assert station_id is not None  # a session takes place at a school or at a station
        return then(referenced(loaders.station.load(station_id)), ServiceStation.of)

    @strawberry.field(description="The attendance code to show at the venue; for the instructor and the "
                                  "administrators of the venue.")
    async def check_in_code(self, info: Info) -> str | None:
        return self._row.check_in_code if await self._manageable(info) else None

    @strawberry.field(description="Parents holding or having held a seat, by time of registering; for the "
                                  "instructor and the administrators of the venue.")
    async def registrations(self, info: Info, first: First = 50, after: After = None
                            ) -> Connection[SessionRegistration] | None:
        size, position = page_window(first, after, info.context.language)
        if not await self._manageable(info):
            return None
        everyone = await info.context.loaders.registrations_by_session.load(self._row.id)
        return connection(paging.fixed(everyone, key=lambda r: (r.registered_at, r.id), first=size, after=position),
                          SessionRegistration.of)

    @strawberry.field(description="How many wait for a seat: a count only, never who.")
    async def waitlist_length(self, info: Info) -> int:
        return await info.context.loaders.waitlist_length.load(self._row.id)

    @strawberry.field(description="The viewer's seat, if they hold or held one (given back ones aside).")
    async def viewer_registration(self, info: Info) -> SessionRegistration | None:
        if info.context.principal is None:
            return None
        found = await info.context.loaders.viewer_registration.load(self._row.id)
        return SessionRegistration.of(found) if found else None

    @strawberry.field(description="The viewer's latest place in line (left ones aside), if any.")
    async def viewer_waitlist_entry(self, info: Info) -> CourseSessionWaitlistEntry | None:
        if info.context.principal is None:
            return None
        found = await info.context.loaders.viewer_waitlist_entry.load(self._row.id)
        return CourseSessionWaitlistEntry.of(found) if found else None

    async def _manageable(self, info: Info) -> bool:
        return info.context.principal is not None and await info.context.loaders.session_manageable.load(self._row)


@strawberry.type(description="A teacher's family-education guidance training.")
class TeacherTraining:
    courses_completed: int = strawberry.field(description="TEACHER courses completed.")
    credit_hours: int = strawberry.field(description="Credit hours (学时) they earned.")


@strawberry.type(description="A school's teachers and their guidance training in a year.")
class SchoolTeacherTraining:
    teachers: int = strawberry.field(description="Holders of the TEACHER role at the school now.")
    trained_teachers: int = strawberry.field(description="Of them, those who completed a TEACHER course in the year.")
    credit_hours: int = strawberry.field(description="Credit hours its teachers earned in the year.")


@strawberry.type(description="A parent's place in line for a full session.")
class CourseSessionWaitlistEntry(Node):
    status: WaitlistStatus = strawberry.field(description="Where the place stands.")
    joined_at: dt.datetime = strawberry.field(description="Timestamp of joining the line.")
    promoted_at: dt.datetime | None = strawberry.field(description="Timestamp a seat became theirs.")
    _row: strawberry.Private[rows.SessionWaitlistEntry]

    @classmethod
    def of(cls, row: rows.SessionWaitlistEntry) -> CourseSessionWaitlistEntry:
        return cls(id=gid("CourseSessionWaitlistEntry", row.id), status=row.status, joined_at=row.joined_at,
                   promoted_at=row.promoted_at, _row=row)

    @strawberry.field(description="Place in line, 1 being next; null unless WAITING.")
    async def position(self, info: Info) -> int | None:
        if self._row.status != enums.WaitlistStatus.WAITING:
            return None
        return await info.context.loaders.waitlist_position.load(self._row)

    @strawberry.field(description="The session.")
    async def session(self, info: Info) -> CourseSession:
        return CourseSession.of(await referenced(info.context.loaders.session.load(self._row.session_id)))

    @strawberry.field(description="The seat it became, once PROMOTED.")
    async def registration(self, info: Info) -> SessionRegistration | None:
        registration_id = self._row.registration_id
        if registration_id is None:
            return None
        found = await info.context.loaders.visible_registration.load(registration_id)
        return SessionRegistration.of(found) if found else None


@strawberry.type(description="A parent's seat in a course session.")
class SessionRegistration(Node):
    status: RegistrationStatus = strawberry.field(description="Where the seat stands.")
    registered_at: dt.datetime = strawberry.field(description="Timestamp of registering.")
    cancelled_at: dt.datetime | None = strawberry.field(description="Timestamp the seat was given back.")
    checked_in_at: dt.datetime | None = strawberry.field(description="Timestamp of checking in at the venue.")
    _row: strawberry.Private[rows.SessionRegistration]

    @classmethod
    def of(cls, row: rows.SessionRegistration) -> SessionRegistration:
        return cls(id=gid("SessionRegistration", row.id), status=row.status, registered_at=row.registered_at,
                   cancelled_at=row.cancelled_at, checked_in_at=row.checked_in_at, _row=row)

    @strawberry.field(description="The session.", graphql_type=CourseSession)
    def session(self, info: Info) -> AwaitableOrValue[CourseSession]:
        return then(referenced(info.context.loaders.session.load(self._row.session_id)), CourseSession.of)

    @strawberry.field(description="The parent.")
    async def guardian(self, info: Info) -> User:
        return User.of(await referenced(info.context.loaders.user.load(self._row.guardian_id)))


@strawberry.type(description="A weekly window an instructor takes consultations in, in local time.")
class WeeklySlot:
    weekday: int = strawberry.field(description="ISO weekday: 1 = Monday … 7 = Sunday.")
    start_time: str = strawberry.field(description="Local time it starts, HH:MM.")
    end_time: str = strawberry.field(description="Local time it ends, HH:MM.")
    _station_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The station it is held at, if any.")
    async def station(self, info: Info) -> ServiceStation | None:
        return ServiceStation.of(await referenced(info.context.loaders.station.load(self._station_id))) \
            if self._station_id else None


@strawberry.type(description="A slot a family can book.")
class AvailableSlot:
    starts_at: dt.datetime = strawberry.field(description="Timestamp it starts at.")
    ends_at: dt.datetime = strawberry.field(description="Timestamp it ends at.")
    _station_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The station it is held at, if any.")
    async def station(self, info: Info) -> ServiceStation | None:
        return ServiceStation.of(await referenced(info.context.loaders.station.load(self._station_id))) \
            if self._station_id else None


@strawberry.type(description="A certified city-level family-education guidance instructor.")
class Instructor(Node):
    specialties: list[str] = strawberry.field(description="What they counsel on.")
    certificate_number: str = strawberry.field(description="Number of their certificate.")
    certified_on: dt.date = strawberry.field(description="Date they were certified.")
    certificate_expires_on: dt.date = strawberry.field(description="Last day the certificate holds.")
    bio: str | None = strawberry.field(description="About them.")
    _row: strawberry.Private[rows.Instructor]

    @classmethod
    def of(cls, row: rows.Instructor) -> Instructor:
        return cls(id=gid("Instructor", row.id), specialties=list(row.specialties or ()),
                   certificate_number=row.certificate_number, certified_on=row.certified_on,
                   certificate_expires_on=row.expires_on, bio=row.bio, _row=row)

    @strawberry.field(description="Name shown to families.")
    async def display_name(self, info: Info) -> str:
        return (await referenced(info.context.loaders.user.load(self._row.user_id))).display_name

    @strawberry.field(description="Whether they may work now: from the certificate's dates and any suspension.")
    def certification_status(self) -> CertificationStatus:
        return instructors.instructor_status(self._row, clock.today())

    @strawberry.field(description="District they are certified in.")
    async def district(self, info: Info) -> District:
        return District.of(await referenced(info.context.loaders.district.load(self._row.district_id)))

    @strawberry.field(description="Stations they are on duty at.")
    async def stations(self, info: Info) -> list[ServiceStation]:
        ids = await info.context.loaders.stations_by_instructor.load(self._row.id)
        return [ServiceStation.of(row) for row in await referenced_all(info.context.loaders.station.load_many(ids))]

    @strawberry.field(description="Average of the families' ratings of their consultations, null before the first.")
    async def rating_average(self, info: Info) -> float | None:
        return (await info.context.loaders.instructor_rating.load(self._row.id)).average

    @strawberry.field(description="Number of rated consultations.")
    async def rating_count(self, info: Info) -> int:
        return (await info.context.loaders.instructor_rating.load(self._row.id)).count

    @strawberry.field(description="Weekly windows they take consultations in.")
    async def weekly_availability(self, info: Info) -> list[WeeklySlot]:
        return [WeeklySlot(weekday=w.weekday, start_time=w.opens.strftime("%H:%M"),
                           end_time=w.closes.strftime("%H:%M"), _station_id=w.station_id)
                for w in await info.context.loaders.availability_by_instructor.load(self._row.id)]

    @strawberry.field(description="Bookable slots between two dates (inclusive, at most 31 days) in Asia/Shanghai: "
                                  "the weekly availability minus consultations, sessions taught and the past.")
    async def available_slots(
        self,
        from_: Annotated[dt.date, strawberry.argument(name="from", description="First day.")],
        to: Annotated[dt.date, strawberry.argument(description="Last day.")],
        duration_minutes: Annotated[int, strawberry.argument(description="Length of a slot, 15 to 240.")],
    ) -> list[AvailableSlot]:
        found = await instructors.open_slots(self._row, from_, to, duration_minutes)
        return [AvailableSlot(starts_at=s.starts_at, ends_at=s.ends_at, _station_id=s.station_id) for s in found]

    @strawberry.field(description="Sessions they teach, soonest first.")
    async def teaching_sessions(
        self, info: Info, first: First = 20, after: After = None,
        filter: Annotated[CourseSessionFilter | None, strawberry.argument(description="Narrows the list.")] = None,
    ) -> Connection[CourseSession]:
        size, position = page_window(first, after, info.context.language)
        page = await sessions.taught_by(self._row, upcoming=bool(filter and filter.upcoming), first=size,
                                        after=position)
        return connection(page, CourseSession.of)


@strawberry.type(description="A one-to-one guidance consultation between an instructor and a family; only they "
                             "see it.")
class Consultation(Node):
    status: ConsultationStatus = strawberry.field(description="Where it is in its life.")
    starts_at: dt.datetime = strawberry.field(description="Timestamp it starts at.")
    ends_at: dt.datetime = strawberry.field(description="Timestamp it ends at.")
    mode: ConsultationMode = strawberry.field(description="How it takes place.")
    topic: str = strawberry.field(description="What the family wants to talk about.")
    cancelled_by: ConsultationParty | None = strawberry.field(description="Who called it off.")
    reason: str | None = strawberry.field(description="Why it was declined or cancelled.")
    guardian_summary: str | None = strawberry.field(description="The instructor's summary for the family.")
    follow_up_recommended: bool | None = strawberry.field(description="Indicates the instructor recommends "
                                                                      "another consultation.")
    rating_stars: int | None = strawberry.field(description="The family's rating, 1 to 5.")
    created_at: dt.datetime = strawberry.field(description="Timestamp it was booked.")
    _row: strawberry.Private[rows.Consultation]

    @classmethod
    def of(cls, row: rows.Consultation) -> Consultation:
        return cls(id=gid("Consultation", row.id), status=row.status, starts_at=row.starts_at, ends_at=row.ends_at,
                   mode=row.mode, topic=consultations.unseal(row, "topic") or "", cancelled_by=row.cancelled_by,
                   reason=consultations.unseal(row, "reason"),
                   guardian_summary=consultations.unseal(row, "guardian_summary"),
                   follow_up_recommended=row.follow_up_recommended, rating_stars=row.rating_stars,
                   created_at=row.created_at, _row=row)

    @strawberry.field(description="The instructor's private notes; for the instructor alone.")
    async def notes(self, info: Info) -> str | None:
        instructor = await referenced(info.context.loaders.instructor.load(self._row.instructor_id))
        return consultations.notes_of(info.context.principal, self._row, instructor)

    @strawberry.field(description="The instructor.")
    async def instructor(self, info: Info) -> Instructor:
        return Instructor.of(await referenced(info.context.loaders.instructor.load(self._row.instructor_id)))

    @strawberry.field(description="The parent who booked it.")
    async def guardian(self, info: Info) -> User:
        return User.of(await referenced(info.context.loaders.user.load(self._row.guardian_id)))

    @strawberry.field(description="The child it is about, if the family named one.")
    async def student(self, info: Info) -> Student | None:
        student_id = self._row.student_id
        return Student.of(await referenced(info.context.loaders.student.load(student_id))) if student_id else None

    @strawberry.field(description="The station it is held at (in person).")
    async def station(self, info: Info) -> ServiceStation | None:
        station_id = self._row.station_id
        if station_id is None:
            return None
        return ServiceStation.of(await referenced(info.context.loaders.station.load(station_id)))


@strawberry.type(description="What the public check of a certificate number shows.")
class CourseCertificate:
    number: str = strawberry.field(description="The certificate number.")
    course_title: str = strawberry.field(description="Title of the course completed.")
    completed_on: dt.date = strawberry.field(description="Date the course was completed, in Asia/Shanghai.")
    holder_name: str = strawberry.field(description="The holder's name, masked (张**).")


@strawberry.type(description="A station and how far it is.")
class StationNearby:
    distance_km: float = strawberry.field(description="Great-circle distance, in kilometres.")
    station: ServiceStation = strawberry.field(description="The station.")


# node(id:) loaders (node is for the signed-in): the catalogue, sessions and instructors are open;
# enrolments and registrations are the parent's; consultations the family's and the instructor's.


@node_loader("Course")
async def _course(context: Context, row_id: uuid.UUID) -> Course | None:
    row = await context.loaders.course.load(row_id)
    return Course.of(row) if row and courses.may_see(context.principal, row) else None


@node_loader("Lesson")
async def _lesson(context: Context, row_id: uuid.UUID) -> Lesson | None:
    row = await context.loaders.lesson.load(row_id)
    return Lesson.of(row) if row else None


@node_loader("CourseSession")
async def _session(context: Context, row_id: uuid.UUID) -> CourseSession | None:
    row = await context.loaders.session.load(row_id)
    if row is None:
        return None
    if not courses.may_see(context.principal, await referenced(context.loaders.course.load(row.course_id))):
        return None
    return CourseSession.of(row)


@node_loader("Instructor")
async def _instructor(context: Context, row_id: uuid.UUID) -> Instructor | None:
    row = await context.loaders.instructor.load(row_id)
    return Instructor.of(row) if row else None


@node_loader("Enrollment")
async def _enrollment(context: Context, row_id: uuid.UUID) -> Enrollment | None:
    row = await context.loaders.visible_enrollment.load(row_id)
    return Enrollment.of(row) if row else None


@node_loader("CourseSessionWaitlistEntry")
async def _waitlist_entry(context: Context, row_id: uuid.UUID) -> CourseSessionWaitlistEntry | None:
    row = await context.loaders.visible_waitlist_entry.load(row_id)
    return CourseSessionWaitlistEntry.of(row) if row else None


@node_loader("SessionRegistration")
async def _registration(context: Context, row_id: uuid.UUID) -> SessionRegistration | None:
    row = await context.loaders.visible_registration.load(row_id)
    return SessionRegistration.of(row) if row else None


@node_loader("Consultation")
async def _consultation(context: Context, row_id: uuid.UUID) -> Consultation | None:
    row = await context.loaders.visible_consultation.load(row_id)
    return Consultation.of(row) if row else None
