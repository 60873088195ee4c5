"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from services import runtime
from services.errors import Checks, ErrorCode, UserErrors

T = TypeVar("T")

MIN_LENGTH = 8
MAX_LENGTH = 128
#: The most common passwords in Chinese leaks (and their obvious neighbours).
_COMMON = frozenset({
    "12345678", "123456789", "1234567890", "11111111", "88888888", "66666666", "00000000",
    "password", "password1", "abc12345", "abcd1234", "a1234567", "qwerty123", "1qaz2wsx",
    "iloveyou", "woaini1314", "5201314a", "asdf1234", "zxcvbnm1", "aa123456", "qq123456",
    "a123456789", "123456abc", "abc123456", "1q2w3e4r", "password123", "admin123", "baotou123",
})


@cache
def _hasher(profile: str) -> PasswordHasher:
    if profile == "fast":  # tests only: settings refuse it in production
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
    return PasswordHasher(time_cost=3, memory_cost=65536, parallelism=2, type=Type.ID)


def _profile() -> str:
    return runtime.current().password_hashing


#: argon2 takes tens of milliseconds of CPU and 64 MiB per hash: one at a time per process, on a
#: thread of its own, so that a flood of sign-ins leaves the event loop (every other request) a core.
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argon2")
#: Sign-ins waiting for that thread beyond this are refused at once (RATE_LIMITED) instead of queuing.
MAX_WAITING = 16
_waiting = 0


async def _on_hashing_thread(work: Callable[..., T], *args: object) -> T:
    global _waiting
    if _waiting >= MAX_WAITING:
        raise UserErrors.one(ErrorCode.RATE_LIMITED, "rate_limited")
    _waiting += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_HASHING, work, *args)
    finally:
        _waiting -= 1


async def hash_password(password: str) -> str:
    return await _on_hashing_thread(_hasher(_profile()).hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        # Spend the same time on unknown accounts, so timing does not reveal them.
        await _on_hashing_thread(_dummy_verify, password)
        return False
    return await _on_hashing_thread(_verify, password_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher(_profile()).verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash(profile: str) -> str:
    return _hasher(profile).hash("not a password of anyone")


def _dummy_verify(password: str) -> None:
    profile = _profile()
    try:
        _hasher(profile).verify(_dummy_hash(profile), password)
    except VerificationError:
        pass


def check_policy(checks: Checks, field: str, password: str, *, phone: str | None) -> None:
    if len(password) < MIN_LENGTH:
        checks.invalid(field, "password_too_short", min=MIN_LENGTH)
        return
    if len(password) > MAX_LENGTH:
        checks.invalid(field, "password_too_long", max=MAX_LENGTH)
        return
    classes = sum((
        any(c.isalpha() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ))
    if classes < 2:
        checks.invalid(field, "password_too_simple")
    elif phone and phone[-8:] in password:
        checks.invalid(field, "password_contains_phone")
    elif password.lower() in _COMMON:
        checks.invalid(field, "password_too_common")
