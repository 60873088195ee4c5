"""Inputs of the family-education operations."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.family_education.enums import ConsultationMode, CourseAudience, CourseCategory, LessonKind


@strawberry.input(description="Narrows the course catalogue.")
class CourseFilter:
    audience: CourseAudience | None = strawberry.field(
        default=None, description="Whose courses: left out, PARENT. TEACHER courses exist for teachers, counsellors "
                                  "and administrators only.")
    category: CourseCategory | None = strawberry.field(default=None, description="Only this category.")
    school_id: strawberry.ID | None = strawberry.field(default=None, description="Only courses this school offers.")
    for_student_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only courses that suit this child's grade (a child the viewer may see).")
    search: str | None = strawberry.field(
        default=None, description="Words of the title or summary; Chinese text is matched by its characters.")


@strawberry.input(description="A lesson of a new course.")
class LessonInput:
    title: str = strawberry.field(description="Title of the lesson.")
    kind: LessonKind = strawberry.field(description="How it is given.")
    duration_minutes: int = strawberry.field(description="How long it takes (1 to 600).")
    content_url: str | None = strawberry.field(default=None, description="Where its video or text is (http/https).")


@strawberry.input(description="A new course of the catalogue.")
class CreateCourseInput:
    title: str = strawberry.field(description="Title (at most 100 characters).")
    summary: str = strawberry.field(description="What it teaches.")
    category: CourseCategory = strawberry.field(description="What it is about.")
    min_grade: int = strawberry.field(description="Lowest grade it suits (1 to 12).")
    max_grade: int = strawberry.field(description="Highest grade it suits (1 to 12).")
    lessons: list[LessonInput] = strawberry.field(description="Lessons in order (1 to 50).")
    audience: CourseAudience | None = strawberry.field(default=None, description="Who it is for; left out, PARENT.")
    credit_hours: int | None = strawberry.field(
        default=None, description="Credit hours (学时), 1 to 100: needed for a TEACHER course, refused for PARENT.")


@strawberry.input(description="Narrows a person's enrolments.")
class EnrollmentFilter:
    audience: CourseAudience | None = strawberry.field(default=None,
                                                       description="Only enrolments in courses for this audience.")


@strawberry.input(description="A course to offer at a pilot school.")
class OfferCourseAtSchoolInput:
    course_id: strawberry.ID = strawberry.field(description="The course.")
    school_id: strawberry.ID = strawberry.field(description="A family-education pilot school.")


@strawberry.input(description="Narrows a list of course sessions.")
class CourseSessionFilter:
    upcoming: bool | None = strawberry.field(default=None, description="Only sessions that have not ended.")


@strawberry.input(description="An in-person session of a course.")
class ScheduleCourseSessionInput:
    course_id: strawberry.ID = strawberry.field(description="The course.")
    starts_at: dt.datetime = strawberry.field(description="Timestamp it starts at (in the future).")
    ends_at: dt.datetime = strawberry.field(description="Timestamp it ends at (at most 8 hours later).")
    school_id: strawberry.ID | None = strawberry.field(
        default=None, description="The pilot school it takes place at (one that offers the course)…")
    station_id: strawberry.ID | None = strawberry.field(default=None, description="…or the service station.")
    instructor_id: strawberry.ID | None = strawberry.field(
        default=None, description="The active instructor who teaches it; their time is booked.")
    capacity: int = strawberry.field(description="Seats (1 to 500).")


@strawberry.input(description="A course to enrol in.")
class EnrollInCourseInput:
    course_id: strawberry.ID = strawberry.field(description="The course.")


@strawberry.input(description="A lesson done.")
class CompleteLessonInput:
    enrollment_id: strawberry.ID = strawberry.field(description="The parent's enrolment.")
    lesson_id: strawberry.ID = strawberry.field(description="A lesson of its course.")


@strawberry.input(description="A seat to take.")
class RegisterForCourseSessionInput:
    session_id: strawberry.ID = strawberry.field(description="The session (not yet started).")


@strawberry.input(description="A full session to wait for a seat at.")
class JoinCourseSessionWaitlistInput:
    session_id: strawberry.ID = strawberry.field(description="The session (full, not yet started).")


@strawberry.input(description="A place in line to give up.")
class LeaveCourseSessionWaitlistInput:
    waitlist_entry_id: strawberry.ID = strawberry.field(description="The place in line.")


@strawberry.input(description="A seat to give back.")
class CancelCourseSessionRegistrationInput:
    registration_id: strawberry.ID = strawberry.field(description="The registration (before the session starts).")


@strawberry.input(description="Attendance at a session.")
class CheckInToCourseSessionInput:
    session_id: strawberry.ID = strawberry.field(description="The session.")
    code: str = strawberry.field(description="The code shown at the venue.")


@strawberry.input(description="A parent's rating of a course.")
class RateCourseInput:
    course_id: strawberry.ID = strawberry.field(description="A course the parent enrolled in.")
    stars: int = strawberry.field(description="One to five.")
    comment: str | None = strawberry.field(default=None, description="Their words (at most 500 characters).")


@strawberry.input(description="When a station is open on one weekday, in local time.")
class OpeningHoursInput:
    weekday: int = strawberry.field(description="ISO weekday: 1 = Monday … 7 = Sunday.")
    opens_at: str = strawberry.field(description="Local time it opens, HH:MM.")
    closes_at: str = strawberry.field(description="Local time it closes, HH:MM (after it opens).")


@strawberry.input(description="A new community service station.")
class CreateServiceStationInput:
    district_id: strawberry.ID = strawberry.field(description="District it serves.")
    name: str = strawberry.field(description="Name of the station.")
    community: str = strawberry.field(description="Community (社区) it serves.")
    address: str = strawberry.field(description="Where it is.")
    latitude: float = strawberry.field(description="Degrees north (WGS-84).")
    longitude: float = strawberry.field(description="Degrees east (WGS-84).")
    phone: str | None = strawberry.field(default=None, description="The station's public telephone.")
    services: list[str] = strawberry.field(description="What it offers families (at most 20).")
    opening_hours: list[OpeningHoursInput] = strawberry.field(description="Opening hours per weekday.")


@strawberry.input(description="An instructor to put on duty at a station.")
class AssignInstructorToStationInput:
    instructor_id: strawberry.ID = strawberry.field(description="The instructor.")
    station_id: strawberry.ID = strawberry.field(description="The station.")


@strawberry.input(description="Narrows the instructors' directory.")
class InstructorFilter:
    district_id: strawberry.ID | None = strawberry.field(default=None, description="Only this district's.")
    specialty: str | None = strawberry.field(default=None, description="Only those with this specialty.")
    station_id: strawberry.ID | None = strawberry.field(default=None, description="Only those on duty there.")


@strawberry.input(description="A certified instructor to register.")
class CertifyInstructorInput:
    phone: str = strawberry.field(description="Mobile number (11 digits); an account is made if there is none.")
    display_name: str = strawberry.field(description="Name shown to families.")
    certificate_number: str = strawberry.field(description="Number of the certificate (unique).")
    certified_on: dt.date = strawberry.field(description="Date of certification.")
    expires_on: dt.date = strawberry.field(description="Last day the certificate holds.")
    specialties: list[str] = strawberry.field(description="What they counsel on (1 to 10).")
    district_id: strawberry.ID = strawberry.field(description="District they are certified in.")
    bio: str | None = strawberry.field(default=None, description="About them.")


@strawberry.input(description="An instructor to suspend or reinstate.")
class SuspendInstructorInput:
    instructor_id: strawberry.ID = strawberry.field(description="The instructor.")
    suspended: bool = strawberry.field(description="True to suspend, false to lift the suspension.")


@strawberry.input(description="A weekly window for consultations, in local time.")
class WeeklySlotInput:
    weekday: int = strawberry.field(description="ISO weekday: 1 = Monday … 7 = Sunday.")
    start_time: str = strawberry.field(description="Local time it starts, HH:MM.")
    end_time: str = strawberry.field(description="Local time it ends, HH:MM (after it starts).")
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="A station the instructor is on duty at, for in-person consultations.")


@strawberry.input(description="The instructor's weekly availability.")
class SetInstructorAvailabilityInput:
    slots: list[WeeklySlotInput] = strawberry.field(description="Replaces the previous windows (at most 50).")


@strawberry.input(description="A consultation to book.")
class BookConsultationInput:
    instructor_id: strawberry.ID = strawberry.field(description="An active instructor.")
    starts_at: dt.datetime = strawberry.field(description="Timestamp it starts at, inside their availability.")
    duration_minutes: int = strawberry.field(description="Length, 30 to 120 minutes.")
    mode: ConsultationMode = strawberry.field(description="How it takes place.")
    topic: str = strawberry.field(description="What the family wants to talk about.")
    student_id: strawberry.ID | None = strawberry.field(default=None, description="The child it is about.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="Where, in person: a station the instructor is on duty at.")


@strawberry.input(description="The instructor's answer to a request.")
class RespondToConsultationInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation.")
    accept: bool = strawberry.field(description="True to confirm, false to decline.")
    reason: str | None = strawberry.field(default=None, description="Why it is declined.")


@strawberry.input(description="A consultation to call off.")
class CancelConsultationInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation.")
    reason: str | None = strawberry.field(default=None, description="Why.")


@strawberry.input(description="The record of a consultation that took place.")
class CompleteConsultationInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation (confirmed, started).")
    notes: str | None = strawberry.field(default=None, description="The instructor's private notes (sealed).")
    guardian_summary: str = strawberry.field(description="What the family sees.")
    follow_up_recommended: bool = strawberry.field(description="Indicates another consultation is recommended.")


@strawberry.input(description="The family's rating of a completed consultation.")
class RateConsultationInput:
    consultation_id: strawberry.ID = strawberry.field(description="The consultation.")
    stars: int = strawberry.field(description="One to five.")
    comment: str | None = strawberry.field(default=None, description="Their words (at most 500 characters).")


@strawberry.input(description="Narrows a list of consultations.")
class ConsultationFilter:
    from_: dt.datetime | None = strawberry.field(default=None, name="from",
                                                 description="Only those ending after this.")
    to: dt.datetime | None = strawberry.field(default=None, description="Only those starting before this.")
