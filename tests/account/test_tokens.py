"""Forged, altered and out-of-date access tokens are refused."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import time
import types

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.identity import tokens
from services.identity.tokens import key_id
from tests.helpers import error_codes

VIEWER = "query Viewer { viewer { id } }"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _header(token: str) -> dict:
    return jwt.get_unverified_header(token)


async def _refused(api, token: str) -> None:
    body = await api.gql(VIEWER, token=token)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None


async def test_a_genuine_token_works(api, world):
    body = await api.gql(VIEWER, token=world["teacher_a"].token)
    assert body["data"]["viewer"]["id"] == world["teacher_a"].id
    assert _header(world["teacher_a"].token)["alg"] == "EdDSA"
    claims = _claims(world["teacher_a"].token)
    assert claims["exp"] - claims["iat"] <= 15 * 60
    assert {"iss", "aud", "exp", "iat", "sub", "sid", "jti"} <= set(claims)


async def test_alg_none_is_refused(api, world):
    claims = _claims(world["teacher_a"].token)
    header = {"alg": "none", "typ": "JWT", "kid": _header(world["teacher_a"].token)["kid"]}
    forged = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."
    await _refused(api, forged)


async def test_hmac_signed_with_the_public_key_is_refused(api, world, keys):
    claims = _claims(world["teacher_a"].token)
    public_pem = keys.signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": _header(world["teacher_a"].token)["kid"]}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    await _refused(api, f"{signing_input}.{_b64(signature)}")


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("aud", "another-api"),
        ("iss", "someone-else"),
        ("exp", int(time.time()) - 120),
        ("sub", "AAAAAAAAAAAAAAAAAAAAAA"),
    ],
)
async def test_a_well_signed_token_with_a_wrong_claim_is_refused(api, world, keys, change, value):
    claims = _claims(world["teacher_a"].token) | {change: value}
    kid = _header(world["teacher_a"].token)["kid"]
    token = jwt.encode(claims, keys.signing_key, algorithm="EdDSA", headers={"kid": kid})
    await _refused(api, token)


@pytest.mark.parametrize("missing", ["jti", "sid", "exp", "aud"])
async def test_a_token_missing_a_required_claim_is_refused(api, world, keys, missing):
    claims = _claims(world["teacher_a"].token)
    del claims[missing]
    kid = _header(world["teacher_a"].token)["kid"]
    token = jwt.encode(claims, keys.signing_key, algorithm="EdDSA", headers={"kid": kid})
    await _refused(api, token)


async def test_an_unknown_kid_or_a_foreign_key_is_refused(api, world):
    claims = _claims(world["teacher_a"].token)
    stranger = Ed25519PrivateKey.generate()
    await _refused(api, jwt.encode(claims, stranger, algorithm="EdDSA", headers={"kid": key_id(stranger.public_key())}))
    await _refused(api, jwt.encode(claims, stranger, algorithm="EdDSA",
                                   headers={"kid": _header(world["teacher_a"].token)["kid"]}))


async def test_a_tampered_payload_is_refused(api, world):
    header, payload, signature = world["teacher_a"].token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = _claims(world["teacher_b"].token)["sub"]
    await _refused(api, f"{header}.{_b64(json.dumps(claims).encode())}.{signature}")


async def test_a_token_accepted_before_is_refused_once_it_has_expired(api, world, monkeypatch):
    """Verified tokens are remembered, so the remembered ones must still run out on time."""
    token = world["teacher_a"].token
    assert (await api.gql(VIEWER, token=token))["data"]["viewer"]["id"] == world["teacher_a"].id
    later = _claims(token)["exp"] + 60  # past the expiry and the leeway

    class Later(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime.fromtimestamp(later, tz)

    monkeypatch.setattr(tokens, "time", types.SimpleNamespace(time=lambda: later))
    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)
    await _refused(api, token)
