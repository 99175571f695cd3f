"""What the views need, built once per app and reached through ``services()``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from core.clock import Clock
from core.settings import Settings
from figures.as_published import PublishedHistory
from figures.indicators import Indicators
from search.index import Index


@dataclass(frozen=True)
class Services:
    settings: Settings
    index: Index
    indicators: Indicators
    clock: Clock
    history: PublishedHistory | None = None  # what was published when (figures/as_published.py)


def services() -> Services:
    return current_app.extensions["mittari"]  # type: ignore[no-any-return]
