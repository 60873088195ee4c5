"""Access tokens: short-lived EdDSA JWTs naming the user and the sign-in session.

The algorithm is pinned (EdDSA only) and the key is chosen by ``kid`` among
our own; ``iss``, ``aud``, ``exp``, ``iat``, ``sub``, ``sid`` and ``jti`` are
required. A valid signature is not enough: the session must still be live
(checked per request against PostgreSQL, through the Redis cache).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services import runtime

ALGORITHM = "EdDSA"
_REQUIRED = ["iss", "aud", "exp", "iat", "sub", "sid", "jti"]
_LEEWAY_SECONDS = 10


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class TokenKeys:
    signing_key: Ed25519PrivateKey
    signing_kid: str
    verifying: dict[str, Ed25519PublicKey]

    @classmethod
    def build(cls, signing_key: Ed25519PrivateKey, previous: tuple[Ed25519PublicKey, ...] = ()) -> TokenKeys:
        current = signing_key.public_key()
        verifying = {key_id(k): k for k in (current, *previous)}
        return cls(signing_key, key_id(current), verifying)


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: dt.datetime


def _keys() -> TokenKeys:
    keys = runtime.current().signing
    assert isinstance(keys, TokenKeys)
    return keys


def _hide(row: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(runtime.current().crypto.ids.hide(row)).rstrip(b"=").decode()


def _reveal(text: object) -> uuid.UUID | None:
    if not isinstance(text, str) or len(text) != 22:
        return None
    try:
        block = base64.urlsafe_b64decode(text + "==")
    except ValueError:
        return None
    return runtime.current().crypto.ids.reveal(block)


def issue_access_token(user_id: uuid.UUID, session_id: uuid.UUID, now: dt.datetime) -> tuple[str, dt.datetime]:
    rt = runtime.current()
    keys = _keys()
    expires_at = now + dt.timedelta(seconds=rt.tokens.access_ttl_seconds)
    claims = {
        "iss": rt.tokens.issuer,
        "aud": rt.tokens.audience,
        "sub": _hide(user_id),
        "sid": _hide(session_id),
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": secrets.token_urlsafe(12),
    }
    token = jwt.encode(claims, keys.signing_key, algorithm=ALGORITHM, headers={"kid": keys.signing_kid})
    return token, expires_at.replace(microsecond=0)


#: Tokens whose signature and claims were verified, by token text: an app sends the same token for ten
#: minutes, and an Ed25519 check is the largest fixed cost of a request. Bounded; expiry is checked on
#: every hit, and an entry holds only under the keys it was verified with (a rotation empties it in
#: effect); revocation is the principal's business (services.identity.principals), not this cache's.
_VERIFIED: dict[str, tuple[AccessClaims, object]] = {}
_VERIFIED_MAX = 4096


def verify_access_token(token: str) -> AccessClaims | None:
    """The claims of a token we signed that is still in date, else None."""
    keys = runtime.current().tokens
    known = _VERIFIED.get(token)
    if known is not None and known[1] is keys:
        if known[0].expires_at.timestamp() + _LEEWAY_SECONDS > time.time():
            return known[0]
        del _VERIFIED[token]
        return None
    claims = _verify(token)
    if claims is not None:
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.pop(next(iter(_VERIFIED)))  # the oldest entry
        _VERIFIED[token] = (claims, keys)
    return claims


def _verify(token: str) -> AccessClaims | None:
    rt = runtime.current()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        return None
    if header.get("alg") != ALGORITHM:
        return None
    key = _keys().verifying.get(str(header.get("kid")))
    if key is None:
        return None
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=rt.tokens.audience,
            issuer=rt.tokens.issuer,
            leeway=_LEEWAY_SECONDS,
            options={"require": _REQUIRED},
        )
    except jwt.InvalidTokenError:
        return None
    user_id, session_id = _reveal(claims.get("sub")), _reveal(claims.get("sid"))
    if user_id is None or session_id is None:
        return None
    return AccessClaims(user_id, session_id, dt.datetime.fromtimestamp(claims["exp"], dt.UTC))


def new_opaque_token() -> str:
    """A refresh token or invitation secret: 256 bits from the OS."""
    return secrets.token_urlsafe(32)
