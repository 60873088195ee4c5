"""Configuration from the environment.

Every knob the process reads is here; the README's configuration table lists
the same names. Development generates its keys once and keeps them in the data
directory; production refuses to start without real ones.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from api.failpoints import KNOWN as KNOWN_FAILPOINTS


class ConfigurationError(Exception):
    """The environment does not describe a process that may start."""


@dataclass(frozen=True)
class Keys:
    signing_key: Ed25519PrivateKey
    #: Public keys of earlier signing keys, still accepted while their tokens live.
    previous_verifying_keys: tuple[Ed25519PublicKey, ...]
    #: Field-encryption keys by key id; ``current_encryption_key`` encrypts new values.
    encryption_keys: dict[str, bytes]
    current_encryption_key: str
    #: Secret for blind indexes, invitation codes and opaque ids; it must never change.
    index_key: bytes


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    data_dir: Path = Path(".coedu")
    database_url: str | None = None
    #: The owner role's connection, for migrations only; None: migrations use ``database_url``.
    migration_database_url: str | None = None
    redis_url: str | None = None
    redis_prefix: str = "coedu:"
    keys: Keys | None = None
    allowed_origins: tuple[str, ...] = ()
    #: Folders of .graphql files and manifests (api.documents); empty: every document runs.
    trusted_documents: tuple[Path, ...] = ()
    #: Where clients reach the server (calendar links); None: the address `coedu serve` listens on.
    public_url: str | None = None
    push_gateway_url: str | None = None
    #: Where roster files for imports started from the console are dropped (the city's system
    #: delivers them there); by default ``roster`` in the data folder.
    roster_dir: Path | None = None
    password_hashing: str = "standard"
    db_pool_size: int = 10
    statement_timeout_ms: int = 5000
    request_timeout_s: float = 10.0
    migrate_on_start: bool = True
    log_level: str = "INFO"
    #: Proxies whose X-Forwarded-For is believed (addresses or networks); none: the peer is the client.
    trusted_proxies: tuple[str, ...] = ()
    #: How long an access token lives; apps refresh it with their refresh token.
    access_token_seconds: int = 600
    #: Faults to inject on purpose (api.failpoints); tests only.
    failpoints: frozenset[str] = frozenset()
    #: The bearer token /metrics asks for; None: open in development, not served in production.
    metrics_token: str | None = None

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def with_urls(self, *, database_url: str, redis_url: str) -> Settings:
        return replace(self, database_url=database_url, redis_url=redis_url)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        environment = env.get("COEDU_ENV", "development")
        if environment not in ("development", "production"):
            raise ConfigurationError(f"COEDU_ENV must be 'development' or 'production', not {environment!r}")
        data_dir = Path(env.get("COEDU_DATA_DIR", ".coedu")).resolve()
        production = environment == "production"
        password_hashing = env.get("COEDU_PASSWORD_HASHING", "standard")
        if password_hashing not in ("standard", "fast"):
            raise ConfigurationError("COEDU_PASSWORD_HASHING must be 'standard' or 'fast'")
        if production and password_hashing != "standard":
            raise ConfigurationError("COEDU_PASSWORD_HASHING=fast is for tests; production hashes in full")
        documents = env.get("COEDU_TRUSTED_DOCUMENTS")
        if production and not documents:
            raise ConfigurationError(
                "COEDU_ENV=production needs COEDU_TRUSTED_DOCUMENTS: the folder of the clients' "
                ".graphql operations, the only documents production executes"
            )
        if _int(env, "COEDU_ACCESS_TOKEN_SECONDS", 600) < 1:
            raise ConfigurationError("COEDU_ACCESS_TOKEN_SECONDS must be at least 1")
        failpoints = frozenset(name.strip() for name in env.get("COEDU_FAILPOINTS", "").split(",") if name.strip())
        if production and failpoints:
            raise ConfigurationError("COEDU_FAILPOINTS injects faults for tests; production refuses it")
        metrics_token = env.get("COEDU_METRICS_TOKEN") or None
        if metrics_token is not None and len(metrics_token) < 24:
            raise ConfigurationError("COEDU_METRICS_TOKEN must be at least 24 characters "
                                     "(coedu generate-keys makes one)")
        unknown = failpoints - KNOWN_FAILPOINTS.keys()
        if unknown:
            raise ConfigurationError(f"COEDU_FAILPOINTS: unknown failpoints {', '.join(sorted(unknown))}")
        keys = _production_keys(env) if production else _development_keys(env, data_dir)
        return cls(
            environment=environment,
            data_dir=data_dir,
            database_url=env.get("DATABASE_URL") or None,
            migration_database_url=env.get("COEDU_MIGRATION_DATABASE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            redis_prefix=env.get("COEDU_REDIS_PREFIX", "coedu:"),
            keys=keys,
            allowed_origins=tuple(o.strip() for o in env.get("COEDU_ALLOWED_ORIGINS", "").split(",") if o.strip()),
            trusted_documents=tuple(Path(p.strip()) for p in (documents or "").split(",") if p.strip()),
            public_url=(env.get("COEDU_PUBLIC_URL") or "").rstrip("/") or None,
            push_gateway_url=env.get("PUSH_GATEWAY_URL") or None,
            roster_dir=Path(env["COEDU_ROSTER_DIR"]).resolve() if env.get("COEDU_ROSTER_DIR") else None,
            password_hashing=password_hashing,
            db_pool_size=_int(env, "COEDU_DB_POOL_SIZE", 10),
            statement_timeout_ms=_int(env, "COEDU_STATEMENT_TIMEOUT_MS", 5000),
            request_timeout_s=float(env.get("COEDU_REQUEST_TIMEOUT_S", "10")),
            migrate_on_start=env.get("COEDU_MIGRATE_ON_START", "1") not in ("0", "false", "no"),
            log_level=env.get("COEDU_LOG_LEVEL", "INFO").upper(),
            failpoints=failpoints,
            access_token_seconds=_int(env, "COEDU_ACCESS_TOKEN_SECONDS", 600),
            trusted_proxies=_networks(env.get("COEDU_TRUSTED_PROXIES", "")),
            metrics_token=metrics_token,
        )


def _networks(text: str) -> tuple[str, ...]:
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as error:
            # "*" included: trusting everyone would take the client's own words for its address.
            raise ConfigurationError(f"COEDU_TRUSTED_PROXIES: {item!r} is not an address or a network") from error
    return tuple(networks)


def _int(env: dict[str, str], name: str, default: int) -> int:
    try:
        return int(env.get(name, default))
    except ValueError as error:
        raise ConfigurationError(f"{name} must be an integer") from error


_PRODUCTION_KEYS_HELP = (
    "COEDU_ENV=production needs real keys: COEDU_SIGNING_KEY_FILE (an Ed25519 private key in PEM), "
    "COEDU_ENCRYPTION_KEYS ('kid:base64-32-bytes', newest first, comma-separated) and COEDU_INDEX_KEY "
    "(base64, 32 bytes). `coedu generate-keys` prints a fresh set."
)


def _production_keys(env: dict[str, str]) -> Keys:
    missing = [n for n in ("COEDU_SIGNING_KEY_FILE", "COEDU_ENCRYPTION_KEYS", "COEDU_INDEX_KEY") if not env.get(n)]
    if missing:
        raise ConfigurationError(f"{_PRODUCTION_KEYS_HELP} Missing: {', '.join(missing)}.")
    try:
        signing = _load_signing_key(Path(env["COEDU_SIGNING_KEY_FILE"]).read_bytes())
    except OSError as error:
        raise ConfigurationError(f"COEDU_SIGNING_KEY_FILE cannot be read: {error.strerror}") from error
    previous = tuple(
        _load_verifying_key(Path(p.strip()).read_bytes())
        for p in env.get("COEDU_PREVIOUS_SIGNING_KEY_FILES", "").split(",")
        if p.strip()
    )
    encryption, current = parse_encryption_keys(env["COEDU_ENCRYPTION_KEYS"])
    return Keys(signing, previous, encryption, current, _b64_key(env["COEDU_INDEX_KEY"], "COEDU_INDEX_KEY"))


def parse_encryption_keys(text: str) -> tuple[dict[str, bytes], str]:
    keys: dict[str, bytes] = {}
    for item in text.split(","):
        kid, sep, value = item.strip().partition(":")
        if not sep or not kid or len(kid) > 32:
            raise ConfigurationError("COEDU_ENCRYPTION_KEYS entries look like 'kid:base64key'")
        keys[kid] = _b64_key(value, f"encryption key {kid}")
    if not keys:
        raise ConfigurationError("COEDU_ENCRYPTION_KEYS is empty")
    return keys, next(iter(keys))


def _b64_key(value: str, name: str) -> bytes:
    try:
        key = base64.b64decode(value, validate=True)
    except ValueError as error:
        raise ConfigurationError(f"{name} is not valid base64") from error
    if len(key) != 32:
        raise ConfigurationError(f"{name} must be 32 bytes, not {len(key)}")
    return key


def _load_signing_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError("the signing key must be an Ed25519 private key")
    return key


def _load_verifying_key(pem: bytes) -> Ed25519PublicKey:
    if b"PRIVATE" in pem:
        return _load_signing_key(pem).public_key()
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError("previous signing keys must be Ed25519 keys")
    return key


def generate_key_material() -> dict[str, str]:
    signing = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    kid = "k" + secrets.token_hex(4)
    return {
        "signing_key_pem": signing.decode(),
        "encryption_keys": f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}",
        "index_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "metrics_token": secrets.token_urlsafe(32),
    }


def _development_keys(env: dict[str, str], data_dir: Path) -> Keys:
    """Keys kept in the data directory, made on first start; env values win when given."""
    path = data_dir / "secrets.json"
    if path.exists():
        material = json.loads(path.read_text())
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        material = generate_key_material()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(material))
        tmp.chmod(0o600)
        tmp.replace(path)
    signing_pem = (
        Path(env["COEDU_SIGNING_KEY_FILE"]).read_bytes()
        if env.get("COEDU_SIGNING_KEY_FILE")
        else material["signing_key_pem"].encode()
    )
    encryption, current = parse_encryption_keys(env.get("COEDU_ENCRYPTION_KEYS") or material["encryption_keys"])
    index_key = _b64_key(env.get("COEDU_INDEX_KEY") or material["index_key"], "COEDU_INDEX_KEY")
    return Keys(_load_signing_key(signing_pem), (), encryption, current, index_key)
