"""The Finnish morphological analyser (Voikko) as the name recogniser's language resource.

Voikko's dictionary classes proper nouns as first names (``etunimi``), surnames
(``sukunimi``) and place names (``paikannimi``), inflected forms included ("Jarmolta" is
Jarmo, "Ojalalle" Ojala), and knows many Nordic and international names too. It comes from
Debian's ``libvoikko1`` and ``voikko-fi`` (``deploy/local/system-packages.sh``) with the
``libvoikko`` binding from PyPI. Without it redaction refuses to run: silently skipping
names would publish them.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any


class LanguageResourceMissing(RuntimeError):
    """Voikko or its Finnish dictionary is not installed: names cannot be found, so nothing is redacted."""


_lock = threading.Lock()
_analyser: Any = None


def _load() -> Any:
    try:
        import libvoikko
    except ImportError as error:  # pragma: no cover - the dependency is in pyproject.toml
        raise LanguageResourceMissing("the libvoikko Python binding is not installed") from error
    try:
        return libvoikko.Voikko("fi")
    except (OSError, libvoikko.VoikkoException) as error:
        raise LanguageResourceMissing(
            f"Voikko with a Finnish dictionary is needed to redact names ({error}); "
            "run deploy/local/system-packages.sh as root (apt-get install libvoikko1 voikko-fi)"
        ) from error


def analyser() -> Any:
    """The shared Voikko instance, loaded on first use; raises ``LanguageResourceMissing``."""
    global _analyser
    if _analyser is not None:  # loaded: no lock needed to read it
        return _analyser
    with _lock:
        if _analyser is None:
            _analyser = _load()
        return _analyser


@lru_cache(maxsize=65536)
def word_classes(word: str) -> frozenset[str]:
    """Voikko's word classes for ``word`` (empty when unknown); bounded cache, as texts repeat words."""
    voikko = analyser()
    with _lock:
        analyses = voikko.analyze(word)
    return frozenset(str(a.get("CLASS", "")) for a in analyses)


@lru_cache(maxsize=65536)
def is_base_form(word: str) -> bool:
    """Some reading of ``word`` is in the nominative (or unknown): "Peltola" yes, "Espoosta" no."""
    voikko = analyser()
    with _lock:
        analyses = voikko.analyze(word)
    return not analyses or any(a.get("SIJAMUOTO") in (None, "nimento") for a in analyses)


_NOMINAL = frozenset({"nimisana", "etunimi", "sukunimi", "paikannimi", "nimisana_laatusana"})


@lru_cache(maxsize=65536)
def is_nominative_noun(word: str) -> bool:
    """Some reading of ``word`` is a noun or proper noun in the nominative (or it is unknown).

    Stricter than ``is_base_form``: "Rinne" and "Kaija" yes, "Jätin" (a verb) and "Kilon" no.
    """
    voikko = analyser()
    with _lock:
        analyses = voikko.analyze(word)
    return not analyses or any(a.get("CLASS") in _NOMINAL and a.get("SIJAMUOTO") == "nimento" for a in analyses)


def check_available() -> None:
    """Raise ``LanguageResourceMissing`` now rather than on the first name."""
    analyser()
