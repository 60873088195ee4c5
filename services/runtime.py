"""What the domain needs from the process, configured once at start.

The api package builds a Runtime from the settings (keys, Redis client,
hashing profile) and installs it; services read it through ``current()``.
It holds configuration and clients only, never state of the domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

from services.crypto import Crypto


@dataclass(frozen=True)
class TokenConfig:
    issuer: str
    audience: str
    access_ttl_seconds: int
    refresh_ttl_seconds: int
    session_max_seconds: int


@dataclass
class Runtime:
    crypto: Crypto
    redis: Redis
    redis_prefix: str
    signing: object  # services.identity.tokens.TokenKeys, typed loosely to avoid an import cycle
    password_hashing: str = "standard"
    tokens: TokenConfig = TokenConfig(
        issuer="coedu",
        audience="coedu-api",
        access_ttl_seconds=600,
        refresh_ttl_seconds=30 * 86400,
        session_max_seconds=90 * 86400,
    )
    push_gateway_url: str | None = None
    #: The folder imports started from the console read their files from.
    roster_dir: Path | None = None
    public_url: str = "http://127.0.0.1:8000"

    def key(self, *parts: object) -> str:
        """A Redis key (or channel) inside this deployment's prefix."""
        return self.redis_prefix + ":".join(str(p) for p in parts)


_current: Runtime | None = None


def install(runtime: Runtime) -> None:
    global _current
    _current = runtime


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("services.runtime.install() has not been called")
    return _current
