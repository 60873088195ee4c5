"""The message catalogues (gettext, through Babel): complete in Chinese and English, Mongolian waiting
for its reviewer and standing in Chinese meanwhile, the same placeholders in every language, and the
language chosen from Accept-Language."""

from __future__ import annotations

import string

import pytest

from services import catalogues, messages
from services.messages import LOCALES, language_from_header, load_catalogue, translate
from tests.helpers import contract_operation, user_error_codes


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_is_in_chinese_and_english_with_the_same_placeholders():
    zh, en = messages.CATALOGUES["zh"], messages.CATALOGUES["en"]
    assert len(zh) > 150
    assert set(en) == set(zh), "every message needs its English"
    assert {k: (zh[k], en[k]) for k in zh if _placeholders(zh[k]) != _placeholders(en[k])} == {}


def test_mongolian_entries_are_marked_for_review_and_any_translated_one_keeps_the_placeholders():
    catalogue = load_catalogue(LOCALES["mn"])
    entries = {m.id: m for m in catalogue if m.id}
    assert set(entries) == set(messages.CATALOG)  # every message is there for the reviewer
    reviewed = {i: m.string for i, m in entries.items() if m.string and not m.fuzzy}
    assert all(_placeholders(text) == _placeholders(messages.CATALOG[i]) for i, text in reviewed.items())
    waiting = [i for i, m in entries.items() if m.fuzzy or not m.string]
    assert len(waiting) + len(reviewed) == len(entries)


def test_the_template_and_every_catalogue_are_in_step_with_the_chinese_one():
    template = {m.id for m in catalogues.template() if m.id}
    with (messages.LOCALE_DIR / "coedu.pot").open("rb") as file:
        from babel.messages.pofile import read_po

        committed = {m.id for m in read_po(file) if m.id}
    assert committed == template, "run `coedu messages sync`"
    for language in LOCALES:
        line = catalogues.progress(language)
        assert line.missing == 0, f"{language}: run `coedu messages sync`"


def test_a_fuzzy_or_missing_translation_stands_in_chinese_and_a_reviewed_one_is_used(monkeypatch):
    assert translate("rate_limited_for", "mn", {"seconds": 3}) == "尝试次数过多，请 3 秒后再试。"
    monkeypatch.setitem(messages.CATALOGUES, "mn", {"rate_limited_for": "ᠳᠠᠬᠢᠨ {seconds}"})
    assert translate("rate_limited_for", "mn", {"seconds": 3}) == "ᠳᠠᠬᠢᠨ 3"
    assert translate("required", "mn") == "此项为必填项。"
    assert translate("no such message", "en") == "no such message"


@pytest.mark.parametrize(("header", "language"), [
    (None, "zh"), ("", "zh"), ("zh-CN,zh;q=0.9", "zh"), ("en", "en"), ("en-GB,en;q=0.8", "en"),
    ("mn", "mn"), ("mn-Mong-CN", "mn"), ("mn-CN,zh;q=0.5", "mn"), ("zh-CN;q=0.8, mn;q=0.9", "mn"),
    ("fr", "zh"), ("fr, en;q=0.5", "en"), ("en;q=0, zh", "zh"), ("*", "zh"), ("en;q=bad", "zh"),
])
def test_the_language_is_negotiated_from_accept_language(header, language):
    assert language_from_header(header) == language


LOGIN = contract_operation("account.graphql", "Login")


async def test_mongolian_clients_get_codes_unchanged_and_chinese_until_reviewed(api, world):
    body = await api.data(LOGIN, {"phone": "12345", "password": "x"}, headers={"accept-language": "mn-Mong-CN"})
    assert user_error_codes(body["login"]) == [("INVALID_INPUT", "phone")]
    assert body["login"]["userErrors"][0]["message"] == "请输入有效的中国大陆手机号码。"
