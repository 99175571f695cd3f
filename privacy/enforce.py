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
from collections.abc import Callable
from typing import Any

from privacy.policy import ENVELOPE_IDS, ID_REFUSING_KINDS, Treatment, treatment
from privacy.redact import redact, redact_url


class PersonalDataInId(ValueError):
    """An envelope id carries something the redactor flags (it would be published as a URL)."""

    def __init__(self, field: str, kinds: list[str]) -> None:
        super().__init__(f"{field} looks like personal data ({', '.join(kinds)}); ids must not identify a person")
        self.field = field


def _identifiers_only(value: str) -> tuple[str, Counter[str]]:
    return redact(value, names=False)


_BY_TREATMENT: dict[Treatment, Callable[[str], tuple[str, Counter[str]]]] = {
    Treatment.TEXT: redact,
    Treatment.OFFICE_HOLDER: _identifiers_only,
    Treatment.STRUCTURED: _identifiers_only,
    Treatment.AGGREGATE_ONLY: _identifiers_only,
    Treatment.URL: redact_url,
}


def redact_event(event: dict[str, Any], counts: Counter[str]) -> None:
    """Redact the event's payload in place by the policy; count what was removed, by kind.

    Raises :class:`PersonalDataInId` when an envelope id carries personal data.
    """
    for name in ENVELOPE_IDS:
        value = event.get(name)
        if isinstance(value, str):
            _, found = _identifiers_only(value)
            refusing = sorted(kind for kind in found if kind in ID_REFUSING_KINDS)
            if refusing:
                raise PersonalDataInId(name, refusing)
    payload = event["payload"]
    for name, value in payload.items():
        apply = _BY_TREATMENT[treatment(event["type"], name)]
        payload[name] = _walk(value, apply, counts)


def _walk(value: Any, apply: Callable[[str], tuple[str, Counter[str]]], counts: Counter[str]) -> Any:
    if isinstance(value, str):
        if not value:
            return value
        cleaned, found = apply(value)
        counts.update(found)
        return cleaned
    if isinstance(value, list):
        return [_walk(v, apply, counts) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, apply, counts) for k, v in value.items()}
    return value
