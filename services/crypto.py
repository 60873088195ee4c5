"""Encryption at rest, blind indexes and opaque identifiers.

Sensitive columns (phones, student numbers, alert details, home addresses)
hold AES-256-GCM ciphertext only. Each value carries the id of the key that
sealed it, so keys can rotate, and is bound to its table, column and row by
the associated data: a ciphertext copied into another row does not decrypt.
Equality lookups (a phone at sign-in, a student number's uniqueness) go
through keyed HMAC "blind indexes" instead of the plaintext.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_FORMAT_VERSION = 1


class DecryptionError(Exception):
    """A sealed value does not open: wrong row, unknown key or tampering."""


def _derive(secret: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(secret)


@dataclass(frozen=True)
class Sealer:
    """AES-GCM with a key ring; new values use ``current``."""

    keys: dict[str, bytes]
    current: str

    def seal(self, plaintext: str, *, table: str, column: str, row: uuid.UUID) -> bytes:
        kid = self.current.encode()
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext.encode(), _aad(table, column, row))
        return bytes([_FORMAT_VERSION, len(kid)]) + kid + nonce + sealed

    def open(self, blob: bytes, *, table: str, column: str, row: uuid.UUID) -> str:
        if len(blob) < 2 or blob[0] != _FORMAT_VERSION:
            raise DecryptionError("unknown format")
        end = 2 + blob[1]
        key = self.keys.get(blob[2:end].decode(errors="replace"))
        if key is None:
            raise DecryptionError("unknown key id")
        try:
            plain = AESGCM(key).decrypt(blob[end:end + 12], blob[end + 12:], _aad(table, column, row))
        except Exception as error:  # cryptography raises InvalidTag; nothing else is expected here
            raise DecryptionError("value does not open for this row") from error
        return plain.decode()

    def key_id(self, blob: bytes) -> str:
        return blob[2:2 + blob[1]].decode()


def _aad(table: str, column: str, row: uuid.UUID) -> bytes:
    return f"{table}.{column}.{row}".encode()


@dataclass(frozen=True)
class BlindIndex:
    key: bytes

    def digest(self, kind: str, value: str) -> str:
        return hmac.new(self.key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()


class IdCipher:
    """A keyed permutation of 16-byte row ids (one AES block): opaque, stable, unforgeable."""

    def __init__(self, key: bytes) -> None:
        self._cipher = Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305 - one block, a PRP by design

    def hide(self, row: uuid.UUID) -> bytes:
        encryptor = self._cipher.encryptor()
        return encryptor.update(row.bytes) + encryptor.finalize()

    def reveal(self, block: bytes) -> uuid.UUID | None:
        if len(block) != 16:
            return None
        decryptor = self._cipher.decryptor()
        row = uuid.UUID(bytes=decryptor.update(block) + decryptor.finalize())
        # Every row id is a UUIDv7 (see ids.new_id): version and variant bits
        # reject almost every forged block before it reaches the database.
        if row.version != 7 or row.variant != uuid.RFC_4122:
            return None
        return row


@dataclass(frozen=True)
class Crypto:
    sealer: Sealer
    blind_index: BlindIndex
    ids: IdCipher
    #: HMAC key for short secrets we only compare (invitation codes, refresh tokens).
    token_key: bytes

    @classmethod
    def from_keys(cls, encryption_keys: dict[str, bytes], current: str, index_key: bytes) -> Crypto:
        return cls(
            sealer=Sealer(encryption_keys, current),
            blind_index=BlindIndex(_derive(index_key, "coedu blind index")),
            ids=IdCipher(_derive(index_key, "coedu opaque ids")),
            token_key=_derive(index_key, "coedu token digests"),
        )

    def token_digest(self, token: str) -> str:
        return hmac.new(self.token_key, token.encode(), hashlib.sha256).hexdigest()
