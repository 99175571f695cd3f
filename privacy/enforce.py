"""Applies the publication policy to one validated event, before it is folded into a document.

The worker calls :func:`redact_event` for every event; nothing reaches the
index that has not passed through it. Each payload string is treated as
:mod:`privacy.policy` says (text, office-holder names, structured value, URL),
and strings inside lists and maps get their field's treatment too. Envelope
ids become document ids and URLs, so they are not redacted but refused: an
event whose id carries personal data is a source error for a person to fix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from privacy.identifier_memo import IdentifierMemo, Redacted
from privacy.identifiers import may_hold
from privacy.normalise import unchanged
from privacy.policy import ENVELOPE_IDS, ID_REFUSING_KINDS, Treatment, treatment
from privacy.redact import redact, redact_url


class PersonalDataInId(ValueError):
    """An envelope id carries something the redactor flags (it would be published as a URL)."""

    def __init__(self, field: str, kinds: list[str]) -> None:
        super().__init__(f"{field} looks like personal data ({', '.join(kinds)}); ids must not identify a person")
        self.field = field


_NOTHING: Mapping[str, int] = {}


def _identifiers_only(value: str) -> Redacted:
    """Identifiers removed, names kept; a string that cannot hold an identifier skips the patterns."""
    if unchanged(value) and not may_hold(value):
        return value, _NOTHING
    return redact(value, names=False)


#: structured strings repeat (codes, states, bodies): their redaction is looked up (privacy/identifier_memo.py)
_memo = IdentifierMemo(_identifiers_only)

_BY_TREATMENT: dict[Treatment, Callable[[str], Redacted]] = {
    Treatment.TEXT: redact,  # free text is never memoised (see privacy/identifier_memo.py)
    Treatment.OFFICE_HOLDER: _memo,
    Treatment.STRUCTURED: _memo,
    Treatment.AGGREGATE_ONLY: _memo,
    Treatment.URL: redact_url,
}


def _refusing_kinds(value: str) -> list[str]:
    """What refuses an envelope id. Ids are mostly unique (event ids), so they skip the memo, and most of
    them cannot hold an identity code, an e-mail or an IBAN at all, which the pre-check sees."""
    if unchanged(value) and not may_hold(value, ID_REFUSING_KINDS):
        return []
    _, found = redact(value, names=False)
    return sorted(kind for kind in found if kind in ID_REFUSING_KINDS)


def redact_event(event: dict[str, Any], counts: Counter[str]) -> None:
    """Redact the event's payload in place by the policy; count what was removed, by kind.

    Raises :class:`PersonalDataInId` when an envelope id carries personal data.
    """
    for name in ENVELOPE_IDS:
        value = event.get(name)
        if isinstance(value, str):
            refusing = _refusing_kinds(value)
            if refusing:
                raise PersonalDataInId(name, refusing)
    payload = event["payload"]
    for name, value in payload.items():
        apply = _BY_TREATMENT[treatment(event["type"], name)]
        payload[name] = _walk(value, apply, counts)


def _walk(value: Any, apply: Callable[[str], Redacted], counts: Counter[str]) -> Any:
    if isinstance(value, str):
        if not value:
            return value
        cleaned, found = apply(value)
        if found:
            counts.update(found)
        return cleaned
    if isinstance(value, list):
        return [_walk(v, apply, counts) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, apply, counts) for k, v in value.items()}
    return value
