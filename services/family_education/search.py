"""Search terms for Chinese and Latin text, without a locale-dependent tokenizer.

Chinese has no spaces: each Han character and each pair of neighbouring Han
characters becomes a term, Latin letters and digits make lower-cased words.
A text matches a query when it has all of the query's terms (a GIN-indexed
containment), so 家庭教育 finds every title holding 家庭, 庭教 and 教育.
"""

from __future__ import annotations

import re
import unicodedata

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[0-9a-z]+")


def _runs(text: str) -> tuple[list[str], list[str]]:
    normal = unicodedata.normalize("NFKC", text).lower()
    return _HAN.findall(normal), _WORD.findall(normal)


def index_terms(*texts: str) -> list[str]:
    """Everything a text can be found by: Han characters and pairs, and words."""
    terms: set[str] = set()
    for text in texts:
        han, words = _runs(text)
        for run in han:
            terms.update(run)
            terms.update(run[i:i + 2] for i in range(len(run) - 1))
        terms.update(words)
    return sorted(terms)


def query_terms(query: str) -> list[str]:
    """The fewest terms a match must contain: pairs for Han runs (a single character alone), words."""
    han, words = _runs(query)
    terms: set[str] = set(words)
    for run in han:
        terms.update(run if len(run) == 1 else (run[i:i + 2] for i in range(len(run) - 1)))
    return sorted(terms)
