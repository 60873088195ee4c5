"""Family education: courses and their lessons, enrolments, in-person sessions, certified
instructors, their availability and consultations."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, ClassVar

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.models import Model

from services.enums import (
    ConsultationMode,
    ConsultationParty,
    ConsultationStatus,
    CourseAudience,
    CourseCategory,
    LessonKind,
    RegistrationStatus,
    WaitlistStatus,
)
from services.ids import new_id

if TYPE_CHECKING:
    from services.identity.models import User
    from services.organisation.models import District, School, ServiceStation, Student


class Course(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    title = fields.CharField(max_length=100)
    summary = fields.TextField()
    category = fields.CharEnumField(CourseCategory, max_length=24)
    #: Parents, or teachers (guidance training, which carries credit hours).
    audience = fields.CharEnumField(CourseAudience, max_length=8, default=CourseAudience.PARENT,
                                    db_default=CourseAudience.PARENT.value)
    #: 学时 a TEACHER course earns on completion (1 to 100); None for PARENT courses.
    credit_hours = fields.SmallIntField(null=True)
    min_grade = fields.SmallIntField()
    max_grade = fields.SmallIntField()
    #: Search terms of title and summary: words, and single characters and pairs of Chinese text
    #: (services.family_education.search), under a GIN index.
    search_terms: fields.JSONField[list[str]] = fields.JSONField(default=list)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    created_by_id: uuid.UUID | None
    created_at = fields.DatetimeField(db_default=Now())
    #: Left out of the courses read with a screen (db.STATEMENT_ONLY_COLUMNS): a few hundred terms
    #: per course that only the search's statement reads.
    statement_only_columns: ClassVar[tuple[str, ...]] = ("search_terms",)

    class Meta:
        table = "course"
        indexes = (("category", "created_at"),)


class Lesson(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    course: fields.ForeignKeyRelation[Course] = fields.ForeignKeyField(
        "coedu.Course", related_name=False, on_delete=fields.CASCADE)
    course_id: uuid.UUID
    position = fields.SmallIntField()
    title = fields.CharField(max_length=100)
    kind = fields.CharEnumField(LessonKind, max_length=16)
    duration_minutes = fields.SmallIntField()
    content_url = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "lesson"
        unique_together = (("course_id", "position"),)


class CourseOffering(Model):
    """A course taught at a family-education pilot school."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    course: fields.ForeignKeyRelation[Course] = fields.ForeignKeyField(
        "coedu.Course", related_name=False, on_delete=fields.CASCADE)
    course_id: uuid.UUID
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "coedu.School", related_name=False, on_delete=fields.CASCADE)
    school_id: uuid.UUID
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "course_offering"
        unique_together = (("course_id", "school_id"),)
        indexes = (("school_id",),)


class Enrollment(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    course: fields.ForeignKeyRelation[Course] = fields.ForeignKeyField(
        "coedu.Course", related_name=False, on_delete=fields.RESTRICT)
    course_id: uuid.UUID
    guardian: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    guardian_id: uuid.UUID
    enrolled_at = fields.DatetimeField(db_default=Now())
    completed_lessons = fields.SmallIntField(default=0)
    completed_at = fields.DatetimeField(null=True)
    certificate_number = fields.CharField(max_length=32, null=True, unique=True)

    class Meta:
        table = "enrollment"
        unique_together = (("course_id", "guardian_id"),)
        indexes = (("guardian_id", "enrolled_at"),)


class LessonCompletion(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    enrollment: fields.ForeignKeyRelation[Enrollment] = fields.ForeignKeyField(
        "coedu.Enrollment", related_name=False, on_delete=fields.CASCADE)
    enrollment_id: uuid.UUID
    lesson: fields.ForeignKeyRelation[Lesson] = fields.ForeignKeyField(
        "coedu.Lesson", related_name=False, on_delete=fields.CASCADE)
    lesson_id: uuid.UUID
    completed_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "lesson_completion"
        unique_together = (("enrollment_id", "lesson_id"),)


class CourseRating(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    course: fields.ForeignKeyRelation[Course] = fields.ForeignKeyField(
        "coedu.Course", related_name=False, on_delete=fields.CASCADE)
    course_id: uuid.UUID
    guardian: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    guardian_id: uuid.UUID
    stars = fields.SmallIntField()
    comment = fields.CharField(max_length=500, null=True)
    rated_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "course_rating"
        unique_together = (("course_id", "guardian_id"),)


class Instructor(Model):
    """A certified city-level family-education guidance instructor."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "coedu.User", related_name=False, on_delete=fields.RESTRICT)
    user_id: uuid.UUID
    certificate_number = fields.CharField(max_length=32, unique=True)
    certified_on = fields.DateField()
    expires_on = fields.DateField()
    specialties: fields.JSONField[list[str]] = fields.JSONField(default=list)
    district: fields.ForeignKeyRelation[District] = fields.ForeignKeyField(
        "coedu.District", related_name=False, on_delete=fields.RESTRICT)
    district_id: uuid.UUID
    bio = fields.TextField(null=True)
    suspended_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "instructor"
        indexes = (("district_id",),)


class InstructorStation(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    instructor: fields.ForeignKeyRelation[Instructor] = fields.ForeignKeyField(
        "coedu.Instructor", related_name=False, on_delete=fields.CASCADE)
    instructor_id: uuid.UUID
    station: fields.ForeignKeyRelation[ServiceStation] = fields.ForeignKeyField(
        "coedu.ServiceStation", related_name=False, on_delete=fields.CASCADE)
    station_id: uuid.UUID

    class Meta:
        table = "instructor_station"
        unique_together = (("instructor_id", "station_id"),)
        indexes = (("station_id",),)


class AvailabilitySlot(Model):
    """A weekly window the instructor takes consultations in (local time, ISO weekday)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    instructor: fields.ForeignKeyRelation[Instructor] = fields.ForeignKeyField(
        "coedu.Instructor", related_name=False, on_delete=fields.CASCADE)
    instructor_id: uuid.UUID
    weekday = fields.SmallIntField()
    start_time = fields.TimeField()
    end_time = fields.TimeField()
    station: fields.ForeignKeyNullableRelation[ServiceStation] = fields.ForeignKeyField(
        "coedu.ServiceStation", related_name=False, null=True, on_delete=fields.SET_NULL)
    station_id: uuid.UUID | None

    class Meta:
        table = "instructor_availability"
        indexes = (("instructor_id", "weekday"),)

    # Wall-clock times in the programme's zone; the ORM may hand TIME values back with a UTC offset.
    @property
    def opens(self) -> dt.time:
        return self.start_time.replace(tzinfo=None)

    @property
    def closes(self) -> dt.time:
        return self.end_time.replace(tzinfo=None)


class CourseSession(Model):
    """An in-person session of a course at a pilot school or a service station."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    course: fields.ForeignKeyRelation[Course] = fields.ForeignKeyField(
        "coedu.Course", related_name=False, on_delete=fields.RESTRICT)
    course_id: uuid.UUID
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    school: fields.ForeignKeyNullableRelation[School] = fields.ForeignKeyField(
        "coedu.School", related_name=False, null=True, on_delete=fields.RESTRICT)
    school_id: uuid.UUID | None
    station: fields.ForeignKeyNullableRelation[ServiceStation] = fields.ForeignKeyField(
        "coedu.ServiceStation", related_name=False, null=True, on_delete=fields.RESTRICT)
    station_id: uuid.UUID | None
    instructor: fields.ForeignKeyNullableRelation[Instructor] = fields.ForeignKeyField(
        "coedu.Instructor", related_name=False, null=True, on_delete=fields.RESTRICT)
    instructor_id: uuid.UUID | None
    capacity = fields.SmallIntField()
    #: Seats taken; the conditional UPDATE that takes one is what keeps registrations within capacity.
    registered = fields.SmallIntField(default=0)
    check_in_code = fields.CharField(max_length=8)
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "course_session"
        indexes = (("course_id", "starts_at"), ("instructor_id", "starts_at"))


class SessionRegistration(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    session: fields.ForeignKeyRelation[CourseSession] = fields.ForeignKeyField(
        "coedu.CourseSession", related_name=False, on_delete=fields.CASCADE)
    session_id: uuid.UUID
    guardian: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    guardian_id: uuid.UUID
    status = fields.CharEnumField(RegistrationStatus, max_length=16, default=RegistrationStatus.REGISTERED)
    registered_at = fields.DatetimeField(db_default=Now())
    cancelled_at = fields.DatetimeField(null=True)
    checked_in_at = fields.DatetimeField(null=True)

    class Meta:
        table = "session_registration"
        indexes = (("guardian_id", "registered_at"), ("session_id", "status"))


class SessionWaitlistEntry(Model):
    """A place in line for a full session; a freed seat goes to the first WAITING entry."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    session: fields.ForeignKeyRelation[CourseSession] = fields.ForeignKeyField(
        "coedu.CourseSession", related_name=False, on_delete=fields.CASCADE)
    session_id: uuid.UUID
    guardian: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    guardian_id: uuid.UUID
    status = fields.CharEnumField(WaitlistStatus, max_length=16, default=WaitlistStatus.WAITING)
    joined_at = fields.DatetimeField(db_default=Now())
    promoted_at = fields.DatetimeField(null=True)
    left_at = fields.DatetimeField(null=True)
    #: The seat it became, once PROMOTED.
    registration: fields.ForeignKeyNullableRelation[SessionRegistration] = fields.ForeignKeyField(
        "coedu.SessionRegistration", related_name=False, null=True, on_delete=fields.SET_NULL)
    registration_id: uuid.UUID | None

    class Meta:
        table = "session_waitlist_entry"
        indexes = (("session_id", "status", "joined_at"), ("guardian_id", "joined_at"))


class Consultation(Model):
    """A one-to-one guidance consultation between an instructor and a guardian."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    instructor: fields.ForeignKeyRelation[Instructor] = fields.ForeignKeyField(
        "coedu.Instructor", related_name=False, on_delete=fields.RESTRICT)
    instructor_id: uuid.UUID
    guardian: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.RESTRICT)
    guardian_id: uuid.UUID
    student: fields.ForeignKeyNullableRelation[Student] = fields.ForeignKeyField(
        "coedu.Student", related_name=False, null=True, on_delete=fields.SET_NULL)
    student_id: uuid.UUID | None
    station: fields.ForeignKeyNullableRelation[ServiceStation] = fields.ForeignKeyField(
        "coedu.ServiceStation", related_name=False, null=True, on_delete=fields.SET_NULL)
    station_id: uuid.UUID | None
    mode = fields.CharEnumField(ConsultationMode, max_length=16)
    #: Sealed, as every word about the family is (the topic, reasons, summary, comment).
    topic_sealed = fields.BinaryField()
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    status = fields.CharEnumField(ConsultationStatus, max_length=16, default=ConsultationStatus.REQUESTED)
    cancelled_by = fields.CharEnumField(ConsultationParty, max_length=12, null=True)
    reason_sealed = fields.BinaryField(null=True)
    #: The instructor's private notes (sealed); the guardian sees only the summary.
    notes_sealed = fields.BinaryField(null=True)
    guardian_summary_sealed = fields.BinaryField(null=True)
    follow_up_recommended = fields.BooleanField(null=True)
    completed_at = fields.DatetimeField(null=True)
    #: The family's rating of a completed consultation; the instructor's average is made of these.
    rating_stars = fields.SmallIntField(null=True)
    rating_comment_sealed = fields.BinaryField(null=True)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "consultation"
        indexes = (("instructor_id", "starts_at"), ("guardian_id", "starts_at"))


class InstructorBooking(Model):
    """An instructor's time held by a consultation or a session they teach. An exclusion constraint
    (migration) forbids overlaps: no double booking, whatever runs at once."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    instructor: fields.ForeignKeyRelation[Instructor] = fields.ForeignKeyField(
        "coedu.Instructor", related_name=False, on_delete=fields.CASCADE)
    instructor_id: uuid.UUID
    consultation: fields.ForeignKeyNullableRelation[Consultation] = fields.ForeignKeyField(
        "coedu.Consultation", related_name=False, null=True, on_delete=fields.CASCADE)
    consultation_id: uuid.UUID | None
    session: fields.ForeignKeyNullableRelation[CourseSession] = fields.ForeignKeyField(
        "coedu.CourseSession", related_name=False, null=True, on_delete=fields.CASCADE)
    session_id: uuid.UUID | None
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()

    class Meta:
        table = "instructor_booking"
