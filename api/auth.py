"""From a bearer token to the principal it speaks for, once per request."""

from __future__ import annotations

from services.access import Principal
from services.identity.principal_cache import PrincipalCache
from services.identity.tokens import AccessClaims, verify_access_token


def bearer_token(header: object) -> str | None:
    if not isinstance(header, str):
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def authenticate(header: object, principals: PrincipalCache) -> tuple[Principal | None, AccessClaims | None]:
    """The principal of a valid, unrevoked token (``principals``: the process's); (None, None) for anything else."""
    token = bearer_token(header)
    if token is None or len(token) > 4096:
        return None, None
    claims = verify_access_token(token)
    if claims is None:
        return None, None
    principal = await principals.load(claims)
    return (principal, claims) if principal else (None, None)
