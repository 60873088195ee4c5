"""User-facing messages: Simplified Chinese by default, English and Mongolian (traditional script) on request.

The texts live in gettext catalogues managed with Babel (``services/locale/<locale>/LC_MESSAGES/
coedu.po``; ``coedu messages sync`` keeps them in step with the Chinese one), one message id per
text: the key the code names. A language is chosen from Accept-Language with Babel's
``negotiate_locale``; an entry missing from a catalogue, or marked fuzzy (waiting for a native
reviewer), falls back to Chinese. Codes never change with the language; only these texts do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from babel import negotiate_locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

Language = Literal["zh", "en", "mn"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
#: Each language's catalogue, by the locale it is written for.
LOCALES: dict[Language, str] = {"zh": "zh_Hans_CN", "en": "en", "mn": "mn_Mong_CN"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "coedu"


def catalogue_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_catalogue(locale: str) -> Catalog:
    with catalogue_path(locale).open("rb") as file:
        return read_po(file, locale=locale, domain=DOMAIN)


def _texts(catalogue: Catalog) -> dict[str, str]:
    """The reviewed translations: fuzzy and empty entries are left out (Chinese stands in)."""
    # (no plural forms: every id and string is one text)
    return {m.id: m.string for m in catalogue
            if isinstance(m.id, str) and isinstance(m.string, str) and m.id and m.string and not m.fuzzy}


CATALOGUES: dict[Language, dict[str, str]] = {lang: _texts(load_catalogue(LOCALES[lang])) for lang in LANGUAGES}
#: Every message id (the Chinese catalogue has them all).
CATALOG = CATALOGUES["zh"]


class Ref(str):
    """A message parameter that is itself a catalog key, translated with the message."""


def translate(key: str, language: Language, params: dict[str, object] | None = None) -> str:
    text = CATALOGUES.get(language, CATALOG).get(key) or CATALOG.get(key, key)
    if not params:
        return text
    values = {k: _param(v, language) for k, v in params.items()}
    return text.format(**values)


def _param(value: object, language: Language) -> object:
    # A Ref, or {"t": key} once stored as JSON, is itself a message to translate.
    if isinstance(value, Ref):
        return translate(value, language)
    if isinstance(value, dict) and set(value) == {"t"}:
        return translate(str(value["t"]), language)
    return value


def ref(key: str) -> dict[str, str]:
    """A translatable parameter that survives being stored as JSON."""
    return {"t": key}


def language_from_header(header: str | None) -> Language:
    """The client's best-liked language of ours (Accept-Language, with its q-values); Chinese when
    it names none of them. ``mn`` (mn-Mong-CN, mn-CN …) is Mongolian in traditional script."""
    preferred: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if tag.strip() and weight > 0:  # q=0: "not this one"
            preferred.append((-weight, index, tag.strip()))
    chosen = negotiate_locale([tag for _, _, tag in sorted(preferred)], list(LANGUAGES), sep="-", aliases={})
    return chosen if chosen in LANGUAGES else "zh"


def as_language(value: str | None) -> Language:
    """A stored language tag (a push device's) as one of ours."""
    return value if value in LANGUAGES else "zh"
