"""Sign-in sessions: access tokens, rotating single-use refresh tokens, revocation."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services import db, outbox, runtime
from services.errors import ErrorCode, UserErrors
from services.identity import principals
from services.identity.models import AuthSession, RefreshToken
from services.identity.tokens import issue_access_token, new_opaque_token


@dataclass(frozen=True)
class IssuedSession:
    user_id: uuid.UUID
    session_id: uuid.UUID
    access_token: str
    access_token_expires_at: dt.datetime
    refresh_token: str


async def _issue_refresh_token(session_id: uuid.UUID, now: dt.datetime, using: BaseDBAsyncClient) -> str:
    rt = runtime.current()
    token = new_opaque_token()
    await RefreshToken.create(
        session_id=session_id,
        token_digest=rt.crypto.token_digest(token),
        expires_at=now + dt.timedelta(seconds=rt.tokens.refresh_ttl_seconds),
        using_db=using,
    )
    return token


async def start(user_id: uuid.UUID, *, using: BaseDBAsyncClient) -> IssuedSession:
    """A new sign-in for the user, inside the caller's transaction."""
    rt = runtime.current()
    now = await db.now(using)
    session = await AuthSession.create(
        user_id=user_id, expires_at=now + dt.timedelta(seconds=rt.tokens.session_max_seconds), using_db=using
    )
    refresh = await _issue_refresh_token(session.id, now, using)
    access, expires_at = issue_access_token(user_id, session.id, now)
    return IssuedSession(user_id, session.id, access, expires_at, refresh)


_SPEND = """
UPDATE refresh_token SET used_at = now()
 WHERE token_digest = $1 AND used_at IS NULL AND expires_at > now()
RETURNING id, session_id
"""

#: A refresh repeated this soon after the first gets the same new refresh token: an app's HTTP and
#: WebSocket clients refreshing at once, or a retry after a lost answer, are not a theft.
REUSE_GRACE = dt.timedelta(seconds=30)


def _seal_successor(token: str, row_id: uuid.UUID) -> bytes:
    return runtime.current().crypto.sealer.seal(token, table="refresh_token", column="successor", row=row_id)


async def refresh(refresh_token: str) -> IssuedSession:
    """Swap a refresh token for a new pair. Spent again within ``REUSE_GRACE`` it gives the same new
    refresh token (while that one is unspent); spent again later, it ends the whole sign-in (it was
    stolen, or replayed by a confused client: either way the session can no longer be trusted)."""
    rt = runtime.current()
    digest = rt.crypto.token_digest(refresh_token)
    revoked_user: uuid.UUID | None = None
    async with in_transaction() as tx:
        spent = await tx.execute_query_dict(_SPEND, [digest])
        if spent:
            session = await AuthSession.get(id=spent[0]["session_id"], using_db=tx)
            now = await db.now(tx)
            if session.revoked_at is None and session.expires_at > now:
                token = await _issue_refresh_token(session.id, now, tx)
                await RefreshToken.filter(id=spent[0]["id"]).using_db(tx).update(
                    successor_sealed=_seal_successor(token, spent[0]["id"]))
                access, expires_at = issue_access_token(session.user_id, session.id, now)
                return IssuedSession(session.user_id, session.id, access, expires_at, token)
        else:
            known = await RefreshToken.get_or_none(token_digest=digest, using_db=tx).select_related("session")
            if known is not None and known.used_at is not None and known.session.revoked_at is None:
                again = await _within_grace(known, tx)
                if again is not None:
                    return again
                await _revoke(known.session, "refresh_token_reuse", tx)
                revoked_user = known.session.user_id
        entries = await principals.access_changed(revoked_user, using=tx) if revoked_user else []
    await outbox.flush(entries)
    raise UserErrors.one(ErrorCode.INVALID_CREDENTIALS, "invalid_refresh_token", "refreshToken")


async def _within_grace(spent: RefreshToken, tx: BaseDBAsyncClient) -> IssuedSession | None:
    """The pair a token spent moments ago was swapped for, if its successor is still unspent."""
    now = await db.now(tx)
    session = spent.session
    if spent.successor_sealed is None:
        return None
    assert spent.used_at is not None  # a token is given a successor when it is used
    if spent.used_at + REUSE_GRACE < now or session.expires_at <= now:
        return None
    successor = runtime.current().crypto.sealer.open(spent.successor_sealed, table="refresh_token",
                                                     column="successor", row=spent.id)
    unspent = await RefreshToken.filter(token_digest=runtime.current().crypto.token_digest(successor),
                                        used_at__isnull=True).using_db(tx).exists()
    if not unspent:
        return None
    access, expires_at = issue_access_token(session.user_id, session.id, now)
    return IssuedSession(session.user_id, session.id, access, expires_at, successor)


async def _revoke(session: AuthSession, reason: str, using: BaseDBAsyncClient) -> None:
    await AuthSession.filter(id=session.id, revoked_at__isnull=True).using_db(using).update(
        revoked_at=await db.now(using), revoked_reason=reason
    )


async def session_of_refresh_token(refresh_token: str) -> AuthSession | None:
    digest = runtime.current().crypto.token_digest(refresh_token)
    token = await RefreshToken.get_or_none(token_digest=digest).select_related("session")
    return token.session if token else None


async def end(session: AuthSession, *, all_devices: bool, reason: str) -> None:
    """Sign out of one session, or of every session of its user; access tokens stop working at once."""
    async with in_transaction() as tx:
        user_id = session.user_id
        sessions = AuthSession.filter(user_id=user_id) if all_devices else AuthSession.filter(id=session.id)
        await sessions.filter(revoked_at__isnull=True).using_db(tx).update(
            revoked_at=await db.now(tx), revoked_reason=reason
        )
        entries = await principals.access_changed(user_id, using=tx)
    await outbox.flush(entries)


async def end_all_except(user_id: uuid.UUID, keep: uuid.UUID | None, *, reason: str,
                         using: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    query = AuthSession.filter(user_id=user_id, revoked_at__isnull=True)
    if keep is not None:
        query = query.exclude(id=keep)
    await query.using_db(using).update(revoked_at=await db.now(using), revoked_reason=reason)
    return await principals.access_changed(user_id, using=using)
