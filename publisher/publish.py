"""Builds every indicator dataset from the read model and hands them to a target."""

from __future__ import annotations

import logging
from typing import Any

from core.logs import fields
from core.settings import Settings
from figures.catalog import build_catalog
from figures.datasets import FIELDS, PRIMARY_KEY, indicator_rows
from figures.indicators import Indicators
from publisher.target import Dataset, PublishReport, Target

log = logging.getLogger(__name__)


def build_datasets(indicators: Indicators, settings: Settings) -> tuple[list[Dataset], dict[str, Any]]:
    catalog = build_catalog(indicators, settings)
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
    return datasets, catalog


def publish(indicators: Indicators, settings: Settings, target: Target) -> PublishReport:
    datasets, catalog = build_datasets(indicators, settings)
    report = target.publish(datasets, catalog)
    log.info(
        "published",
        extra=fields(
            datasets=len(datasets), changed=report.changed, unchanged=len(report.unchanged), removed=report.removed
        ),
    )
    return report
