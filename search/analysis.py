"""Text analysis shared by every index backend.

Stemming happens here, in Python, at index time and at query time, so the
SQLite and Elasticsearch backends see exactly the same tokens and no cluster
plugin is needed. Each word yields its folded surface form plus its Finnish,
Swedish and English stems (a document's language is often unknown); diacritics
are folded after stemming, so 'paivakoti' finds 'päiväkoti'.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

import snowballstemmer

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_LANGUAGES = ("finnish", "swedish", "english")
# PyStemmer's stemmers must not be shared between threads (gunicorn's gthread workers serve several)
_PER_THREAD = threading.local()


def _stemmers() -> tuple[Any, ...]:
    stemmers: tuple[Any, ...] | None = getattr(_PER_THREAD, "stemmers", None)
    if stemmers is None:
        stemmers = _PER_THREAD.stemmers = tuple(snowballstemmer.stemmer(lang) for lang in _LANGUAGES)
    return stemmers


MAX_QUERY_TERMS = 16


def fold(text: str) -> str:
    """Lower-case and strip diacritics (ä→a, å→a, é→e)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=200_000)
def word_forms(word: str) -> tuple[str, ...]:
    """The folded word and its folded stems in fi, sv and en, without repeats."""
    lower = word.lower()
    forms = [fold(lower)]
    for stemmer in _stemmers():
        stem = fold(stemmer.stemWord(lower))
        if len(stem) >= 2 and stem not in forms:
            forms.append(stem)
    return tuple(forms)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def index_terms(text: str) -> str:
    """The space-separated terms an index stores for a text."""
    out: list[str] = []
    for word in words(text):
        out.extend(word_forms(word))
    return " ".join(out)


def query_terms(q: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """For each query word: forms matched as prefixes, and stems matched whole.

    Every word must match (AND); within a word, any form may (OR). Finnish
    consonant gradation (koti → kodin, katu → kadun) defeats the Snowball
    stemmer, so a long Finnish stem less its last letter is also tried as a
    prefix: 'päiväkoti' finds 'päiväkodin'.
    """
    result = []
    for word in words(q)[:MAX_QUERY_TERMS]:
        forms = word_forms(word)
        prefixes = [forms[0]]
        if len(forms) > 1 and len(forms[1]) >= 6:
            prefixes.append(forms[1][:-1])
        result.append((tuple(dict.fromkeys(prefixes)), forms[1:]))
    return result
