"""Who a valid access token speaks for, checked against revocation on every request.

PostgreSQL decides (the session is live, the user's current roles); Redis
caches the answer for a minute. Every change that affects access (sign-out,
password change, a role granted or revoked) bumps the user's generation
counter through the outbox after its commit; a cached principal of an older
generation is ignored, and a cache fill that raced with a change is dropped.
While Redis is down every request asks PostgreSQL, so revoked tokens stay
refused. In front of this, each serving process keeps principals in memory
(services.identity.principal_cache), dropped on the access-changed message.
"""

from __future__ import annotations

import json
import logging
import uuid

from redis.exceptions import RedisError
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from services import outbox, runtime
from services.access import Principal, RoleGrant
from services.enums import Role
from services.identity.tokens import AccessClaims

log = logging.getLogger(__name__)

CACHE_SECONDS = 60

# Set the entry only if the user's generation is still the one read before PostgreSQL was asked.
_FILL = """
local current = redis.call('GET', KEYS[2]) or '0'
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
end
return current
"""

#: A user's grants as JSON: (role, school, district, station, the district the scope lies in).
_GRANTS = """
       (SELECT coalesce(json_agg(json_build_array(
                   r.role, r.school_id, r.district_id, r.station_id,
                   coalesce(s.district_id, st.district_id, r.district_id))), '[]'::json)
          FROM role_assignment r
          LEFT JOIN school s ON s.id = r.school_id
          LEFT JOIN service_station st ON st.id = r.station_id
         WHERE r.user_id = u.id) AS grants"""

_PRINCIPAL_SQL = f"""
SELECT u.display_name, {_GRANTS}
  FROM auth_session a
  JOIN app_user u ON u.id = a.user_id
 WHERE a.id = $1 AND a.user_id = $2 AND a.revoked_at IS NULL AND a.expires_at > now()
"""


def _keys(claims: AccessClaims) -> tuple[str, str]:
    rt = runtime.current()
    return rt.key("principal", claims.session_id), rt.key("access-generation", claims.user_id)


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


def _decode(user_id: uuid.UUID, session_id: uuid.UUID, display_name: str, grants: list) -> Principal:
    return Principal(
        user_id=user_id,
        session_id=session_id,
        display_name=display_name,
        grants=tuple(
            RoleGrant(Role(g[0]), _uuid(g[1]), _uuid(g[2]), _uuid(g[3]), _uuid(g[4])) for g in grants
        ),
    )


async def load(claims: AccessClaims) -> Principal | None:
    """The principal of a verified token, or None if its session has ended."""
    rt = runtime.current()
    entry_key, generation_key = _keys(claims)
    generation: str | None = None
    try:
        # the client decodes responses (decode_responses=True): str, though redis-py types bytes | str
        cached, generation = await rt.redis.mget(entry_key, generation_key)  # type: ignore[assignment]
        generation = generation or "0"
        if cached:
            entry = json.loads(cached)
            if entry["generation"] == generation and entry["user"] == str(claims.user_id):
                return _decode(claims.user_id, claims.session_id, entry["name"], entry["grants"])
    except (RedisError, OSError):
        generation = None  # Redis down: PostgreSQL alone decides
    found = await _row(claims)
    if found is None:
        return None
    principal = _decode(claims.user_id, claims.session_id, *found)
    if generation is not None:
        entry = json.dumps({"generation": generation, "user": str(claims.user_id),
                            "name": principal.display_name, "grants": found[1]})
        try:
            await rt.redis.eval(_FILL, 2, entry_key, generation_key, generation, entry, CACHE_SECONDS)
        except (RedisError, OSError):
            log.warning("principal cache fill failed")
    return principal


def access_channel() -> str:
    """The channel on which every change of a user's access is announced (the user's id) after its commit."""
    return runtime.current().key("access-changed")


async def read(claims: AccessClaims) -> Principal | None:
    """The principal of a verified token as PostgreSQL has it now, or None if its session has ended."""
    found = await _row(claims)
    return _decode(claims.user_id, claims.session_id, *found) if found else None


async def _row(claims: AccessClaims) -> tuple[str, list] | None:
    """The name and grants (as _GRANTS has them) of the user of a live session."""
    rows = await connections.get("default").execute_query_dict(_PRINCIPAL_SQL, [claims.session_id, claims.user_id])
    return (rows[0]["display_name"], _grants(rows[0])) if rows else None


async def access_changed(user_id: uuid.UUID, *, using: BaseDBAsyncClient) -> list[outbox.RedisOutbox]:
    """Within the transaction that changed the user's access: make every cached principal stale (in
    Redis by the generation, in each process's memory by the message) and tell open WebSocket
    connections to re-check. Flush the returned entries after commit."""
    rt = runtime.current()
    return [
        await outbox.enqueue_incr(rt.key("access-generation", user_id), using=using),
        await outbox.enqueue_publish(access_channel(), str(user_id), using=using),
    ]


_GRANTS_OF_USER = f"""
SELECT u.display_name, {_GRANTS}
  FROM app_user u WHERE u.id = $1
"""


async def of_user(user_id: uuid.UUID, *, using: BaseDBAsyncClient | None = None) -> Principal | None:
    """The roles of any user (not a session): to ask what someone else may see, e.g. an assignee."""
    rows = await (using or connections.get("default")).execute_query_dict(_GRANTS_OF_USER, [user_id])
    if not rows:
        return None
    return _decode(user_id, uuid.UUID(int=0), rows[0]["display_name"], _grants(rows[0]))


def _grants(row: dict) -> list:
    return json.loads(row["grants"]) if isinstance(row["grants"], str) else row["grants"]
