"""Who a client is: forwarded headers count only from trusted proxies, and a stranger's guesses at
an account slow the stranger, not the account's own device."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest

from services.audit import AuditEvent
from services.enums import AuditAction
from tests.conftest import RunningServer
from tests.helpers import PASSWORD, Api, build_world, user_error_codes

LOGIN = """mutation Login($phone: String!, $password: String!) {
  login(input: { phone: $phone, password: $password }) {
    session { accessToken } userErrors { code field message } } }"""


@pytest.fixture
async def behind_proxy(settings):
    """The server behind a reverse proxy on 127.0.0.1 (the test plays the proxy, as nginx would)."""
    running = RunningServer(dataclasses.replace(settings, trusted_proxies=("127.0.0.1/32",)))
    address = await running.start()
    world = await build_world()
    async with httpx.AsyncClient(base_url=f"http://{address}") as client:
        yield Api(client, address), world
    await running.stop()


async def _login(api, phone, password, forwarded_for=None):
    headers = {"x-forwarded-for": forwarded_for} if forwarded_for else {}
    body = await api.data(LOGIN, {"phone": phone, "password": password}, headers=headers)
    return body["login"]


async def test_a_forged_forwarded_for_from_an_untrusted_peer_changes_nothing(api, world):
    # no proxy is trusted: 40 failures with a new forged address each are one address's failures
    answers = [await _login(api, f"1370000{i:04d}", "Wrong-password-1", forwarded_for=f"6.6.{i}.6")
               for i in range(40)]
    codes = [user_error_codes(a)[0][0] for a in answers]
    assert codes[:30] == ["INVALID_CREDENTIALS"] * 30 and set(codes[30:]) == {"RATE_LIMITED"}
    # and the audit trail records the peer, not what the client wrote
    assert await _signed_in_from(world["teacher_a"], api, forwarded_for="6.6.6.6") == "127.0.0.1"


async def _signed_in_from(person, api, forwarded_for):
    await asyncio.sleep(1.1)  # past any delay on this address
    answer = await _login(api, person.phone, PASSWORD, forwarded_for=forwarded_for)
    assert answer["userErrors"] == [], answer
    row = await AuditEvent.filter(action=AuditAction.SIGN_IN, actor_id=person.user.id).order_by("-at").first()
    return row.client_address


async def test_behind_a_trusted_proxy_the_client_is_the_right_most_untrusted_hop(behind_proxy):
    api, world = behind_proxy
    # the client wrote 6.6.6.6 itself; the proxy appended the address it saw
    assert await _signed_in_from(world["teacher_a"], api, forwarded_for="6.6.6.6, 203.0.113.7") == "203.0.113.7"


async def test_a_strangers_guesses_do_not_hold_back_the_parents_own_phone(behind_proxy):
    api, world = behind_proxy
    parent = world["parent_a"]
    home = "198.51.100.20"
    assert (await _login(api, parent.phone, PASSWORD, forwarded_for=home))["userErrors"] == []
    # a stranger guesses from twenty addresses
    for index in range(20):
        answer = await _login(api, parent.phone, f"Guess-{index}-pass", forwarded_for=f"203.0.113.{index}")
        assert user_error_codes(answer)[0][0] in ("INVALID_CREDENTIALS", "RATE_LIMITED")
    # the parent's phone, which signed in from home before, goes straight in
    assert (await _login(api, parent.phone, PASSWORD, forwarded_for=home))["userErrors"] == []
    # an address the account has never signed in from waits its turn (a delay, never a lockout)
    stranger = await _login(api, parent.phone, PASSWORD, forwarded_for="192.0.2.99")
    assert user_error_codes(stranger) == [("RATE_LIMITED", None)]


async def test_a_sign_in_flood_queues_for_one_hashing_thread_and_the_excess_is_refused(behind_proxy, monkeypatch):
    from services import runtime
    from services.identity import passwords

    api, world = behind_proxy
    monkeypatch.setattr(runtime.current(), "password_hashing", "standard")  # real argon2 cost
    answers = await asyncio.gather(*[
        _login(api, f"1390000{i:04d}", "Wrong-password-1", forwarded_for=f"198.18.0.{i}") for i in range(40)])
    codes = [user_error_codes(a)[0][0] for a in answers]
    # one hash at a time, at most MAX_WAITING waiting: the rest are told to come back, not queued
    assert codes.count("INVALID_CREDENTIALS") <= passwords.MAX_WAITING + 1
    assert codes.count("RATE_LIMITED") >= 40 - passwords.MAX_WAITING - 1
    assert set(codes) == {"INVALID_CREDENTIALS", "RATE_LIMITED"}
    # meanwhile, and after, everything else answers
    assert (await api.data("{ __typename }")) == {"__typename": "Query"}
