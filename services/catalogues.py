"""Keeping the message catalogues in step: the template from the Chinese catalogue, and every other
language updated from it (new ids added untranslated, removed ones dropped), with what is left to do.

The Chinese catalogue is the source: a new message is added there (and, in the same change, to the
English one); ``coedu messages sync`` then writes ``coedu.pot`` and brings the other catalogues up to
date, so translators and reviewers see exactly what is missing or waiting for review (fuzzy).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from services.messages import DOMAIN, LOCALE_DIR, LOCALES, Language, catalogue_path, load_catalogue

WIDTH = 100


@dataclass(frozen=True)
class Progress:
    language: str
    translated: int
    fuzzy: int
    missing: int


def template() -> Catalog:
    """Every message id, with its Chinese text as the translators' note."""
    source = load_catalogue(LOCALES["zh"])
    made = Catalog(domain=DOMAIN, project="coedu", version="1", copyright_holder="coedu")
    for message in source:
        if message.id:
            assert isinstance(message.string, str), message.id  # the catalogues have no plural forms
            made.add(message.id, "", auto_comments=[message.string])
    return made


def _write(catalogue: Catalog, path) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalogue, width=WIDTH, omit_header=False, ignore_obsolete=True)
    path.write_bytes(buffer.getvalue())


def progress(language: Language) -> Progress:
    catalogue = load_catalogue(LOCALES[language])
    ids = {m.id for m in template() if m.id}
    found = {m.id: m for m in catalogue if m.id}
    translated = sum(1 for i in ids if i in found and found[i].string and not found[i].fuzzy)
    fuzzy = sum(1 for i in ids if i in found and found[i].fuzzy)
    return Progress(language, translated, fuzzy, len(ids) - translated - fuzzy)


def sync() -> list[Progress]:
    """Write coedu.pot and update every catalogue but the Chinese from it."""
    made = template()
    _write(made, LOCALE_DIR / f"{DOMAIN}.pot")
    for language, locale in LOCALES.items():
        if language == "zh":
            continue
        catalogue = load_catalogue(locale)
        catalogue.update(made, no_fuzzy_matching=True)
        for message in catalogue:
            # A new message waits for its translator, marked as the others awaiting review are; until
            # then it falls back to Chinese.
            if message.id and not message.string and not message.fuzzy:
                message.flags.add("fuzzy")
                message.user_comments = ["needs a native reviewer"]
        _write(catalogue, catalogue_path(locale))
    return [progress(language) for language in LOCALES]
