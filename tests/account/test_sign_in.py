"""Password sign-in, throttling and the viewer."""

from __future__ import annotations

import asyncio

from tests.helpers import PASSWORD, HeldClock, error_codes, make_person, user_error_codes

LOGIN = """
mutation Login($phone: String!, $password: String!) {
  login(input: { phone: $phone, password: $password }) {
    session { accessToken refreshToken accessTokenExpiresAt }
    viewer { id displayName phoneMasked roles { role school { id name } district { id name } station { id name } } }
    userErrors { code field message }
  }
}
"""
VIEWER = "query Viewer { viewer { id displayName phoneMasked roles { role } } }"


async def test_sign_in_with_phone_and_password_returns_a_working_session(api, world):
    # given
    teacher = world["teacher_a"]
    # when
    body = await api.data(LOGIN, {"phone": f"+86 {teacher.phone[:3]}-{teacher.phone[3:]}", "password": PASSWORD})
    # then
    payload = body["login"]
    assert payload["userErrors"] == []
    assert payload["viewer"]["displayName"] == "王老师"
    assert payload["viewer"]["phoneMasked"] == f"{teacher.phone[:3]}****{teacher.phone[-4:]}"
    assert payload["viewer"]["roles"] == [
        {"role": "TEACHER", "school": {"id": world.gid(world.school_a), "name": "昆都仑区第一小学"},
         "district": None, "station": None}
    ]
    viewer = await api.data(VIEWER, token=payload["session"]["accessToken"])
    assert viewer["viewer"]["id"] == payload["viewer"]["id"]


async def test_wrong_password_and_unknown_phone_get_the_same_answer(api, world):
    wrong = await api.data(LOGIN, {"phone": world["teacher_a"].phone, "password": "Wrong-password-1"})
    unknown = await api.data(LOGIN, {"phone": "13999999999", "password": "Wrong-password-1"})
    assert wrong == unknown
    assert wrong["login"]["session"] is None
    assert user_error_codes(wrong["login"]) == [("INVALID_CREDENTIALS", None)]
    assert wrong["login"]["userErrors"][0]["message"] == "手机号或密码不正确。"


async def test_an_invited_account_without_password_cannot_sign_in(api, world):
    invited = await make_person("未激活", password=None, sign_in=False)
    body = await api.data(LOGIN, {"phone": invited.phone, "password": PASSWORD})
    assert user_error_codes(body["login"]) == [("INVALID_CREDENTIALS", None)]


async def test_a_malformed_phone_is_invalid_input(api, world):
    body = await api.data(LOGIN, {"phone": "12345", "password": PASSWORD},
                          headers={"accept-language": "en"})
    assert body["login"]["userErrors"] == [
        {"code": "INVALID_INPUT", "field": "phone", "message": "Enter a valid mainland China mobile number."}
    ]


async def test_repeated_failures_delay_the_next_attempt_without_locking_anyone_out(api, world):
    phone = world["teacher_a"].phone
    for _ in range(5):
        body = await api.data(LOGIN, {"phone": phone, "password": "Wrong-password-1"})
        assert user_error_codes(body["login"]) == [("INVALID_CREDENTIALS", None)]
    body = await api.data(LOGIN, {"phone": phone, "password": PASSWORD})
    assert user_error_codes(body["login"]) == [("RATE_LIMITED", None)]
    assert body["login"]["userErrors"][0]["message"] == "尝试次数过多，请 1 秒后再试。"
    assert body["login"]["session"] is None
    # another account from the same address is not held back
    other = await api.data(LOGIN, {"phone": world["teacher_b"].phone, "password": PASSWORD})
    assert other["login"]["userErrors"] == []
    # a delay, not a lockout: once it has passed, the right password works
    await asyncio.sleep(1.1)
    again = await api.data(LOGIN, {"phone": phone, "password": PASSWORD})
    assert again["login"]["userErrors"] == []


async def test_repeated_failures_from_one_address_are_slowed_across_phones(api, world):
    for index in range(30):
        body = await api.data(LOGIN, {"phone": f"1370000{index:04d}", "password": "Wrong-password-1"})
        assert user_error_codes(body["login"]) == [("INVALID_CREDENTIALS", None)]
    body = await api.data(LOGIN, {"phone": world["teacher_b"].phone, "password": PASSWORD})
    assert user_error_codes(body["login"]) == [("RATE_LIMITED", None)]


async def test_thirty_guesses_at_once_get_five_password_checks(api, world, monkeypatch):
    HeldClock(monkeypatch)  # one instant: what is tested is counting against checking, not timing
    phone = world["teacher_a"].phone
    answers = await asyncio.gather(*[api.data(LOGIN, {"phone": phone, "password": f"Wrong-password-{i}"})
                                     for i in range(30)])
    codes = [user_error_codes(a["login"])[0][0] for a in answers]
    assert codes.count("INVALID_CREDENTIALS") == 5 and codes.count("RATE_LIMITED") == 25


async def test_viewer_without_a_token_is_unauthenticated(api, world):
    body = await api.gql(VIEWER)
    assert body["data"] is None
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"] == "请先登录。"


async def test_viewer_with_a_garbage_token_is_unauthenticated_in_english_when_asked(api, world):
    body = await api.gql(VIEWER, token="not-a-jwt", headers={"accept-language": "en-US,en;q=0.9"})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"] == "Please sign in."
