"""Builds every indicator dataset from the read model and hands them to a target."""

from __future__ import annotations

import logging
from typing import Any

from core.logs import fields
from core.settings import Settings
from figures import corrections_dataset
from figures.catalog import build_catalog
from figures.datasets import FIELDS, PRIMARY_KEY, indicator_rows
from figures.indicators import Indicators
from history.store import HistoryStore, open_history
from publisher.target import Dataset, PublishReport, Target

log = logging.getLogger(__name__)


def build_datasets(
    indicators: Indicators, settings: Settings, history: HistoryStore | None = None
) -> tuple[list[Dataset], dict[str, Any]]:
    """Every indicator dataset, the corrections dataset (from ``history``, else the settings' history read
    alone) and the catalog: the same catalog ``/v1/catalog`` serves."""
    catalog = build_catalog(indicators, settings, with_corrections=True)
    nodes = {node["dct:identifier"]: node for node in catalog["dcat:dataset"]}
    datasets = [
        Dataset(
            code=indicator.code,
            metadata=nodes[indicator.code],
            fields=FIELDS,
            primary_key=PRIMARY_KEY,
            rows=indicator_rows(indicators, indicator),
        )
        for indicator in indicators.definitions()
    ]
    datasets.append(
        Dataset(
            code=corrections_dataset.CODE,
            metadata=nodes[corrections_dataset.CODE],
            fields=corrections_dataset.FIELDS,
            primary_key=corrections_dataset.PRIMARY_KEY,
            rows=_corrections(settings, history),
        )
    )
    return datasets, catalog


def _corrections(settings: Settings, history: HistoryStore | None) -> list[dict[str, Any]]:
    if history is not None:
        return corrections_dataset.correction_rows(history)
    opened = open_history(settings, readonly=True)  # one that does not exist yet answers as empty
    try:
        return corrections_dataset.correction_rows(opened)
    finally:
        opened.close()


def publish(
    indicators: Indicators, settings: Settings, target: Target, history: HistoryStore | None = None
) -> PublishReport:
    datasets, catalog = build_datasets(indicators, settings, history)
    report = target.publish(datasets, catalog)
    log.info(
        "published",
        extra=fields(
            datasets=len(datasets), changed=report.changed, unchanged=len(report.unchanged), removed=report.removed
        ),
    )
    return report
