"""The one place where access is decided.

Deny by default. Every root operation of the API has a rule here
(``OPERATIONS``); an operation without one is refused, and the authorization
matrix test fails. Object-level decisions are of two kinds:

- *visibility* filters (``visible_*``), applied in SQL before pagination, so a
  list never shows what the viewer may not see and ``node(id:)`` answers
  ``null`` alike for missing and forbidden;
- *authority* predicates (``may_*``), asked by the services before a change.

Relationships come from the principal's role assignments (loaded per request
from PostgreSQL, cached in Redis) and from the data itself (guardian of,
teaches, homeroom teacher of), expressed as subqueries.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from functools import cached_property

from tortoise.expressions import Q, Subquery

from services.enums import (
    AlertSeverity,
    ColumnEpisodeStatus,
    CourseAudience,
    EscalationLevel,
    HomeVisitStatus,
    Role,
    Side,
)
from services.errors import Forbidden, Unauthenticated


@dataclass(frozen=True)
class RoleGrant:
    role: Role
    #: The scope: a school, a district, a station, or none of them (the city).
    school_id: uuid.UUID | None = None
    district_id: uuid.UUID | None = None
    station_id: uuid.UUID | None = None
    #: The district the scope lies in (a school's or station's district, or the district itself).
    in_district_id: uuid.UUID | None = None

    @property
    def is_city_wide(self) -> bool:
        return self.school_id is None and self.district_id is None and self.station_id is None


@dataclass(frozen=True)
class Principal:
    """Who is asking: the signed-in user, their session and their roles."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    display_name: str
    grants: tuple[RoleGrant, ...] = field(default_factory=tuple)

    def has(self, *roles: Role) -> bool:
        return any(g.role in roles for g in self.grants)

    def _scopes(self, role: Role, attribute: str) -> frozenset[uuid.UUID]:
        return frozenset(getattr(g, attribute) for g in self.grants if g.role == role and getattr(g, attribute))

    @cached_property
    def is_city_admin(self) -> bool:
        return any(g.role == Role.CITY_ADMIN for g in self.grants)

    @cached_property
    def admin_districts(self) -> frozenset[uuid.UUID]:
        return self._scopes(Role.DISTRICT_ADMIN, "district_id")

    @cached_property
    def admin_schools(self) -> frozenset[uuid.UUID]:
        return self._scopes(Role.SCHOOL_ADMIN, "school_id")

    @cached_property
    def teacher_schools(self) -> frozenset[uuid.UUID]:
        return self._scopes(Role.TEACHER, "school_id")

    @cached_property
    def counsellor_schools(self) -> frozenset[uuid.UUID]:
        return self._scopes(Role.COUNSELLOR, "school_id")

    @cached_property
    def counsellor_districts(self) -> frozenset[uuid.UUID]:
        return self._scopes(Role.COUNSELLOR, "district_id")

    @cached_property
    def is_city_counsellor(self) -> bool:
        return any(g.role == Role.COUNSELLOR and g.is_city_wide for g in self.grants)

    @cached_property
    def staff_stations(self) -> frozenset[uuid.UUID]:
        return self._scopes(Role.STATION_STAFF, "station_id")

    @property
    def is_administrator(self) -> bool:
        return self.has(Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN)


# --------------------------------------------------------------------------
# Operations: who may call each root field at all.


@dataclass(frozen=True)
class OperationRule:
    public: bool = False
    #: None: any signed-in user; otherwise one of these roles is needed.
    roles: frozenset[Role] | None = None


PUBLIC = OperationRule(public=True)
SIGNED_IN = OperationRule()


def roles(*allowed: Role) -> OperationRule:
    return OperationRule(roles=frozenset(allowed))


ADMINISTRATORS = roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN)

OPERATIONS: dict[str, OperationRule] = {
    # account
    "login": PUBLIC,
    "activateAccount": PUBLIC,
    "refreshSession": PUBLIC,
    # the refresh token itself is the credential: an app whose access token expired can still sign out
    "logout": PUBLIC,
    "privacyNotice": PUBLIC,
    "changePassword": SIGNED_IN,
    "viewer": SIGNED_IN,
    "node": SIGNED_IN,
    # organisation
    "districts": SIGNED_IN,
    "schools": SIGNED_IN,
    "createSchool": roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN),
    "updateSchool": ADMINISTRATORS,
    "createSchoolClass": ADMINISTRATORS,
    "assignClassTeacher": ADMINISTRATORS,
    "assignRole": ADMINISTRATORS,
    "revokeRole": ADMINISTRATORS,
    "enrollStudent": ADMINISTRATORS,
    "linkGuardian": roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN, Role.TEACHER),
    "transferStudent": ADMINISTRATORS,
    "startRosterImport": roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN),
    "rosterImports": roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN),
    # audit
    "auditEvents": roles(Role.CITY_ADMIN),
    # wellbeing
    "raiseWellbeingAlert": roles(Role.TEACHER, Role.PARENT, Role.INSTRUCTOR, Role.COUNSELLOR),
    "wellbeingAlerts": SIGNED_IN,
    "acknowledgeWellbeingAlert": roles(Role.COUNSELLOR),
    "escalateWellbeingAlert": roles(Role.COUNSELLOR),
    "assignWellbeingAlert": roles(Role.COUNSELLOR),
    "addWellbeingAlertNote": roles(Role.COUNSELLOR),
    "resolveWellbeingAlert": roles(Role.COUNSELLOR),
    "shareWellbeingAlertWithGuardians": roles(Role.COUNSELLOR),
    "wellbeingAlertEvents": roles(Role.COUNSELLOR),
    "escalationPolicies": SIGNED_IN,
    "setEscalationPolicy": roles(Role.CITY_ADMIN),
    # home visits
    "proposeHomeVisit": roles(Role.TEACHER, Role.SCHOOL_ADMIN),
    "respondToHomeVisit": roles(Role.PARENT),
    "rescheduleHomeVisit": roles(Role.TEACHER, Role.SCHOOL_ADMIN),
    "cancelHomeVisit": roles(Role.TEACHER, Role.SCHOOL_ADMIN, Role.PARENT),
    "recordHomeVisit": roles(Role.TEACHER, Role.SCHOOL_ADMIN),
    "giveHomeVisitFeedback": roles(Role.PARENT),
    "homeVisits": SIGNED_IN,
    "homeVisitCoverage": ADMINISTRATORS,
    "programmeDashboard": roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN),
    "resetHomeVisitCalendarUrl": roles(Role.TEACHER, Role.SCHOOL_ADMIN),
    # family education
    "courses": SIGNED_IN,
    "verifyCourseCertificate": PUBLIC,
    "createCourse": roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN),
    "offerCourseAtSchool": ADMINISTRATORS,
    "scheduleCourseSession": roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN, Role.STATION_STAFF),
    # the guidance training's takers are teachers; who may see a TEACHER course but not take it is told
    # INVALID_STATE, whoever may not take a PARENT course FORBIDDEN (services.family_education.courses)
    "enrollInCourse": roles(Role.PARENT, Role.TEACHER, Role.COUNSELLOR, Role.SCHOOL_ADMIN, Role.DISTRICT_ADMIN,
                            Role.CITY_ADMIN),
    "completeLesson": roles(Role.PARENT, Role.TEACHER),
    "rateCourse": roles(Role.PARENT),
    "registerForCourseSession": roles(Role.PARENT, Role.TEACHER),
    "cancelCourseSessionRegistration": roles(Role.PARENT, Role.TEACHER),
    "checkInToCourseSession": roles(Role.PARENT, Role.TEACHER),
    "joinCourseSessionWaitlist": roles(Role.PARENT, Role.TEACHER),
    "leaveCourseSessionWaitlist": roles(Role.PARENT, Role.TEACHER),
    "serviceStationsNear": SIGNED_IN,
    "createServiceStation": roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN),
    "assignInstructorToStation": roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.STATION_STAFF),
    "instructors": SIGNED_IN,
    "certifyInstructor": roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN),
    "suspendInstructor": roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN),
    "setInstructorAvailability": roles(Role.INSTRUCTOR),
    "consultations": SIGNED_IN,
    "bookConsultation": roles(Role.PARENT),
    "respondToConsultation": roles(Role.INSTRUCTOR),
    "cancelConsultation": roles(Role.PARENT, Role.INSTRUCTOR),
    "completeConsultation": roles(Role.INSTRUCTOR),
    "rateConsultation": roles(Role.PARENT),
    # notifications
    "notificationReceived": SIGNED_IN,
    "markNotificationsRead": SIGNED_IN,
    "registerPushDevice": SIGNED_IN,
    # the family's home address
    "setHomeAddress": roles(Role.PARENT),
    # school notices
    "sendNotice": roles(Role.TEACHER, Role.SCHOOL_ADMIN, Role.DISTRICT_ADMIN),
    "readNotice": roles(Role.PARENT),
    "confirmNotice": roles(Role.PARENT),
    "remindUnconfirmedNotice": roles(Role.TEACHER, Role.SCHOOL_ADMIN, Role.DISTRICT_ADMIN),
    "recallNotice": roles(Role.TEACHER, Role.SCHOOL_ADMIN, Role.DISTRICT_ADMIN),
    # the 静待花开 column
    "columnEpisodes": SIGNED_IN,
    "columnFacets": SIGNED_IN,
    "recordColumnEpisodeProgress": SIGNED_IN,
    "createColumnEpisode": roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN),
    "updateColumnEpisode": roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN),
    "setColumnEpisodePublished": roles(Role.CITY_ADMIN, Role.DISTRICT_ADMIN),
}


def authorize_operation(principal: Principal | None, operation: str) -> None:
    """Raise unless ``principal`` may call ``operation`` at all (deny by default)."""
    rule = OPERATIONS.get(operation)
    if rule is None:
        raise Forbidden(operation)
    if rule.public:
        return
    if principal is None:
        raise Unauthenticated(operation)
    if rule.roles is not None and not principal.has(*rule.roles):
        raise Forbidden(operation)


def require(condition: bool) -> None:
    """For a service: the operation is allowed, but not on this object."""
    if not condition:
        raise Forbidden()


# --------------------------------------------------------------------------
# Authority over the organisation.


def may_administer_district(p: Principal, district_id: uuid.UUID) -> bool:
    return p.is_city_admin or district_id in p.admin_districts


def may_administer_school(p: Principal, school_id: uuid.UUID, district_id: uuid.UUID) -> bool:
    return may_administer_district(p, district_id) or school_id in p.admin_schools


def may_import_roster(p: Principal) -> bool:
    """Roster imports from the console: the city's administrators, and district administrators for
    their district's schools (``roster_districts``)."""
    return p.is_city_admin or bool(p.admin_districts)


def roster_districts(p: Principal) -> list[str] | None:
    """The districts whose schools the principal's imports may touch; None: the whole city."""
    return None if p.is_city_admin else sorted(str(d) for d in p.admin_districts)


def may_see_roster_run(p: Principal, districts: list[str] | None) -> bool:
    """City administrators see every import; a district administrator those limited to districts of theirs."""
    if p.is_city_admin:
        return True
    return districts is not None and bool(districts) and {uuid.UUID(d) for d in districts} <= p.admin_districts


def may_set_pilot_flag(p: Principal, district_id: uuid.UUID) -> bool:
    # Which schools pilot the family-education programme is the bureau's decision, not the school's.
    return may_administer_district(p, district_id)


def may_assign_role(p: Principal, grant: RoleGrant) -> bool:
    """Who may grant (or revoke) a role in a scope.

    The city administrator: anything. A district administrator: school roles
    in their district's schools, district counsellors and station staff of
    their district. A school administrator: teachers and counsellors of their
    school.
    """
    if p.is_city_admin:
        return True
    if grant.role in (Role.CITY_ADMIN, Role.DISTRICT_ADMIN) or grant.is_city_wide:
        return False
    if grant.in_district_id in p.admin_districts:
        return True
    return grant.school_id in p.admin_schools and grant.role in (Role.TEACHER, Role.COUNSELLOR)


def may_link_guardian(p: Principal, *, school_id: uuid.UUID, district_id: uuid.UUID,
                      homeroom_teacher_id: uuid.UUID | None) -> bool:
    return may_administer_school(p, school_id, district_id) or (
        homeroom_teacher_id == p.user_id and school_id in p.teacher_schools
    )


def may_transfer(p: Principal, *, source: tuple[uuid.UUID, uuid.UUID], target: tuple[uuid.UUID, uuid.UUID]) -> bool:
    """Moving a student needs authority over both the school they leave and the one they join."""
    return may_administer_school(p, *source) and may_administer_school(p, *target)


def may_see_school_figures(p: Principal, school_id: uuid.UUID, district_id: uuid.UUID) -> bool:
    return (
        may_administer_school(p, school_id, district_id)
        or school_id in p.teacher_schools
        or school_id in p.counsellor_schools
        or district_id in p.counsellor_districts
        or p.is_city_counsellor
    )


def visible_grant(p: Principal, owner_id: uuid.UUID, grant: RoleGrant) -> bool:
    """A user's role is shown to the user and to administrators whose scope covers it."""
    if owner_id == p.user_id or p.is_city_admin:
        return True
    if grant.in_district_id is not None and grant.in_district_id in p.admin_districts:
        return True
    return grant.school_id is not None and grant.school_id in p.admin_schools


# --------------------------------------------------------------------------
# Visibility, as SQL filters.

NOTHING = Q(id__isnull=True)  # primary keys are never NULL


def _taught_class_ids(p: Principal) -> Subquery:
    from services.organisation.models import ClassTeacher

    return Subquery(ClassTeacher.filter(teacher_id=p.user_id).values("school_class_id"))


def _homeroom_class_ids(p: Principal) -> Subquery:
    from services.organisation.models import SchoolClass

    return Subquery(SchoolClass.filter(homeroom_teacher_id=p.user_id).values("id"))


def _guarded_student_ids(p: Principal) -> Subquery:
    from services.organisation.models import Guardianship

    return Subquery(Guardianship.filter(guardian_id=p.user_id).values("student_id"))


def _any(*conditions: Q) -> Q:
    present = [c for c in conditions if c is not None]
    if not present:
        return NOTHING
    combined = present[0]
    for c in present[1:]:
        combined |= c
    return combined


def _school_wide(p: Principal) -> tuple[frozenset[uuid.UUID], frozenset[uuid.UUID], bool]:
    """Schools and districts the principal sees every student of, and whether that is the whole city."""
    schools = p.admin_schools | p.counsellor_schools
    districts = p.admin_districts | p.counsellor_districts
    return schools, districts, p.is_city_admin or p.is_city_counsellor


def visible_students(p: Principal) -> Q:
    """Guardians see their children; teachers the classes they teach; counsellors and
    administrators every student in their scope."""
    schools, districts, city = _school_wide(p)
    if city:
        return Q()
    conditions = [Q(id__in=_guarded_student_ids(p))]
    if p.teacher_schools:
        from services.organisation.models import ON_ROLL

        # Only classes of schools where the role is still held (revocation also clears the rows),
        # and only their students on the roll: a teacher's reach ends when the student leaves.
        in_schools = Q(school_id__in=list(p.teacher_schools)) & ON_ROLL
        conditions += [
            Q(school_class_id__in=_taught_class_ids(p)) & in_schools,
            Q(school_class_id__in=_homeroom_class_ids(p)) & in_schools,
        ]
    if schools:
        conditions.append(Q(school_id__in=list(schools)))
    if districts:
        conditions.append(Q(school__district_id__in=list(districts)))
    return _any(*conditions)


def visible_classes(p: Principal) -> Q:
    """Staff see their school's classes; guardians their children's classes."""
    schools, districts, city = _school_wide(p)
    if city:
        return Q()
    from services.organisation.models import Student

    conditions = [Q(id__in=Subquery(Student.filter(id__in=_guarded_student_ids(p)).values("school_class_id")))]
    if schools | p.teacher_schools:
        conditions.append(Q(school_id__in=list(schools | p.teacher_schools)))
    if districts:
        conditions.append(Q(school__district_id__in=list(districts)))
    return _any(*conditions)


def visible_users(p: Principal) -> Q:
    """Oneself; staff of the schools and districts one administers, counsels or teaches at;
    guardians of the students one may see; for instructors, the families who booked them."""
    if p.is_city_admin or p.is_city_counsellor:
        return Q()
    from services.organisation.models import Guardianship, RoleAssignment, Student

    schools = p.admin_schools | p.counsellor_schools | p.teacher_schools
    districts = p.admin_districts | p.counsellor_districts
    conditions = [Q(id=p.user_id)]
    if schools:
        conditions.append(Q(id__in=Subquery(RoleAssignment.filter(school_id__in=list(schools)).values("user_id"))))
    if districts:
        staff = RoleAssignment.filter(
            Q(district_id__in=list(districts)) | Q(school__district_id__in=list(districts))
        ).values("user_id")
        conditions.append(Q(id__in=Subquery(staff)))
    if schools or districts or p.teacher_schools:
        students = Student.filter(visible_students(p)).values("id")
        conditions.append(Q(id__in=Subquery(Guardianship.filter(student_id__in=Subquery(students)).values("guardian_id"))))
    if p.has(Role.INSTRUCTOR):
        # An instructor reaches the families who booked them.
        from services.family_education.models import Consultation

        conditions.append(Q(id__in=Subquery(Consultation.filter(visible_consultations(p)).values("guardian_id"))))
    return _any(*conditions)


# --------------------------------------------------------------------------
# Wellbeing alerts.
#
# Two tiers: FULL (counsellors responsible for the alert: everything, audited)
# and CARD (the person who raised it: the card fields and status, not what
# others added, not the notes). Teachers otherwise, administrators,
# instructors and station staff see no alert at all, only aggregate figures.


class AlertTier(enum.Enum):
    FULL = "full"
    CARD = "card"


@dataclass(frozen=True)
class AlertFacts:
    """What decides who sees an alert: where the student is now, how high and how severe it is."""

    school_id: uuid.UUID
    district_id: uuid.UUID
    level: EscalationLevel
    severity: AlertSeverity
    raised_by_id: uuid.UUID


_ABOVE_SCHOOL = (EscalationLevel.DISTRICT, EscalationLevel.CITY)


def alert_tier(p: Principal, facts: AlertFacts) -> AlertTier | None:
    """Counsellors of the student's current school: always. District counsellors: their district's
    alerts at DISTRICT level or above, and every CRITICAL one. City counsellors: alerts at CITY."""
    if facts.school_id in p.counsellor_schools:
        return AlertTier.FULL
    if facts.district_id in p.counsellor_districts and (
        facts.level in _ABOVE_SCHOOL or facts.severity == AlertSeverity.CRITICAL
    ):
        return AlertTier.FULL
    if p.is_city_counsellor and facts.level == EscalationLevel.CITY:
        return AlertTier.FULL
    if facts.raised_by_id == p.user_id:
        return AlertTier.CARD
    return None


def full_alerts(p: Principal) -> Q:
    """The same rule as ``alert_tier(...) is FULL``, as a filter on WellbeingAlert."""
    conditions = []
    if p.counsellor_schools:
        conditions.append(Q(student__school_id__in=list(p.counsellor_schools)))
    if p.counsellor_districts:
        in_district = Q(student__school__district_id__in=list(p.counsellor_districts))
        conditions.append(in_district & (Q(level__in=list(_ABOVE_SCHOOL)) | Q(severity=AlertSeverity.CRITICAL)))
    if p.is_city_counsellor:
        conditions.append(Q(level=EscalationLevel.CITY))
    return _any(*conditions)


def visible_alerts(p: Principal) -> Q:
    return full_alerts(p) | Q(raised_by_id=p.user_id)


def may_raise_alert(p: Principal, *, school_id: uuid.UUID, district_id: uuid.UUID, is_guardian: bool,
                    consults_instructor: bool) -> bool:
    """A teacher of the student's school, a guardian of the student, an instructor consulting
    the family, or a counsellor responsible for the student."""
    return (
        school_id in p.teacher_schools
        or is_guardian
        or consults_instructor
        or may_see_wellbeing_record(p, school_id=school_id, district_id=district_id)
    )


def may_read_share(p: Principal, *, is_guardian: bool, tier: AlertTier | None) -> bool:
    """A message a counsellor shared with a child's guardians: the child's guardians, and whoever is
    fully responsible for the alert it came from (its tiers, as for the alert's details)."""
    return is_guardian or tier is AlertTier.FULL


def may_see_wellbeing_record(p: Principal, *, school_id: uuid.UUID, district_id: uuid.UUID) -> bool:
    """The record that follows a student across stages: their counsellors at every level."""
    return school_id in p.counsellor_schools or district_id in p.counsellor_districts or p.is_city_counsellor


# --------------------------------------------------------------------------
# Home visits.
#
# The visiting teachers (lead and companions) see everything of their visit;
# the family sees its visits and their address, not the teacher's record; the
# school (its teachers, counsellors and administrators, and the administrators
# above it) sees that a visit exists and when, nothing more.


class VisitTier(enum.Enum):
    VISITING = "visiting"
    FAMILY = "family"
    SCHOOL = "school"


@dataclass(frozen=True)
class VisitFacts:
    school_id: uuid.UUID
    district_id: uuid.UUID
    lead_id: uuid.UUID
    companion_ids: frozenset[uuid.UUID]
    is_guardian: bool


def visit_tier(p: Principal, facts: VisitFacts) -> VisitTier | None:
    if p.user_id == facts.lead_id or p.user_id in facts.companion_ids:
        return VisitTier.VISITING
    if facts.is_guardian:
        return VisitTier.FAMILY
    if (facts.school_id in p.teacher_schools | p.counsellor_schools
            or may_administer_school(p, facts.school_id, facts.district_id)):
        return VisitTier.SCHOOL
    return None


def visible_home_visits(p: Principal) -> Q:
    """The same rule as ``visit_tier(...) is not None``, as a filter on HomeVisit."""
    from services.home_visits.models import HomeVisitCompanion

    if p.is_city_admin:
        return Q()
    companions = Subquery(HomeVisitCompanion.filter(teacher_id=p.user_id).values("visit_id"))
    conditions = [Q(lead_teacher_id=p.user_id), Q(id__in=companions), Q(student_id__in=_guarded_student_ids(p))]
    schools = p.teacher_schools | p.counsellor_schools | p.admin_schools
    if schools:
        conditions.append(Q(school_id__in=list(schools)))
    if p.admin_districts:
        conditions.append(Q(school__district_id__in=list(p.admin_districts)))
    return _any(*conditions)


def may_propose_visit(p: Principal, *, school_id: uuid.UUID, district_id: uuid.UUID, teaches_student: bool) -> bool:
    """A teacher who teaches the student's class (homeroom or subject), or the school's administrator."""
    return (teaches_student and school_id in p.teacher_schools) or school_id in p.admin_schools


# --------------------------------------------------------------------------
# The family's home address.
#
# One per guardian household, serving all their children. The guardian reads
# it; the other guardians of their children while the guardian shares it; the
# visiting teachers of a confirmed visit at it, until that visit ends. Nobody
# else, administrators included: staff choosing whose home to visit learn
# only who has one on file.


def may_read_home_address(p: Principal, *, owner_id: uuid.UUID, shared: bool, co_guardian: bool) -> bool:
    """``co_guardian``: the viewer is a guardian of a child the owner is a guardian of."""
    return p.user_id == owner_id or (shared and co_guardian)


def may_know_address_on_file(p: Principal, *, guards_student: bool, school_id: uuid.UUID, district_id: uuid.UUID,
                             teaches_student: bool) -> bool:
    """Whether a student's guardian has an address on file (never the address): the student's
    guardians, and who may propose a visit to the student."""
    return guards_student or may_propose_visit(p, school_id=school_id, district_id=district_id,
                                               teaches_student=teaches_student)


def may_read_visit_address(p: Principal, tier: VisitTier | None, *, status: HomeVisitStatus,
                           on_file_of: uuid.UUID | None, shared: bool) -> bool:
    """A place the teacher wrote: the visiting teachers and the family. A guardian's address on file:
    the visiting teachers from confirmation until the visit ends; in the family, whoever may read
    that guardian's address."""
    if on_file_of is None:
        return tier in (VisitTier.VISITING, VisitTier.FAMILY)
    if tier is VisitTier.VISITING:
        return status is HomeVisitStatus.CONFIRMED
    return tier is VisitTier.FAMILY and may_read_home_address(p, owner_id=on_file_of, shared=shared,
                                                              co_guardian=True)


def may_accept_visit_at(p: Principal, *, on_file_of: uuid.UUID, shared: bool) -> bool:
    """Accepting a visit at a guardian's address discloses it to the teachers: only its owner, or a
    co-guardian it is shared with, may."""
    return may_read_home_address(p, owner_id=on_file_of, shared=shared, co_guardian=True)


def may_see_programme_figures(p: Principal, district_id: uuid.UUID | None) -> bool:
    """The programme dashboard: city administrators for the city and every district, district
    administrators for their own district."""
    return p.is_city_admin or (district_id is not None and district_id in p.admin_districts)


def may_see_coverage(p: Principal, *, school_id: uuid.UUID | None, district_id: uuid.UUID | None) -> bool:
    if p.is_city_admin:
        return True
    if district_id is not None and school_id is None:
        return district_id in p.admin_districts
    if school_id is not None and district_id is not None:
        return may_administer_school(p, school_id, district_id)
    return False


# --------------------------------------------------------------------------
# Family education.
#
# The catalogue, the sessions, the instructors and the stations are open to
# everyone signed in. A parent's enrolments, registrations and consultations
# are theirs; an instructor sees their own sessions (with the check-in code
# and the registered parents) and the consultations booked with them; station
# staff manage their station; administrators act within their scope.


#: Teachers' guidance training is for the teachers, and seen by counsellors and administrators; for
#: anyone else a TEACHER course does not exist.
_TRAINING_SEERS = (Role.TEACHER, Role.COUNSELLOR, Role.SCHOOL_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN)


def may_see_course(p: Principal | None, audience: CourseAudience) -> bool:
    return audience is CourseAudience.PARENT or (p is not None and p.has(*_TRAINING_SEERS))


def visible_courses(p: Principal) -> Q:
    """The same rule as ``may_see_course``, as a filter on Course."""
    return Q() if p.has(*_TRAINING_SEERS) else Q(audience=CourseAudience.PARENT)


def may_take_course(p: Principal, audience: CourseAudience) -> bool:
    """Parents take the family courses, holders of the TEACHER role the guidance training."""
    return p.has(Role.PARENT if audience is CourseAudience.PARENT else Role.TEACHER)


def may_see_school_training(p: Principal, school_id: uuid.UUID, district_id: uuid.UUID) -> bool:
    """How a school's teachers are trained: its administrators and those above them."""
    return may_administer_school(p, school_id, district_id)


def may_manage_station(p: Principal, *, station_id: uuid.UUID, district_id: uuid.UUID) -> bool:
    return may_administer_district(p, district_id) or station_id in p.staff_stations


def may_manage_session(p: Principal, *, school: tuple[uuid.UUID, uuid.UUID] | None,
                       station: tuple[uuid.UUID, uuid.UUID] | None, instructor_user_id: uuid.UUID | None) -> bool:
    """Who sees a session's check-in code and registrations: its instructor, and who runs its venue."""
    if instructor_user_id is not None and instructor_user_id == p.user_id:
        return True
    if school is not None:
        return may_administer_school(p, *school)
    if station is not None:
        return may_manage_station(p, station_id=station[0], district_id=station[1])
    return False


def may_certify(p: Principal, district_id: uuid.UUID) -> bool:
    return may_administer_district(p, district_id)


def visible_consultations(p: Principal) -> Q:
    """Counselling is private: a consultation is its family's and its instructor's, administrators'
    scope notwithstanding."""
    from services.family_education.models import Instructor

    return Q(guardian_id=p.user_id) | Q(instructor_id__in=Subquery(Instructor.filter(user_id=p.user_id).values("id")))


def may_read_consultation_notes(p: Principal | None, instructor_user_id: uuid.UUID) -> bool:
    """An instructor's private notes are theirs alone: not the family's, not an administrator's."""
    return is_self(p, instructor_user_id)


def is_self(p: Principal | None, user_id: uuid.UUID | None) -> bool:
    """What a user sees of themselves only (their classes, children, enrolments, profile)."""
    return p is not None and p.user_id == user_id


def own_family_rows(p: Principal) -> Q:
    """Enrolments and session registrations are the parent's own."""
    return Q(guardian_id=p.user_id)


def own_family_sql(table: str, viewer_parameter: str) -> str:
    """The rule of ``own_family_rows`` in a statement written out, over the rows of ``table``;
    ``viewer_parameter`` holds the viewer's id."""
    return f"{table}.guardian_id = {viewer_parameter}"


# --------------------------------------------------------------------------
# School notices.
#
# Teachers send to the classes they are homeroom teacher of or teach; school administrators to
# classes of their school, one grade of it or the whole school; district administrators to their
# district's schools or its pilot schools. A notice is its sender's, and its recipients' once
# sent; of a district notice the sender sees counts only, never the names.


def may_notify_class(p: Principal, *, school_id: uuid.UUID, teaches: bool) -> bool:
    return (teaches and school_id in p.teacher_schools) or school_id in p.admin_schools


def may_notify_school(p: Principal, school_id: uuid.UUID) -> bool:
    return school_id in p.admin_schools


def may_notify_district(p: Principal, district_id: uuid.UUID) -> bool:
    return district_id in p.admin_districts


def may_see_notice(p: Principal, *, sender_id: uuid.UUID, is_recipient: bool, sent: bool) -> bool:
    return p.user_id == sender_id or (is_recipient and sent)


def may_list_notice_recipients(p: Principal, *, sender_id: uuid.UUID, district_wide: bool) -> bool:
    """Who has not confirmed, by name: the sender of a class or school notice."""
    return p.user_id == sender_id and not district_wide


# --------------------------------------------------------------------------
# The 静待花开 family-education column.
#
# City administrators publish any episode, city-wide or for one district; district administrators
# their own district's (only city administrators publish city-wide). A published episode reaches
# everyone signed in when city-wide, else the people of its district: through a child at one of its
# schools, or a role in it. Drafts and unpublished episodes: only who may edit them.


def may_edit_episode(p: Principal, district_id: uuid.UUID | None) -> bool:
    return p.is_city_admin or (district_id is not None and district_id in p.admin_districts)


def districts_belonged_to(p: Principal, family_districts: frozenset[uuid.UUID]) -> frozenset[uuid.UUID]:
    """The districts of the viewer's roles and of their children's schools (``family_districts``)."""
    return frozenset(g.in_district_id for g in p.grants if g.in_district_id) | family_districts


def may_see_episode(p: Principal, belongs_to: frozenset[uuid.UUID], *, district_id: uuid.UUID | None,
                    status: ColumnEpisodeStatus) -> bool:
    if may_edit_episode(p, district_id):
        return True
    return status is ColumnEpisodeStatus.PUBLISHED and (district_id is None or district_id in belongs_to)


def visible_episodes(p: Principal, belongs_to: frozenset[uuid.UUID]) -> Q:
    """The same rule as ``may_see_episode``, as a filter on ColumnEpisode."""
    if p.is_city_admin:
        return Q()
    reach = Q(district_id__isnull=True) | Q(district_id__in=list(belongs_to)) if belongs_to else \
        Q(district_id__isnull=True)
    conditions = [Q(status=ColumnEpisodeStatus.PUBLISHED) & reach]
    if p.admin_districts:
        conditions.append(Q(district_id__in=list(p.admin_districts)))
    return _any(*conditions)


# --------------------------------------------------------------------------
# What may be done to an object the viewer already sees (services found it by the rules above;
# these say which of its actions the viewer's relation to it allows).


def may_answer_visit(tier: VisitTier | None) -> bool:
    """The family answers a proposal and rates the visit."""
    return tier is VisitTier.FAMILY


def may_reschedule_visit(p: Principal, facts: VisitFacts) -> bool:
    """Only the lead teacher moves a visit."""
    return p.user_id == facts.lead_id


def cancelling_side(p: Principal, tier: VisitTier | None, facts: VisitFacts) -> Side | None:
    """Who calls a visit off, for the statistics: the family, or the school through its lead teacher;
    None for anyone else."""
    if tier is VisitTier.FAMILY:
        return Side.FAMILY
    return Side.SCHOOL if p.user_id == facts.lead_id else None


def may_record_visit(tier: VisitTier | None) -> bool:
    """A visiting teacher records the visit."""
    return tier is VisitTier.VISITING


def is_consultation_instructor(p: Principal, instructor_user_id: uuid.UUID) -> bool:
    """Only the instructor answers and completes a consultation (the family books and cancels)."""
    return p.user_id == instructor_user_id


def is_instructor(p: Principal) -> bool:
    return p.has(Role.INSTRUCTOR)


def is_school_staff(p: Principal, *, school_id: uuid.UUID, district_id: uuid.UUID) -> bool:
    """Teachers of the school and the counsellors responsible for it: alerts they raise are staff
    observations, not a guardian's report."""
    return school_id in p.teacher_schools or may_see_wellbeing_record(p, school_id=school_id, district_id=district_id)


def may_have_calendar_feed(p: Principal) -> bool:
    """Teachers (and school administrators) subscribe their phones to their home visits."""
    return p.has(Role.TEACHER, Role.SCHOOL_ADMIN)


def own_rows(p: Principal) -> Q:
    """What is the user's alone: their notifications, push devices, calendar feeds."""
    return Q(user_id=p.user_id)
