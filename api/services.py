"""What the views need, built once per app and reached through ``services()``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from search.clock import Clock
from search.index import Index
from search.indicators import Indicators
from search.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    index: Index
    indicators: Indicators
    clock: Clock


def services() -> Services:
    return current_app.extensions["mittari"]  # type: ignore[no-any-return]
