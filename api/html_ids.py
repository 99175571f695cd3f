"""Element ids built from data (service codes, indicator codes): always a safe slug.

An id lands inside attributes (``id``, ``aria-labelledby``, ``href="#..."``) that the
charts write by hand, outside Jinja's autoescape. A slug of ASCII letters, digits and
hyphens (and underscores) cannot leave its attribute, and a short hash of the raw value keeps two
different codes that slug alike from sharing an id.
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_PLAIN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


def html_id(value: str) -> str:
    """``value`` itself when it already is a plain id, else a slug with a hash suffix."""
    if _PLAIN.match(value):
        return value
    slug = _UNSAFE.sub("-", value.lower()).strip("-")[:40] or "id"
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug if slug[0].isalpha() else 'x-' + slug}-{digest}"
