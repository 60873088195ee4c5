"""Closed vocabularies of the programme, shared by the domain and the API."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PARENT = "PARENT"
    TEACHER = "TEACHER"
    COUNSELLOR = "COUNSELLOR"
    SCHOOL_ADMIN = "SCHOOL_ADMIN"
    INSTRUCTOR = "INSTRUCTOR"
    STATION_STAFF = "STATION_STAFF"
    DISTRICT_ADMIN = "DISTRICT_ADMIN"
    CITY_ADMIN = "CITY_ADMIN"


class SchoolStage(StrEnum):
    PRIMARY = "PRIMARY"
    JUNIOR_SECONDARY = "JUNIOR_SECONDARY"
    NINE_YEAR = "NINE_YEAR"
    SENIOR_SECONDARY = "SENIOR_SECONDARY"


class Gender(StrEnum):
    FEMALE = "FEMALE"
    MALE = "MALE"


class GuardianRelationship(StrEnum):
    MOTHER = "MOTHER"
    FATHER = "FATHER"
    GRANDPARENT = "GRANDPARENT"
    OTHER = "OTHER"


class AuditAction(StrEnum):
    READ_ALERT = "READ_ALERT"
    UPDATE_ALERT = "UPDATE_ALERT"
    READ_HOME_ADDRESS = "READ_HOME_ADDRESS"
    UPDATE_HOME_ADDRESS = "UPDATE_HOME_ADDRESS"
    EXPORT = "EXPORT"
    IMPORT = "IMPORT"
    SIGN_IN = "SIGN_IN"
    ROLE_CHANGE = "ROLE_CHANGE"


class AlertSeverity(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class AlertCategory(StrEnum):
    SELF_HARM_RISK = "SELF_HARM_RISK"
    BULLYING = "BULLYING"
    FAMILY_CONFLICT = "FAMILY_CONFLICT"
    ANXIETY_DEPRESSION = "ANXIETY_DEPRESSION"
    BEHAVIOUR = "BEHAVIOUR"
    ATTENDANCE = "ATTENDANCE"
    OTHER = "OTHER"


class AlertSource(StrEnum):
    TEACHER_OBSERVATION = "TEACHER_OBSERVATION"
    GUARDIAN_REPORT = "GUARDIAN_REPORT"
    HOME_VISIT = "HOME_VISIT"
    SCREENING = "SCREENING"
    COUNSELLOR = "COUNSELLOR"
    INSTRUCTOR = "INSTRUCTOR"


class AlertStatus(StrEnum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


class EscalationLevel(StrEnum):
    SCHOOL = "SCHOOL"
    DISTRICT = "DISTRICT"
    CITY = "CITY"

    def above(self) -> EscalationLevel:
        order = list(EscalationLevel)
        return order[min(order.index(self) + 1, len(order) - 1)]


class AlertEventKind(StrEnum):
    RAISED = "RAISED"
    NOTIFIED = "NOTIFIED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    ESCALATED = "ESCALATED"
    ASSIGNED = "ASSIGNED"
    NOTE_ADDED = "NOTE_ADDED"
    SHARED_WITH_GUARDIANS = "SHARED_WITH_GUARDIANS"
    RESOLVED = "RESOLVED"
    HANDOFF = "HANDOFF"


class AlertOutcome(StrEnum):
    SUPPORTED_IN_SCHOOL = "SUPPORTED_IN_SCHOOL"
    REFERRED_TO_SPECIALIST = "REFERRED_TO_SPECIALIST"
    REFERRED_TO_HOSPITAL = "REFERRED_TO_HOSPITAL"
    NO_ACTION_NEEDED = "NO_ACTION_NEEDED"
    OTHER = "OTHER"


class WatchLevel(StrEnum):
    NONE = "NONE"
    ATTENTION = "ATTENTION"
    KEY_CONCERN = "KEY_CONCERN"
    CRISIS = "CRISIS"


class NotificationKind(StrEnum):
    ALERT = "ALERT"
    HOME_VISIT = "HOME_VISIT"
    COURSE = "COURSE"
    CONSULTATION = "CONSULTATION"
    HANDOFF = "HANDOFF"
    SYSTEM = "SYSTEM"
    NOTICE = "NOTICE"


class DevicePlatform(StrEnum):
    IOS = "IOS"
    ANDROID = "ANDROID"
    HARMONY = "HARMONY"


class HomeVisitStatus(StrEnum):
    PROPOSED = "PROPOSED"
    RESCHEDULE_REQUESTED = "RESCHEDULE_REQUESTED"
    CONFIRMED = "CONFIRMED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    DECLINED = "DECLINED"
    MISSED = "MISSED"


class HomeVisitDecision(StrEnum):
    ACCEPT = "ACCEPT"
    PROPOSE_ALTERNATIVES = "PROPOSE_ALTERNATIVES"
    DECLINE = "DECLINE"


class Side(StrEnum):
    """Who did something to a home visit: the school (its teachers) or the family."""

    SCHOOL = "SCHOOL"
    FAMILY = "FAMILY"


class CourseAudience(StrEnum):
    #: Family-education courses for parents.
    PARENT = "PARENT"
    #: Family-education guidance training for teachers (提升教师家庭教育指导能力), with credit hours.
    TEACHER = "TEACHER"


class CourseCategory(StrEnum):
    PARENTING = "PARENTING"
    MENTAL_HEALTH = "MENTAL_HEALTH"
    SAFETY = "SAFETY"
    LEARNING_SUPPORT = "LEARNING_SUPPORT"
    HEALTH = "HEALTH"
    FAMILY_RELATIONSHIPS = "FAMILY_RELATIONSHIPS"


class LessonKind(StrEnum):
    VIDEO = "VIDEO"
    ARTICLE = "ARTICLE"
    IN_PERSON = "IN_PERSON"


class RegistrationStatus(StrEnum):
    REGISTERED = "REGISTERED"
    CANCELLED = "CANCELLED"
    ATTENDED = "ATTENDED"
    ABSENT = "ABSENT"


class WaitlistStatus(StrEnum):
    WAITING = "WAITING"
    PROMOTED = "PROMOTED"
    LEFT = "LEFT"
    CLOSED = "CLOSED"


class CertificationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    SUSPENDED = "SUSPENDED"


class ConsultationMode(StrEnum):
    IN_PERSON = "IN_PERSON"
    PHONE = "PHONE"
    VIDEO = "VIDEO"


class ConsultationStatus(StrEnum):
    REQUESTED = "REQUESTED"
    CONFIRMED = "CONFIRMED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"


class ConsultationParty(StrEnum):
    """The two sides of a consultation."""

    INSTRUCTOR = "INSTRUCTOR"
    FAMILY = "FAMILY"


class ColumnEpisodeFormat(StrEnum):
    VIDEO = "VIDEO"
    AUDIO = "AUDIO"
    ARTICLE = "ARTICLE"


class ColumnEpisodeStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    UNPUBLISHED = "UNPUBLISHED"


class GradeBand(StrEnum):
    LOWER_PRIMARY = "LOWER_PRIMARY"
    UPPER_PRIMARY = "UPPER_PRIMARY"
    JUNIOR_SECONDARY = "JUNIOR_SECONDARY"
    SENIOR_SECONDARY = "SENIOR_SECONDARY"


class NoticeConfirmationMode(StrEnum):
    #: Opening it is the confirmation.
    READ_ONLY = "READ_ONLY"
    CONFIRM = "CONFIRM"
    SIGNATURE = "SIGNATURE"


class NoticeStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    SENT = "SENT"
    RECALLED = "RECALLED"
    CANCELLED = "CANCELLED"


class NoticeAudienceKind(StrEnum):
    SCHOOL_CLASSES = "SCHOOL_CLASSES"
    SCHOOL_GRADE = "SCHOOL_GRADE"
    SCHOOL = "SCHOOL"
    DISTRICT = "DISTRICT"
    DISTRICT_PILOT_SCHOOLS = "DISTRICT_PILOT_SCHOOLS"


class RosterKind(StrEnum):
    """What a roster source id names."""

    SCHOOL = "SCHOOL"
    CLASS = "CLASS"
    STUDENT = "STUDENT"
    GUARDIAN = "GUARDIAN"


class RosterFormat(StrEnum):
    ONEROSTER = "ONEROSTER"
    XUEJI = "XUEJI"


class RosterRunStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    REFUSED = "REFUSED"
