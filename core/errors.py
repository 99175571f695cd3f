"""Mittari's own exception tree.

Adapters translate backend errors (sqlite3, Elasticsearch, Kafka, CKAN) into
these at their edge, so callers decide on retry, dead-letter or 404 without
knowing which backend is in use.
"""

from __future__ import annotations


class MittariError(Exception):
    """Base class for every error Mittari raises on purpose."""


class TransientError(MittariError):
    """A backend is unavailable or overloaded; the same call may succeed later."""


class InvalidEvent(MittariError):
    """An event cannot be accepted; it belongs in the dead-letter store."""

    def __init__(self, reason: str, raw: bytes | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw


class NotFound(MittariError):
    """A document, indicator or dataset that does not exist."""


class BadQuery(MittariError):
    """A query parameter that cannot be used; names the parameter for a 400."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


class ConfigError(MittariError):
    """A setting that cannot be used, found when the settings are read."""


class PublishRefused(MittariError):
    """An open-data portal refused a write (validation or authorisation); retrying will not help.

    Carries the action, the dataset and, for validation errors, the fields at
    fault, so an operator can see at once what to fix.
    """

    def __init__(self, message: str, *, action: str, dataset: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.action = action
        self.dataset = dataset
        self.fields = fields or {}
