"""Opaque global ids: a type code and the row id under a keyed permutation.

No database key leaves the server in the clear; an id cannot be guessed or
walked, and one of the wrong type (or forged) decodes to nothing, which the
API reports exactly as a missing object.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from functools import lru_cache

from services import runtime
from services.crypto import IdCipher

#: Stable codes: never renumber, only add.
TYPE_CODES: dict[str, int] = {
    "District": 1,
    "School": 2,
    "SchoolClass": 3,
    "Student": 4,
    "User": 5,
    "ServiceStation": 6,
    "AuditEvent": 7,
    "WellbeingAlert": 8,
    "WellbeingShare": 9,
    "Notification": 10,
    "PushDevice": 11,
    "HomeVisit": 12,
    "Course": 13,
    "Lesson": 14,
    "Enrollment": 15,
    "CourseSession": 16,
    "SessionRegistration": 17,
    "Instructor": 18,
    "Consultation": 19,
    "CourseSessionWaitlistEntry": 20,
    "ColumnEpisode": 21,
    "Notice": 22,
    "RosterImport": 23,
}
_TYPE_NAMES = {code: name for name, code in TYPE_CODES.items()}


def to_global_id(type_name: str, row_id: uuid.UUID) -> str:
    return _encode(runtime.current().crypto.ids, TYPE_CODES[type_name], row_id)


@lru_cache(maxsize=65536)
def _encode(cipher: IdCipher, code: int, row_id: uuid.UUID) -> str:
    # Hot in lists and live feeds; the cipher is part of the key, so a new key is a new cache.
    block = cipher.hide(row_id)
    return base64.urlsafe_b64encode(bytes([code]) + block).rstrip(b"=").decode()


def from_global_id(global_id: str) -> tuple[str, uuid.UUID] | None:
    if not isinstance(global_id, str) or len(global_id) != 23:
        return None
    try:
        raw = base64.urlsafe_b64decode(global_id + "=")
    except (binascii.Error, ValueError):
        return None
    if len(raw) < 2:  # "=" padding alone decodes to nothing
        return None
    type_name = _TYPE_NAMES.get(raw[0])
    if type_name is None:
        return None
    row_id = runtime.current().crypto.ids.reveal(raw[1:])
    return (type_name, row_id) if row_id is not None else None


def decode_id(global_id: str | None, type_name: str) -> uuid.UUID | None:
    """The row id behind ``global_id`` if it names a ``type_name``, else None."""
    if global_id is None:
        return None
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]
