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
    EXPORT = "EXPORT"
    SIGN_IN = "SIGN_IN"
    ROLE_CHANGE = "ROLE_CHANGE"
