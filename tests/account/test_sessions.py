"""Activation, refresh rotation, sign-out, password change and revocation."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from services.identity.models import Invitation, RefreshToken
from tests.helpers import PASSWORD, HeldClock, error_codes, make_person, user_error_codes

ASSIGN_ROLE = """
mutation AssignRole($input: AssignRoleInput!) {
  assignRole(input: $input) {
    user { id displayName roles { role school { id } } }
    invitation { code expiresAt }
    userErrors { code field message }
  }
}
"""
ACTIVATE = """
mutation ActivateAccount($phone: String!, $code: String!, $password: String!, $version: String) {
  activateAccount(input: { phone: $phone, invitationCode: $code, password: $password,
                           privacyNoticeVersion: $version }) {
    session { accessToken refreshToken accessTokenExpiresAt }
    viewer { id displayName acceptedPrivacyNoticeVersion }
    userErrors { code field message }
  }
}
"""
LINK_GUARDIAN = """
mutation LinkGuardian($input: LinkGuardianInput!) {
  linkGuardian(input: $input) {
    guardianship { relationship isPrimary guardian { id displayName } }
    invitation { code expiresAt }
    userErrors { code field message }
  }
}
"""
REFRESH = """
mutation RefreshSession($refreshToken: String!) {
  refreshSession(input: { refreshToken: $refreshToken }) {
    session { accessToken refreshToken accessTokenExpiresAt }
    userErrors { code field message }
  }
}
"""
LOGOUT = """
mutation Logout($refreshToken: String!, $allDevices: Boolean!) {
  logout(input: { refreshToken: $refreshToken, allDevices: $allDevices }) { ok userErrors { code field message } }
}
"""
CHANGE_PASSWORD = """
mutation ChangePassword($current: String!, $new: String!) {
  changePassword(input: { currentPassword: $current, newPassword: $new }) { ok userErrors { code field message } }
}
"""
LOGIN = """
mutation Login($phone: String!, $password: String!) {
  login(input: { phone: $phone, password: $password }) {
    session { accessToken refreshToken }
    userErrors { code field message }
  }
}
"""
VIEWER = "query Viewer { viewer { id } }"


async def _invite_teacher(api, world, phone="13900000001"):
    body = await api.data(ASSIGN_ROLE, {"input": {
        "phone": phone, "displayName": "新老师", "role": "TEACHER", "schoolId": world.gid(world.school_a)}},
        token=world["school_admin_a"].token)
    assert body["assignRole"]["userErrors"] == []
    return body["assignRole"]["invitation"]["code"]


async def _works(api, token: str) -> bool:
    body = await api.gql(VIEWER, token=token)
    return "errors" not in body


async def test_an_invited_teacher_activates_once_with_the_code(api, world):
    code = await _invite_teacher(api, world)
    body = await api.data(ACTIVATE, {"phone": "13900000001", "code": code.lower(), "password": "Xin-laoshi-2026"})
    payload = body["activateAccount"]
    assert payload["userErrors"] == []
    assert payload["viewer"]["displayName"] == "新老师"
    assert payload["viewer"]["acceptedPrivacyNoticeVersion"] is None  # teachers are not asked
    assert await _works(api, payload["session"]["accessToken"])
    again = await api.data(ACTIVATE, {"phone": "13900000001", "code": code, "password": "Other-pass-2026"})
    assert user_error_codes(again["activateAccount"]) == [("INVALID_STATE", None)]
    login = await api.data(LOGIN, {"phone": "13900000001", "password": "Xin-laoshi-2026"})
    assert login["login"]["userErrors"] == []


async def test_a_guardian_accepts_the_privacy_notice_by_activating(api, world):
    body = await api.data(LINK_GUARDIAN, {"input": {
        "studentId": world.gid(world.students["a"]), "phone": "13900000002", "displayName": "张爸爸",
        "relationship": "FATHER", "isPrimary": False}}, token=world["school_admin_a"].token)
    code = body["linkGuardian"]["invitation"]["code"]
    notice = await api.data("{ privacyNotice { version } }")
    activated = await api.data(ACTIVATE, {"phone": "13900000002", "code": code, "password": "Zhang-baba-2026",
                                          "version": notice["privacyNotice"]["version"]})
    assert activated["activateAccount"]["viewer"]["acceptedPrivacyNoticeVersion"] == "2026-09"


async def test_an_outdated_privacy_notice_version_is_refused(api, world):
    code = await _invite_teacher(api, world)
    body = await api.data(ACTIVATE, {"phone": "13900000001", "code": code, "password": "Xin-laoshi-2026",
                                     "version": "2020-01"})
    assert user_error_codes(body["activateAccount"]) == [("INVALID_INPUT", "privacyNoticeVersion")]


async def test_a_wrong_expired_or_superseded_code_does_not_activate(api, world):
    first = await _invite_teacher(api, world)
    wrong = await api.data(ACTIVATE, {"phone": "13900000001", "code": "ABCDEFGHJK", "password": "Xin-laoshi-2026"})
    assert user_error_codes(wrong["activateAccount"]) == [("INVALID_CREDENTIALS", "invitationCode")]
    # assigning another role re-invites: the first code stops working
    body = await api.data(ASSIGN_ROLE, {"input": {
        "phone": "13900000001", "displayName": "新老师", "role": "COUNSELLOR", "schoolId": world.gid(world.school_a)}},
        token=world["school_admin_a"].token)
    second = body["assignRole"]["invitation"]["code"]
    superseded = await api.data(ACTIVATE, {"phone": "13900000001", "code": first, "password": "Xin-laoshi-2026"})
    assert user_error_codes(superseded["activateAccount"]) == [("INVALID_CREDENTIALS", "invitationCode")]
    await Invitation.filter(used_at__isnull=True, superseded_at__isnull=True).update(
        expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    expired = await api.data(ACTIVATE, {"phone": "13900000001", "code": second, "password": "Xin-laoshi-2026"})
    assert user_error_codes(expired["activateAccount"]) == [("INVALID_CREDENTIALS", "invitationCode")]


async def test_thirty_wrong_codes_at_once_get_five_checks_and_the_right_code_still_works_later(api, world,
                                                                                              monkeypatch):
    """Counted first, as at sign-in: a burst cannot slip past the limit while its checks run."""
    code = await _invite_teacher(api, world)
    clock = HeldClock(monkeypatch)
    answers = await asyncio.gather(*[
        api.data(ACTIVATE, {"phone": "13900000001", "code": f"WRONG{i:05d}", "password": "Xin-laoshi-2026"})
        for i in range(30)])
    codes = [user_error_codes(a["activateAccount"])[0][0] for a in answers]
    assert codes.count("INVALID_CREDENTIALS") == 5 and codes.count("RATE_LIMITED") == 25
    held = await api.data(ACTIVATE, {"phone": "13900000001", "code": code, "password": "Xin-laoshi-2026"})
    assert user_error_codes(held["activateAccount"]) == [("RATE_LIMITED", None)]
    clock.advance(1.1)  # a delay, not a lockout: the invited teacher gets in
    later = await api.data(ACTIVATE, {"phone": "13900000001", "code": code, "password": "Xin-laoshi-2026"})
    assert later["activateAccount"]["userErrors"] == []


async def test_a_weak_password_is_refused_with_every_reason(api, world):
    code = await _invite_teacher(api, world)
    for password, reason in [("short1", "password_too_short"), ("onlyletterslong", "password_too_simple"),
                             ("abc13900000001", "password_contains_phone"), ("password123", "password_too_common")]:
        body = await api.data(ACTIVATE, {"phone": "13900000001", "code": code, "password": password},
                              headers={"accept-language": "en"})
        assert user_error_codes(body["activateAccount"]) == [("INVALID_INPUT", "password")], reason


async def test_refresh_rotates_and_a_spent_token_ends_the_sign_in(api, world):
    teacher = world["teacher_a"]
    first = (await api.data(REFRESH, {"refreshToken": teacher.refresh_token}))["refreshSession"]
    assert first["userErrors"] == []
    assert first["session"]["refreshToken"] != teacher.refresh_token
    assert await _works(api, first["session"]["accessToken"])
    # presented again at once (the app's other client refreshing too), it gives the same new refresh token
    again = (await api.data(REFRESH, {"refreshToken": teacher.refresh_token}))["refreshSession"]
    assert again["userErrors"] == [] and again["session"]["refreshToken"] == first["session"]["refreshToken"]
    # past the grace period, the spent token ends the whole sign-in
    await RefreshToken.filter(used_at__isnull=False).update(used_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=31))
    replay = (await api.data(REFRESH, {"refreshToken": teacher.refresh_token}))["refreshSession"]
    assert user_error_codes(replay) == [("INVALID_CREDENTIALS", "refreshToken")]
    assert not await _works(api, first["session"]["accessToken"])
    assert not await _works(api, teacher.token)
    after = (await api.data(REFRESH, {"refreshToken": first["session"]["refreshToken"]}))["refreshSession"]
    assert user_error_codes(after) == [("INVALID_CREDENTIALS", "refreshToken")]


async def test_refreshes_racing_each_other_keep_the_sign_in(api, world):
    import asyncio

    teacher = world["teacher_a"]
    answers = await asyncio.gather(*[api.data(REFRESH, {"refreshToken": teacher.refresh_token}) for _ in range(8)])
    sessions = [a["refreshSession"]["session"] for a in answers]
    assert all(s is not None for s in sessions)
    assert len({s["refreshToken"] for s in sessions}) == 1
    assert all([await _works(api, s["accessToken"]) for s in sessions])
    # the chain goes on from the one new refresh token
    next_pair = (await api.data(REFRESH, {"refreshToken": sessions[0]["refreshToken"]}))["refreshSession"]
    assert next_pair["userErrors"] == []


async def test_a_grace_refresh_never_revives_a_successor_already_spent(api, world):
    teacher = world["teacher_a"]
    first = (await api.data(REFRESH, {"refreshToken": teacher.refresh_token}))["refreshSession"]["session"]
    second = (await api.data(REFRESH, {"refreshToken": first["refreshToken"]}))["refreshSession"]["session"]
    assert second is not None
    # the first token again, within its grace, but its successor has moved on: a theft, not a double tap
    replay = (await api.data(REFRESH, {"refreshToken": teacher.refresh_token}))["refreshSession"]
    assert user_error_codes(replay) == [("INVALID_CREDENTIALS", "refreshToken")]
    assert not await _works(api, second["accessToken"])


async def test_an_unknown_refresh_token_is_refused(api, world):
    body = (await api.data(REFRESH, {"refreshToken": "nonsense"}))["refreshSession"]
    assert body["session"] is None
    assert user_error_codes(body) == [("INVALID_CREDENTIALS", "refreshToken")]


async def test_logout_ends_this_session_at_once_and_leaves_the_others(api, world):
    teacher = world["teacher_a"]
    other = (await api.data(LOGIN, {"phone": teacher.phone, "password": PASSWORD}))["login"]["session"]
    body = await api.data(LOGOUT, {"refreshToken": teacher.refresh_token, "allDevices": False})
    assert body["logout"] == {"ok": True, "userErrors": []}
    assert not await _works(api, teacher.token)
    assert await _works(api, other["accessToken"])
    refreshed = (await api.data(REFRESH, {"refreshToken": teacher.refresh_token}))["refreshSession"]
    assert refreshed["session"] is None


async def test_logout_of_all_devices_ends_every_session(api, world):
    teacher = world["teacher_a"]
    other = (await api.data(LOGIN, {"phone": teacher.phone, "password": PASSWORD}))["login"]["session"]
    await api.data(LOGOUT, {"refreshToken": teacher.refresh_token, "allDevices": True})
    assert not await _works(api, teacher.token)
    assert not await _works(api, other["accessToken"])


async def test_password_change_ends_other_sessions_and_keeps_this_one(api, world):
    teacher = world["teacher_a"]
    other = (await api.data(LOGIN, {"phone": teacher.phone, "password": PASSWORD}))["login"]["session"]
    wrong = await api.data(CHANGE_PASSWORD, {"current": "nope-nope-1", "new": "New-secret-2027"}, token=teacher.token)
    assert user_error_codes(wrong["changePassword"]) == [("INVALID_CREDENTIALS", "currentPassword")]
    weak = await api.data(CHANGE_PASSWORD, {"current": PASSWORD, "new": "short"}, token=teacher.token)
    assert user_error_codes(weak["changePassword"]) == [("INVALID_INPUT", "newPassword")]
    same = await api.data(CHANGE_PASSWORD, {"current": PASSWORD, "new": PASSWORD}, token=teacher.token)
    assert user_error_codes(same["changePassword"]) == [("INVALID_INPUT", "newPassword")]
    changed = await api.data(CHANGE_PASSWORD, {"current": PASSWORD, "new": "New-secret-2027"}, token=teacher.token)
    assert changed["changePassword"] == {"ok": True, "userErrors": []}
    assert await _works(api, teacher.token)
    assert not await _works(api, other["accessToken"])
    old = await api.data(LOGIN, {"phone": teacher.phone, "password": PASSWORD})
    assert user_error_codes(old["login"]) == [("INVALID_CREDENTIALS", None)]
    new = await api.data(LOGIN, {"phone": teacher.phone, "password": "New-secret-2027"})
    assert new["login"]["userErrors"] == []


async def test_change_password_needs_a_session(api, world):
    body = await api.gql(CHANGE_PASSWORD, {"current": PASSWORD, "new": "New-secret-2027"})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None


@pytest.mark.private_redis
async def test_revoked_tokens_stay_refused_while_redis_is_down(api, world, private_redis):
    # given: a cached, working session, and another session of the same user
    teacher = world["teacher_a"]
    assert await _works(api, teacher.token)
    second = await make_person("第二位", password=PASSWORD)
    assert await _works(api, second.token)
    # when: Redis stops and the teacher signs out
    private_redis.stop()
    body = await api.data(LOGOUT, {"refreshToken": teacher.refresh_token, "allDevices": False})
    # then: sign-out works, the revoked token is refused, other sessions keep working
    assert body["logout"]["ok"] is True
    assert not await _works(api, teacher.token)
    assert await _works(api, second.token)
