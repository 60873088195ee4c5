"""Root fields of family education: thin wrappers that decode ids and call one service function."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry

from schema.account.types import Invitation
from schema.common.connection import After, Connection, First, connection, page_window
from schema.common.errors import UserError
from schema.common.ids import decode_id
from schema.common.mutations import run, user_errors_field
from schema.context import Context
from schema.family_education import inputs
from schema.family_education.types import (
    Consultation,
    Course,
    CourseCertificate,
    CourseSession,
    CourseSessionWaitlistEntry,
    Enrollment,
    Instructor,
    SessionRegistration,
    StationNearby,
)
from schema.organisation.types import ServiceStation
from services import enums
from services.family_education import consultations, courses, instructors, sessions, stations, waitlists

Info = strawberry.Info[Context, None]


@strawberry.type(description="Result of `enrollInCourse`.")
class EnrollInCoursePayload:
    enrollment: Enrollment | None = strawberry.field(
        default=None, description="The enrolment (the existing one if enrolled before).")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `completeLesson`.")
class CompleteLessonPayload:
    enrollment: Enrollment | None = strawberry.field(default=None, description="The enrolment with its progress.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `rateCourse`.")
class RateCoursePayload:
    course: Course | None = strawberry.field(default=None, description="The course with its ratings.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `createCourse`.")
class CreateCoursePayload:
    course: Course | None = strawberry.field(default=None, description="The new course.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `offerCourseAtSchool`.")
class OfferCourseAtSchoolPayload:
    course: Course | None = strawberry.field(default=None, description="The course with the schools offering it.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `scheduleCourseSession`.")
class ScheduleCourseSessionPayload:
    session: CourseSession | None = strawberry.field(default=None, description="The new session.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `registerForCourseSession`.")
class RegisterForCourseSessionPayload:
    registration: SessionRegistration | None = strawberry.field(default=None, description="The parent's seat.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `cancelCourseSessionRegistration`.")
class CancelCourseSessionRegistrationPayload:
    registration: SessionRegistration | None = strawberry.field(default=None, description="The seat given back.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `joinCourseSessionWaitlist`.")
class JoinCourseSessionWaitlistPayload:
    waitlist_entry: CourseSessionWaitlistEntry | None = strawberry.field(
        default=None, description="The place in line (the one held if waiting already).")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `leaveCourseSessionWaitlist`.")
class LeaveCourseSessionWaitlistPayload:
    waitlist_entry: CourseSessionWaitlistEntry | None = strawberry.field(default=None, description="The place, left.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `checkInToCourseSession`.")
class CheckInToCourseSessionPayload:
    registration: SessionRegistration | None = strawberry.field(default=None, description="The seat, attended.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `createServiceStation`.")
class CreateServiceStationPayload:
    station: ServiceStation | None = strawberry.field(default=None, description="The new station.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `assignInstructorToStation`.")
class AssignInstructorToStationPayload:
    station: ServiceStation | None = strawberry.field(default=None, description="The station with its instructors.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `suspendInstructor`.")
class SuspendInstructorPayload:
    instructor: Instructor | None = strawberry.field(default=None, description="The instructor as they are now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `setInstructorAvailability`.")
class SetInstructorAvailabilityPayload:
    instructor: Instructor | None = strawberry.field(
        default=None, description="The instructor with their availability.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `bookConsultation`.")
class BookConsultationPayload:
    consultation: Consultation | None = strawberry.field(default=None, description="The consultation requested.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `respondToConsultation`.")
class RespondToConsultationPayload:
    consultation: Consultation | None = strawberry.field(default=None, description="The consultation as it is now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `cancelConsultation`.")
class CancelConsultationPayload:
    consultation: Consultation | None = strawberry.field(default=None, description="The consultation, cancelled.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `completeConsultation`.")
class CompleteConsultationPayload:
    consultation: Consultation | None = strawberry.field(default=None, description="The consultation, completed.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `rateConsultation`.")
class RateConsultationPayload:
    consultation: Consultation | None = strawberry.field(default=None, description="The consultation with the rating.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `certifyInstructor`.")
class CertifyInstructorPayload:
    instructor: Instructor | None = strawberry.field(default=None, description="The certified instructor.")
    invitation: Invitation | None = strawberry.field(
        default=None, description="Invitation to activate the account, if the person has not yet; shown once.")
    user_errors: list[UserError] = user_errors_field()


async def _changed(info: Info, payload: type, field: str, wrap: Callable[[Any], Any],
                   change: Callable[[], Awaitable[Any]]) -> Any:
    async def action() -> Any:
        return payload(**{field: wrap(await change())})

    return await run(info, payload, action)


def _course_filter(wanted: inputs.CourseFilter | None) -> courses.CatalogueFilter:
    if wanted is None:
        return courses.CatalogueFilter()
    school_id = decode_id(wanted.school_id, "School")
    student_id = decode_id(wanted.for_student_id, "Student")
    return courses.CatalogueFilter(
        audience=wanted.audience or enums.CourseAudience.PARENT, category=wanted.category, school_id=school_id,
        for_student_id=student_id, search=wanted.search,
        impossible=(wanted.school_id is not None and school_id is None)
        or (wanted.for_student_id is not None and student_id is None))


def _instructor_filter(wanted: inputs.InstructorFilter | None) -> instructors.InstructorFilter:
    if wanted is None:
        return instructors.InstructorFilter()
    district_id = decode_id(wanted.district_id, "District")
    station_id = decode_id(wanted.station_id, "ServiceStation")
    return instructors.InstructorFilter(
        district_id=district_id, specialty=wanted.specialty, station_id=station_id,
        impossible=(wanted.district_id is not None and district_id is None)
        or (wanted.station_id is not None and station_id is None))


@strawberry.type
class FamilyEducationQueries:
    @strawberry.field(description="The course catalogue, newest first.")
    async def courses(
        self, info: Info, first: First, after: After = None,
        filter: Annotated[inputs.CourseFilter | None, strawberry.argument(description="Narrows the list.")] = None,
    ) -> Connection[Course]:
        size, position = page_window(first, after, info.context.language)
        page = await courses.catalogue(info.context.viewer, _course_filter(filter), first=size, after=position)
        return connection(page, Course.of)

    @strawberry.field(description="The public check of a course certificate: null if no such certificate exists.")
    async def verify_course_certificate(
        self, number: Annotated[str, strawberry.argument(description="The certificate number.")]
    ) -> CourseCertificate | None:
        found = await courses.verify_certificate(number)
        if found is None:
            return None
        return CourseCertificate(number=found.number, course_title=found.course_title,
                                 completed_on=found.completed_on, holder_name=found.holder)

    @strawberry.field(description="Service stations within the radius, nearest first (great-circle distance).")
    async def service_stations_near(
        self,
        latitude: Annotated[float, strawberry.argument(description="Degrees north of the point to search from.")],
        longitude: Annotated[float, strawberry.argument(description="Degrees east of the point to search from.")],
        radius_km: Annotated[float, strawberry.argument(description="Radius in kilometres (up to 100).")],
        first: First,
    ) -> list[StationNearby]:
        found = await stations.near(latitude, longitude, radius_km, first)
        return [StationNearby(distance_km=n.distance_km, station=ServiceStation.of(n.station)) for n in found]

    @strawberry.field(description="Certified instructors, those who can be booked first.")
    async def instructors(
        self, info: Info, first: First, after: After = None,
        filter: Annotated[inputs.InstructorFilter | None, strawberry.argument(description="Narrows the list.")] = None,
    ) -> Connection[Instructor]:
        size, position = page_window(first, after, info.context.language)
        page = await instructors.directory(_instructor_filter(filter), first=size, after=position)
        return connection(page, Instructor.of)

    @strawberry.field(description="The viewer's consultations (as the family or as the instructor), by start.")
    async def consultations(
        self, info: Info, first: First, after: After = None,
        filter: Annotated[inputs.ConsultationFilter | None,
                          strawberry.argument(description="Narrows the list.")] = None,
    ) -> Connection[Consultation]:
        size, position = page_window(first, after, info.context.language)
        window = consultations.ConsultationWindow(starts=filter.from_ if filter else None,
                                                  ends=filter.to if filter else None)
        page = await consultations.consultations(info.context.viewer, window, first=size, after=position)
        return connection(page, Consultation.of)


@strawberry.type
class FamilyEducationMutations:
    # -- the catalogue

    @strawberry.mutation(description="Add a course with its lessons to the catalogue (administrators).")
    async def create_course(self, info: Info, input: inputs.CreateCourseInput
                            ) -> CreateCoursePayload:
        lessons = [courses.LessonDraft(title=lesson.title, kind=lesson.kind, duration_minutes=lesson.duration_minutes,
                                       content_url=lesson.content_url) for lesson in input.lessons]
        return await _changed(info, CreateCoursePayload, "course", Course.of, lambda: courses.create_course(
            info.context.viewer, title=input.title, summary=input.summary, category=input.category,
            min_grade=input.min_grade, max_grade=input.max_grade, lessons=lessons,
            audience=input.audience or enums.CourseAudience.PARENT, credit_hours=input.credit_hours))

    @strawberry.mutation(description="Offer a course at a school; only family-education pilot schools offer "
                                     "courses (INVALID_STATE otherwise). Offering twice changes nothing.")
    async def offer_course_at_school(self, info: Info, input: inputs.OfferCourseAtSchoolInput
                                     ) -> OfferCourseAtSchoolPayload:
        return await _changed(info, OfferCourseAtSchoolPayload, "course", Course.of, lambda: courses.offer_at_school(
            info.context.viewer, decode_id(input.course_id, "Course"), decode_id(input.school_id, "School")))

    @strawberry.mutation(description="Enrol in a course; enrolling again returns the existing enrolment.")
    async def enroll_in_course(self, info: Info, input: inputs.EnrollInCourseInput
                               ) -> EnrollInCoursePayload:
        return await _changed(info, EnrollInCoursePayload, "enrollment", Enrollment.of, lambda: courses.enroll(
            info.context.viewer, decode_id(input.course_id, "Course")))

    @strawberry.mutation(description="Mark a lesson done (again: no change). The last lesson completes the course "
                                      "and issues a certificate number.")
    async def complete_lesson(self, info: Info, input: inputs.CompleteLessonInput
                              ) -> CompleteLessonPayload:
        return await _changed(info, CompleteLessonPayload, "enrollment", Enrollment.of, lambda: courses.complete_lesson(
            info.context.viewer, decode_id(input.enrollment_id, "Enrollment"), decode_id(input.lesson_id, "Lesson")))

    @strawberry.mutation(description="Rate a course one to five stars, after enrolling; rating again replaces "
                                     "the earlier rating.")
    async def rate_course(self, info: Info, input: inputs.RateCourseInput
                          ) -> RateCoursePayload:
        return await _changed(info, RateCoursePayload, "course", Course.of, lambda: courses.rate(
            info.context.viewer, decode_id(input.course_id, "Course"), input.stars, input.comment))

    # -- sessions and seats

    @strawberry.mutation(description=(
        "Schedule an in-person session at a pilot school offering the course or at a station, taught by an active "
        "instructor whose time it books (CONFLICT if they are busy). Parents are reminded the day before; at the "
        "end, those who did not check in are marked absent."
    ))
    async def schedule_course_session(self, info: Info, input: inputs.ScheduleCourseSessionInput
                                      ) -> ScheduleCourseSessionPayload:
        plan = sessions.SessionPlan(
            course_id=decode_id(input.course_id, "Course"), starts_at=input.starts_at, ends_at=input.ends_at,
            school_id=decode_id(input.school_id, "School"), station_id=decode_id(input.station_id, "ServiceStation"),
            instructor_id=decode_id(input.instructor_id, "Instructor"), capacity=input.capacity,
            given={"school": input.school_id is not None, "station": input.station_id is not None,
                   "instructor": input.instructor_id is not None})
        return await _changed(info, ScheduleCourseSessionPayload, "session", CourseSession.of,
                              lambda: sessions.schedule(info.context.viewer, plan))

    @strawberry.mutation(description="Take a seat. A full session gives LIMIT_EXCEEDED: never more registrations "
                                     "than seats. Registering again returns the seat held.")
    async def register_for_course_session(self, info: Info, input: inputs.RegisterForCourseSessionInput
                                          ) -> RegisterForCourseSessionPayload:
        return await _changed(info, RegisterForCourseSessionPayload, "registration", SessionRegistration.of,
                              lambda: sessions.register(info.context.viewer,
                                                        decode_id(input.session_id, "CourseSession")))

    @strawberry.mutation(description=(
        "Wait for a seat at a full session that has not started: a freed seat goes to the first in line in the same "
        "transaction, and they are told. Seats still free or started: INVALID_STATE; holding a seat: CONFLICT; "
        "waiting already: the place held. The line holds as many as the session has seats (LIMIT_EXCEEDED)."
    ))
    async def join_course_session_waitlist(self, info: Info, input: inputs.JoinCourseSessionWaitlistInput
                                           ) -> JoinCourseSessionWaitlistPayload:
        return await _changed(info, JoinCourseSessionWaitlistPayload, "waitlist_entry", CourseSessionWaitlistEntry.of,
                              lambda: waitlists.join(info.context.viewer,
                                                     decode_id(input.session_id, "CourseSession")))

    @strawberry.mutation(description="Leave the line (those behind move up). Promoted already: INVALID_STATE, the "
                                     "seat is held (cancel the registration to give it back). Left already: no change.")
    async def leave_course_session_waitlist(self, info: Info, input: inputs.LeaveCourseSessionWaitlistInput
                                            ) -> LeaveCourseSessionWaitlistPayload:
        return await _changed(info, LeaveCourseSessionWaitlistPayload, "waitlist_entry", CourseSessionWaitlistEntry.of,
                              lambda: waitlists.leave(info.context.viewer,
                                                      decode_id(input.waitlist_entry_id,
                                                                "CourseSessionWaitlistEntry")))

    @strawberry.mutation(description="Give the seat back before the session starts; the first in line takes it at "
                                     "once, else it is free for others.")
    async def cancel_course_session_registration(
        self, info: Info, input: inputs.CancelCourseSessionRegistrationInput
    ) -> CancelCourseSessionRegistrationPayload:
        return await _changed(info, CancelCourseSessionRegistrationPayload, "registration", SessionRegistration.of,
                              lambda: sessions.cancel_registration(
                                  info.context.viewer, decode_id(input.registration_id, "SessionRegistration")))

    @strawberry.mutation(description="Check in with the code shown at the venue, from 30 minutes before the start "
                                     "to the end; wrong guesses are limited (RATE_LIMITED).")
    async def check_in_to_course_session(self, info: Info, input: inputs.CheckInToCourseSessionInput
                                         ) -> CheckInToCourseSessionPayload:
        return await _changed(info, CheckInToCourseSessionPayload, "registration", SessionRegistration.of,
                              lambda: sessions.check_in(info.context.viewer,
                                                        decode_id(input.session_id, "CourseSession"), input.code))

    # -- stations

    @strawberry.mutation(description="Open a community service station (city and district administrators).")
    async def create_service_station(self, info: Info, input: inputs.CreateServiceStationInput
                                     ) -> CreateServiceStationPayload:
        draft = stations.StationDraft(
            district_id=decode_id(input.district_id, "District"), name=input.name, community=input.community,
            address=input.address, latitude=input.latitude, longitude=input.longitude, phone=input.phone,
            services=list(input.services),
            opening_hours=[stations.OpeningHours(h.weekday, h.opens_at, h.closes_at) for h in input.opening_hours])
        return await _changed(info, CreateServiceStationPayload, "station", ServiceStation.of,
                              lambda: stations.create(info.context.viewer, draft))

    @strawberry.mutation(description="Put an instructor on duty at a station (its staff or administrators); "
                                     "again: no change.")
    async def assign_instructor_to_station(self, info: Info, input: inputs.AssignInstructorToStationInput
                                           ) -> AssignInstructorToStationPayload:
        return await _changed(info, AssignInstructorToStationPayload, "station", ServiceStation.of,
                              lambda: instructors.assign_to_station(
                                  info.context.viewer, decode_id(input.instructor_id, "Instructor"),
                                  decode_id(input.station_id, "ServiceStation")))

    # -- instructors

    @strawberry.mutation(description=(
        "Register a certified instructor (city and district administrators): the INSTRUCTOR role in the district, "
        "an account if the person has none, and reminders 90, 30 and 7 days before the certificate expires."
    ))
    async def certify_instructor(self, info: Info, input: inputs.CertifyInstructorInput) -> CertifyInstructorPayload:
        async def action() -> CertifyInstructorPayload:
            instructor, issued = await instructors.certify(info.context.viewer, instructors.Certification(
                phone=input.phone, display_name=input.display_name, certificate_number=input.certificate_number,
                certified_on=input.certified_on, expires_on=input.expires_on, specialties=list(input.specialties),
                district_id=decode_id(input.district_id, "District"), bio=input.bio))
            return CertifyInstructorPayload(instructor=Instructor.of(instructor), invitation=Invitation.of(issued))

        return await run(info, CertifyInstructorPayload, action)

    @strawberry.mutation(description="Suspend an instructor, or lift the suspension (administrators of their "
                                     "district). A suspended instructor takes no bookings and teaches no sessions.")
    async def suspend_instructor(self, info: Info, input: inputs.SuspendInstructorInput
                                 ) -> SuspendInstructorPayload:
        return await _changed(info, SuspendInstructorPayload, "instructor", Instructor.of, lambda: instructors.suspend(
            info.context.viewer, decode_id(input.instructor_id, "Instructor"), input.suspended))

    @strawberry.mutation(description="Replace the signed-in instructor's weekly availability; bookings made stay.")
    async def set_instructor_availability(self, info: Info, input: inputs.SetInstructorAvailabilityInput
                                          ) -> SetInstructorAvailabilityPayload:
        slots = [instructors.WeeklySlot(weekday=s.weekday, start_time=s.start_time, end_time=s.end_time,
                                        station_id=decode_id(s.station_id, "ServiceStation"),
                                        station_given=s.station_id is not None) for s in input.slots]
        return await _changed(info, SetInstructorAvailabilityPayload, "instructor", Instructor.of,
                              lambda: instructors.set_availability(info.context.viewer, slots))

    # -- consultations

    @strawberry.mutation(description=(
        "Book a consultation inside the instructor's availability; outside it, or overlapping another booking of "
        "theirs: CONFLICT. The instructor is notified and answers."
    ))
    async def book_consultation(self, info: Info, input: inputs.BookConsultationInput
                                ) -> BookConsultationPayload:
        booking = consultations.Booking(
            instructor_id=decode_id(input.instructor_id, "Instructor"), starts_at=input.starts_at,
            duration_minutes=input.duration_minutes, mode=input.mode, topic=input.topic,
            student_id=decode_id(input.student_id, "Student"), station_id=decode_id(input.station_id, "ServiceStation"),
            student_given=input.student_id is not None, station_given=input.station_id is not None)
        return await _changed(info, BookConsultationPayload, "consultation", Consultation.of,
                              lambda: consultations.book(info.context.viewer, booking))

    @strawberry.mutation(description="The instructor accepts or declines a request; declining frees the time. "
                                     "The family is notified.")
    async def respond_to_consultation(self, info: Info, input: inputs.RespondToConsultationInput
                                      ) -> RespondToConsultationPayload:
        return await _changed(info, RespondToConsultationPayload, "consultation", Consultation.of,
                              lambda: consultations.respond(
                                  info.context.viewer, decode_id(input.consultation_id, "Consultation"),
                                  input.accept, input.reason))

    @strawberry.mutation(description="Either side calls a requested or confirmed consultation off (who did is "
                                     "kept); the time is freed and the other side notified.")
    async def cancel_consultation(self, info: Info, input: inputs.CancelConsultationInput
                                  ) -> CancelConsultationPayload:
        return await _changed(info, CancelConsultationPayload, "consultation", Consultation.of,
                              lambda: consultations.cancel(
                                  info.context.viewer, decode_id(input.consultation_id, "Consultation"),
                                  input.reason))

    @strawberry.mutation(description="The instructor records a confirmed consultation that has started: private "
                                     "notes (sealed, theirs alone) and a summary for the family, who is notified.")
    async def complete_consultation(self, info: Info, input: inputs.CompleteConsultationInput
                                    ) -> CompleteConsultationPayload:
        return await _changed(info, CompleteConsultationPayload, "consultation", Consultation.of,
                              lambda: consultations.complete(
                                  info.context.viewer, decode_id(input.consultation_id, "Consultation"),
                                  input.notes, input.guardian_summary, input.follow_up_recommended))

    @strawberry.mutation(description="The family rates a completed consultation (again: replaces the rating).")
    async def rate_consultation(self, info: Info, input: inputs.RateConsultationInput
                                ) -> RateConsultationPayload:
        return await _changed(info, RateConsultationPayload, "consultation", Consultation.of,
                              lambda: consultations.rate(
                                  info.context.viewer, decode_id(input.consultation_id, "Consultation"),
                                  input.stars, input.comment))
