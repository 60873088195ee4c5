"""Accounts, invitations and sign-in sessions."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.models import Model

from services.ids import new_id


class User(Model):
    """A person who signs in: guardian, teacher, counsellor, instructor, staff or administrator."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    display_name = fields.CharField(max_length=64)
    #: HMAC of the normalised phone number: the sign-in lookup, never the number itself.
    phone_index = fields.CharField(max_length=64, unique=True)
    phone_sealed = fields.BinaryField()
    phone_masked = fields.CharField(max_length=16)
    #: argon2id; null until the invitation is used.
    password_hash = fields.CharField(max_length=255, null=True)
    activated_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "app_user"


class UserName(NamedTuple):
    """A person as a reference to them shows them (a homeroom teacher on a parent's screen): the id and
    the name, read without the rest of their row (its password hash and sealed phone). Not a User:
    never primed where a User is looked for."""

    id: uuid.UUID
    display_name: str


class Invitation(Model):
    """A single-use code that lets an invited person set their password."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    user_id: uuid.UUID
    code_digest = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    #: Set when a newer invitation for the same person replaced this one.
    superseded_at = fields.DatetimeField(null=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    created_by_id: uuid.UUID | None
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "invitation"
        # A new invitation supersedes the person's open ones: found by person, however many there are.
        indexes = (("user_id",),)


class AuthSession(Model):
    """One sign-in on one device; its refresh tokens rotate, its revocation ends them all."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    user_id: uuid.UUID
    created_at = fields.DatetimeField(db_default=Now())
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "auth_session"
        indexes = (("user_id", "revoked_at"),)


class RefreshToken(Model):
    """An opaque, single-use refresh token, stored as a keyed digest."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    session: fields.ForeignKeyRelation[AuthSession] = fields.ForeignKeyField(
        "coedu.AuthSession", related_name=False, on_delete=fields.CASCADE)
    session_id: uuid.UUID
    token_digest = fields.CharField(max_length=64, unique=True)
    issued_at = fields.DatetimeField(db_default=Now())
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    #: The refresh token that replaced this one (sealed), given again to a refresh within the grace period.
    successor_sealed = fields.BinaryField(null=True)

    class Meta:
        table = "refresh_token"


class PrivacyNoticeAcceptance(Model):
    """A guardian's acceptance of a version of the privacy notice."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "coedu.User", related_name=False, on_delete=fields.CASCADE)
    user_id: uuid.UUID
    version = fields.CharField(max_length=32)
    accepted_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "privacy_notice_acceptance"
        unique_together = (("user_id", "version"),)
