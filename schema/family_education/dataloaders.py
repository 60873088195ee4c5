"""Loaders of family education: courses and lessons, sessions and their waitlists, instructors and
consultations, and schools' guidance training."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from schema.common.dataloaders import LoaderSet, id_key, per_year
from services.family_education import consultations, courses, instructors, sessions, waitlists
from services.family_education.consultations import RatingSummary
from services.family_education.courses import LessonTotals, SchoolTraining
from services.family_education.models import (
    AvailabilitySlot,
    Consultation,
    Course,
    CourseSession,
    Enrollment,
    Instructor,
    Lesson,
    SessionRegistration,
    SessionWaitlistEntry,
)
from services.organisation.models import School


class FamilyEducationLoaders(LoaderSet):
    def prime_enrolled(self, enrolled: Sequence[courses.EnrolledIn]) -> None:
        """Hand the courses read with a parent's enrolments to the loaders that would fetch them again."""
        for item in enrolled:
            self.course.prime(item.course.id, item.course)
            self.lesson_totals.prime(item.course.id, item.totals)

    def prime_seats(self, seats: Sequence[sessions.Seat]) -> None:
        """Hand the sessions and courses read with a parent's seats to their loaders (the venues are the
        organisation's: ``prime_venue``)."""
        for seat in seats:
            self.session.prime(seat.session.id, seat.session)
            self.course.prime(seat.course.id, seat.course)

    # courses
    @property
    def course(self) -> DataLoader[uuid.UUID, Course | None]:
        return self._get("course", courses.courses_by_id)

    @property
    def lesson(self) -> DataLoader[uuid.UUID, Lesson | None]:
        return self._get("lesson", courses.lessons_by_id)

    @property
    def lessons_by_course(self) -> DataLoader[uuid.UUID, list[Lesson]]:
        return self._get("lessons_by_course", courses.lessons_of)

    @property
    def lesson_totals(self) -> DataLoader[uuid.UUID, LessonTotals]:
        return self._get("lesson_totals", courses.lesson_totals)

    @property
    def course_rating(self) -> DataLoader[uuid.UUID, RatingSummary]:
        return self._get("course_rating", courses.ratings_of)

    @property
    def offering_schools(self) -> DataLoader[uuid.UUID, list[uuid.UUID]]:
        return self._get("offering_schools", courses.offering_schools)

    @property
    def viewer_enrollment_by_course(self) -> DataLoader[uuid.UUID, Enrollment | None]:
        return self._get("viewer_enrollment_by_course", self._viewer(courses.enrollments_of_viewer))

    @property
    def visible_enrollment(self) -> DataLoader[uuid.UUID, Enrollment | None]:
        return self._get("visible_enrollment", self._viewer(courses.visible_enrollments_by_id))

    @property
    def completed_lessons(self) -> DataLoader[uuid.UUID, list[uuid.UUID]]:
        return self._get("completed_lessons", courses.completed_lessons)

    @property
    def school_training(self) -> DataLoader[tuple[School, int], SchoolTraining | None]:
        """By (school, year): its teachers' guidance training, for who may see it; a page of schools in one
        statement."""
        return self._get("school_training", per_year(self._viewer(courses.school_training_for)),
                         key=lambda key: (key[0].id, key[1]))

    # sessions and their waitlists
    @property
    def session(self) -> DataLoader[uuid.UUID, CourseSession | None]:
        return self._get("session", sessions.sessions_by_id)

    @property
    def upcoming_sessions_by_course(self) -> DataLoader[uuid.UUID, list[CourseSession]]:
        return self._get("upcoming_sessions_by_course", sessions.upcoming_of_courses)

    @property
    def session_manageable(self) -> DataLoader[CourseSession, bool]:
        return self._get("session_manageable", self._viewer(sessions.manageable), key=id_key)

    @property
    def waitlist_length(self) -> DataLoader[uuid.UUID, int]:
        return self._get("waitlist_length", waitlists.lengths)

    @property
    def waitlist_position(self) -> DataLoader[SessionWaitlistEntry, int | None]:
        return self._get("waitlist_position", waitlists.positions, key=id_key)

    @property
    def viewer_waitlist_entry(self) -> DataLoader[uuid.UUID, SessionWaitlistEntry | None]:
        return self._get("viewer_waitlist_entry", self._viewer(waitlists.viewer_entries))

    @property
    def viewer_registration(self) -> DataLoader[uuid.UUID, SessionRegistration | None]:
        return self._get("viewer_registration", self._viewer(waitlists.viewer_registrations))

    @property
    def visible_waitlist_entry(self) -> DataLoader[uuid.UUID, SessionWaitlistEntry | None]:
        return self._get("visible_waitlist_entry", self._viewer(waitlists.entries_by_id))

    @property
    def registrations_by_session(self) -> DataLoader[uuid.UUID, list[SessionRegistration]]:
        return self._get("registrations_by_session", sessions.registrations_of)

    @property
    def visible_registration(self) -> DataLoader[uuid.UUID, SessionRegistration | None]:
        return self._get("visible_registration", self._viewer(sessions.visible_registrations_by_id))

    # instructors and consultations
    @property
    def instructor(self) -> DataLoader[uuid.UUID, Instructor | None]:
        return self._get("instructor", instructors.instructors_by_id)

    @property
    def instructor_by_user(self) -> DataLoader[uuid.UUID, Instructor | None]:
        return self._get("instructor_by_user", instructors.instructors_of_users)

    @property
    def stations_by_instructor(self) -> DataLoader[uuid.UUID, list[uuid.UUID]]:
        return self._get("stations_by_instructor", instructors.stations_of)

    @property
    def instructors_by_station(self) -> DataLoader[uuid.UUID, list[Instructor]]:
        return self._get("instructors_by_station", instructors.instructors_at)

    @property
    def availability_by_instructor(self) -> DataLoader[uuid.UUID, list[AvailabilitySlot]]:
        return self._get("availability_by_instructor", instructors.availability_of)

    @property
    def instructor_rating(self) -> DataLoader[uuid.UUID, RatingSummary]:
        return self._get("instructor_rating", consultations.instructor_ratings)

    @property
    def visible_consultation(self) -> DataLoader[uuid.UUID, Consultation | None]:
        return self._get("visible_consultation", self._viewer(consultations.visible_consultations_by_id))
