"""Accounts: invitation, activation, sign-in, sign-out, password change."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services import audit, db, outbox, runtime
from services.access import Principal
from services.enums import AuditAction, Role
from services.errors import Checks, ErrorCode, UserErrors
from services.identity import phones, privacy, sessions
from services.identity.models import Invitation, PrivacyNoticeAcceptance, User
from services.identity.passwords import check_policy, hash_password, verify_password
from services.ids import new_id
from services.organisation.models import RoleAssignment
from services.ratelimit import INVITATIONS, PASSWORDS, Guard

INVITATION_LIFETIME = dt.timedelta(days=14)
# No 0/O, 1/I/L: the code is read out or typed from an SMS.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_LENGTH = 10


@dataclass(frozen=True)
class IssuedInvitation:
    code: str
    expires_at: dt.datetime


# --------------------------------------------------------------------------
# Finding and creating people by phone.


def phone_index(phone: str) -> str:
    return runtime.current().crypto.blind_index.digest("phone", phone)


def require_phone(checks: Checks, field: str, raw: str) -> str | None:
    phone = phones.normalise(raw)
    if phone is None:
        checks.invalid(field, "invalid_phone")
    return phone


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    #: The invitation was used: the person set a password.
    active: bool
    #: Made by this call.
    created: bool


_ACCOUNTS_OF = "SELECT id, phone_index, password_hash IS NOT NULL AS active FROM app_user WHERE phone_index = ANY($1)"
_NEW_ACCOUNTS = """
INSERT INTO app_user (id, display_name, phone_index, phone_sealed, phone_masked, created_at)
SELECT id, name, phone_index, sealed, masked, now()
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::text[]) AS t(id, name, phone_index, sealed, masked)
    ON CONFLICT (phone_index) DO NOTHING
RETURNING id, phone_index
"""


async def accounts_of(phones: list[str], *, using: BaseDBAsyncClient) -> dict[str, Account]:
    """The existing accounts of these phones (phone → account; a phone without one is left out)."""
    indexes = {phone_index(phone): phone for phone in phones}
    rows = await using.execute_query_dict(_ACCOUNTS_OF, [list(indexes)])
    return {indexes[row["phone_index"]]: Account(row["id"], row["active"], False) for row in rows}


async def find_or_create_users(people: dict[str, str], *, using: BaseDBAsyncClient) -> dict[str, Account]:
    """The account of each phone (``people``: phone → display name), created (not yet activated)
    for those with none, in two statements whatever their number."""
    found = await accounts_of(list(people), using=using)
    missing = [phone for phone in people if phone not in found]
    if missing:
        ids = [new_id() for _ in missing]
        sealer = runtime.current().crypto.sealer
        made = {row["phone_index"] for row in await using.execute_query_dict(_NEW_ACCOUNTS, [
            ids, [people[p] for p in missing], [phone_index(p) for p in missing],
            [sealer.seal(p, table="app_user", column="phone", row=i) for p, i in zip(missing, ids, strict=True)],
            [phones.mask(p) for p in missing]])}
        found.update((p, Account(i, False, True)) for p, i in zip(missing, ids, strict=True) if phone_index(p) in made)
        if len(made) < len(missing):  # another transaction made some of them meanwhile
            found.update(await accounts_of([p for p in missing if p not in found], using=using))
    return {phone: found[phone] for phone in people}


async def find_or_create_user(phone: str, display_name: str, *, using: BaseDBAsyncClient) -> tuple[User, bool]:
    """The account with this phone, created (not yet activated) if there is none."""
    account = (await find_or_create_users({phone: display_name}, using=using))[phone]
    return await User.get(id=account.id, using_db=using), account.created


def _new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


def _code_digest(code: str) -> str:
    normalised = code.upper().replace("-", "").replace(" ", "")
    return runtime.current().crypto.token_digest("invitation:" + normalised)


async def invite_if_inactive(user: User, *, invited_by: uuid.UUID | None,
                             using: BaseDBAsyncClient) -> IssuedInvitation | None:
    """A fresh invitation for an account that has never been activated (the older code stops working)."""
    if user.password_hash is not None:
        return None
    return (await invite(frozenset({user.id}), invited_by=invited_by, using=using))[user.id]


_SUPERSEDE = """
UPDATE invitation SET superseded_at = $2
 WHERE user_id = ANY($1) AND used_at IS NULL AND superseded_at IS NULL
"""
_NEW_INVITATIONS = """
INSERT INTO invitation (id, user_id, code_digest, expires_at, created_by_id, created_at)
SELECT id, user_id, digest, $4, $5, $6 FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS t(id, user_id, digest)
"""


async def invite(user_ids: frozenset[uuid.UUID], *, invited_by: uuid.UUID | None,
                 using: BaseDBAsyncClient) -> dict[uuid.UUID, IssuedInvitation]:
    """A fresh invitation for each of these accounts, none yet activated (their older codes stop
    working), in two statements whatever their number."""
    if not user_ids:
        return {}
    now = await db.now(using)
    expires_at = now + INVITATION_LIFETIME
    users = sorted(user_ids)
    issued = {user_id: IssuedInvitation(_new_code(), expires_at) for user_id in users}
    await using.execute_query(_SUPERSEDE, [users, now])
    await using.execute_query(_NEW_INVITATIONS, [
        [new_id() for _ in users], users, [_code_digest(issued[u].code) for u in users], expires_at, invited_by,
        now])
    return issued


# --------------------------------------------------------------------------
# Sign-in.


async def _admitted(guard: Guard, account: str, address: str) -> None:
    """Count the attempt before the secret is checked; refuse it while a delay holds."""
    wait = await guard.admit(account, address)
    if wait:
        raise UserErrors.one(ErrorCode.RATE_LIMITED, "rate_limited_for", seconds=wait)


async def login(raw_phone: str, password: str, client_address: str | None) -> tuple[sessions.IssuedSession, User]:
    checks = Checks()
    phone = require_phone(checks, "phone", raw_phone)
    checks.raise_if_any()
    assert phone is not None
    account = phone_index(phone)
    address = client_address or "unknown"
    await _admitted(PASSWORDS, account, address)
    user = await User.get_or_none(phone_index=account)
    # An unknown phone costs the same hash check and gets the same answer as a wrong password.
    if not await verify_password(user.password_hash if user else None, password) or user is None:
        raise UserErrors.one(ErrorCode.INVALID_CREDENTIALS, "invalid_credentials")
    await PASSWORDS.succeeded(account, address)
    async with in_transaction() as tx:
        issued = await sessions.start(user.id, using=tx)
        await audit.record(AuditAction.SIGN_IN, actor_id=user.id, subject_type="User", subject_id=user.id, using=tx)
    return issued, user


_SPEND_INVITATION = """
UPDATE invitation SET used_at = now()
 WHERE id = $1 AND used_at IS NULL AND superseded_at IS NULL AND expires_at > now()
"""


async def activate(raw_phone: str, code: str, password: str, client_address: str | None,
                   privacy_notice_version: str | None = None) -> tuple[sessions.IssuedSession, User]:
    """First sign-in of an invited person: a valid code sets the password (and, for guardians,
    records their acceptance of the privacy notice)."""
    checks = Checks()
    phone = require_phone(checks, "phone", raw_phone)
    if phone is not None:
        check_policy(checks, "password", password, phone=phone)
    if privacy_notice_version is not None and privacy_notice_version != privacy.CURRENT_VERSION:
        checks.invalid("privacyNoticeVersion", "privacy_notice_outdated")
    checks.raise_if_any()
    assert phone is not None
    account = phone_index(phone)
    address = client_address or "unknown"
    await _admitted(INVITATIONS, account, address)
    invalid = UserErrors.one(ErrorCode.INVALID_CREDENTIALS, "invalid_invitation", "invitationCode")
    user = await User.get_or_none(phone_index=account)
    invitation = await Invitation.get_or_none(code_digest=_code_digest(code))
    if user is None or invitation is None or invitation.user_id != user.id:
        raise invalid
    if user.password_hash is not None:
        raise UserErrors.one(ErrorCode.INVALID_STATE, "already_activated")
    password_hash = await hash_password(password)
    async with in_transaction() as tx:
        spent = await tx.execute_query(_SPEND_INVITATION, [invitation.id])
        if not spent[0]:
            raise invalid
        now = await db.now(tx)
        await User.filter(id=user.id).using_db(tx).update(password_hash=password_hash, activated_at=now)
        if await RoleAssignment.filter(user_id=user.id, role=Role.PARENT).using_db(tx).exists():
            await PrivacyNoticeAcceptance.create(user_id=user.id, version=privacy.CURRENT_VERSION, using_db=tx)
        issued = await sessions.start(user.id, using=tx)
        await audit.record(AuditAction.SIGN_IN, actor_id=user.id, subject_type="User", subject_id=user.id, using=tx)
    await INVITATIONS.succeeded(account, address)
    return issued, user


async def accepted_notice_version(user_id: uuid.UUID) -> str | None:
    latest = await PrivacyNoticeAcceptance.filter(user_id=user_id).order_by("-accepted_at").first()
    return latest.version if latest else None


async def logout(refresh_token: str, *, all_devices: bool) -> None:
    session = await sessions.session_of_refresh_token(refresh_token)
    if session is None:
        raise UserErrors.one(ErrorCode.INVALID_CREDENTIALS, "invalid_refresh_token", "refreshToken")
    await sessions.end(session, all_devices=all_devices, reason="logout_all" if all_devices else "logout")


async def change_password(actor: Principal, current: str, new: str, client_address: str | None = None) -> None:
    """Set a new password; every other session of the user ends at once, this one continues."""
    user = await User.get(id=actor.user_id)
    address = client_address or "unknown"
    await _admitted(PASSWORDS, user.phone_index, address)
    if not await verify_password(user.password_hash, current):
        raise UserErrors.one(ErrorCode.INVALID_CREDENTIALS, "wrong_current_password", "currentPassword")
    await PASSWORDS.succeeded(user.phone_index, address)
    checks = Checks()
    phone = runtime.current().crypto.sealer.open(user.phone_sealed, table="app_user", column="phone", row=user.id)
    check_policy(checks, "newPassword", new, phone=phone)
    if not checks.failed and new == current:
        checks.invalid("newPassword", "password_unchanged")
    checks.raise_if_any()
    password_hash = await hash_password(new)
    async with in_transaction() as tx:
        await User.filter(id=user.id).using_db(tx).update(password_hash=password_hash)
        entries = await sessions.end_all_except(user.id, actor.session_id, reason="password_changed", using=tx)
    await outbox.flush(entries)


# --------------------------------------------------------------------------
# The first city administrator (command line).


async def create_city_admin(raw_phone: str, display_name: str, password: str) -> tuple[User, bool]:
    """Create (or promote) the city administrator with this phone; returns (user, created)."""
    checks = Checks()
    phone = require_phone(checks, "phone", raw_phone)
    name = checks.text("displayName", display_name, max_length=64)
    if phone is not None:
        check_policy(checks, "password", password, phone=phone)
    checks.raise_if_any()
    assert phone is not None
    assert name is not None
    password_hash = await hash_password(password)
    async with in_transaction() as tx:
        user, created = await find_or_create_user(phone, name, using=tx)
        now = await db.now(tx)
        await User.filter(id=user.id).using_db(tx).update(password_hash=password_hash, activated_at=now)
        if not await RoleAssignment.filter(user_id=user.id, role=Role.CITY_ADMIN).using_db(tx).exists():
            await RoleAssignment.create(user_id=user.id, role=Role.CITY_ADMIN, using_db=tx)
            await audit.record(AuditAction.ROLE_CHANGE, actor_id=None, subject_type="User", subject_id=user.id,
                               using=tx)
        entries = await sessions.end_all_except(user.id, None, reason="password_reset", using=tx)
    await outbox.flush(entries)
    return user, created
