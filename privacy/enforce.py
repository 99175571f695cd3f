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
from privacy.identifiers import may_hold, precheck
from privacy.normalise import unchanged
from privacy.policy import ENVELOPE_IDS, FIELDS, ID_REFUSING_KINDS, Treatment
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


#: each event type's fields and how their strings are redacted: the policy read once, not per field of every event
_PLANS: dict[str, dict[str, Callable[[str], Redacted]]] = {
    event_type: {field: _BY_TREATMENT[how] for field, how in fields.items()} for event_type, fields in FIELDS.items()
}
_UNKNOWN_TYPE: dict[str, Callable[[str], Redacted]] = {}  # every field of an unknown type is text
_text = _BY_TREATMENT[Treatment.TEXT]  # a field the policy does not name is text
#: ``False`` for an ASCII id that cannot hold what refuses it (most event ids, subject ids and sources)
_id_may_refuse = precheck(ID_REFUSING_KINDS)


def _refusing_kinds(value: str) -> list[str]:
    """What refuses an envelope id. Ids are mostly unique (event ids), so they skip the memo, and most of
    them cannot hold an identity code, an e-mail or an IBAN at all, which the pre-check sees."""
    if unchanged(value) and not may_hold(value, ID_REFUSING_KINDS):
        return []
    _, found = redact(value, names=False)
    return sorted(kind for kind in found if kind in ID_REFUSING_KINDS)


#: envelope ids that recur (a subject's events share its id, a source's events its name): the ones found not to
#: refuse are remembered (a bounded set, emptied when full); event ids are unique, so they are not
_REPEATING_IDS = ("subject_id", "source")
assert ("event_id", *_REPEATING_IDS) == ENVELOPE_IDS  # the same ids, checked in the same order
_MAX_PASSED_IDS = 16384
_passed_ids: set[str] = set()


def _check_id(name: str, value: str) -> None:
    """Raise :class:`PersonalDataInId` when envelope id ``name`` carries what refuses an id."""
    # the pre-check inline (an ASCII string is its own normalised copy); anything else asks _refusing_kinds
    if not value.isascii() or _id_may_refuse(value):
        refusing = _refusing_kinds(value)
        if refusing:
            raise PersonalDataInId(name, refusing)


def redact_event(event: dict[str, Any], counts: Counter[str]) -> None:
    """Redact the event's payload in place by the policy; count what was removed, by kind.

    Raises :class:`PersonalDataInId` when an envelope id carries personal data.
    """
    value = event.get("event_id")
    if isinstance(value, str):
        _check_id("event_id", value)
    for name in _REPEATING_IDS:
        value = event.get(name)
        if isinstance(value, str) and value not in _passed_ids:
            _check_id(name, value)
            if len(_passed_ids) >= _MAX_PASSED_IDS:
                _passed_ids.clear()
            _passed_ids.add(value)
    payload = event["payload"]
    plan = _PLANS.get(event["type"], _UNKNOWN_TYPE) if payload else _UNKNOWN_TYPE  # the type read as before
    for name, value in payload.items():
        if isinstance(value, str):  # most values: one string, redacted here rather than through _walk
            if value:
                cleaned, found = plan.get(name, _text)(value)
                if found:
                    counts.update(found)
                payload[name] = cleaned
        elif isinstance(value, (list, dict)):
            payload[name] = _walk(value, plan.get(name, _text), counts)


def _walk(value: Any, apply: Callable[[str], Redacted], counts: Counter[str]) -> Any:
    """A list's or a map's strings redacted by ``apply``, at any depth (new containers; other values as they are)."""
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
