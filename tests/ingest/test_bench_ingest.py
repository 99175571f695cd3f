"""``mittari bench ingest``: the CPU account beside the rates, and a run on the real servers that leaves nothing.

The account is what bounds the Kafka + Elasticsearch ratio (README, Performance → Ingest): the pipeline can
finish no sooner than the CPU its parts need spread over the cores. Its arithmetic is checked on given figures
(a fake node-stats answer in the unit tests); the run on Kafka and Elasticsearch checks that the figures are
read from the real server and that the benchmark removes its topics and indices.
"""

from __future__ import annotations

import os
import re
from types import SimpleNamespace
from typing import Any

import pytest

from ingest.bench import _cpu_account, _server_cpu_s, bench_ingest
from tests.services import ES_URL, KAFKA_URL, backend_settings


def test_the_account_adds_both_processes_and_bounds_the_wall_time() -> None:
    line = _cpu_account("pipeline", wall_s=30.0, own_cpu_s=22.0, server_cpu_s=14.0)
    cores = os.cpu_count() or 1
    assert "this process 22.0 s + Elasticsearch 14.0 s = 36.0 core-seconds in 30.0 s" in line
    assert f"{cores} cores could give {cores * 30.0:.1f} ({36.0 / (cores * 30.0):.0%} used)" in line
    assert f"no overlap could finish it in less than {36.0 / cores:.1f} s" in line


class _Nodes:
    def __init__(self, millis: list[int]) -> None:
        self.millis = millis
        self.asked: list[str] = []

    def stats(self, metric: str) -> dict[str, Any]:
        self.asked.append(metric)
        return {"nodes": {f"n{i}": {"process": {"cpu": {"total_in_millis": m}}} for i, m in enumerate(self.millis)}}


def test_server_cpu_is_the_sum_over_the_cluster_s_nodes_in_seconds() -> None:
    nodes = _Nodes([1500, 2250])
    assert _server_cpu_s(SimpleNamespace(es=SimpleNamespace(nodes=nodes))) == 3.75  # type: ignore[arg-type]
    assert nodes.asked == ["process"]  # only the process metric, not every stat of every node


def test_an_embedded_index_has_no_server_cpu(settings, tmp_path) -> None:
    from search.index import open_index

    index = open_index(settings.with_overrides(data_dir=tmp_path, event_log="", search=""))
    try:
        assert _server_cpu_s(index) is None
    finally:
        index.close()


@pytest.mark.integration
def test_on_kafka_and_elasticsearch_it_accounts_for_both_steps_and_leaves_nothing(settings) -> None:
    remote = backend_settings(settings, "kafka", "elasticsearch")
    lines: list[str] = []
    figures = bench_ingest(remote, 400, backend="kafka-es", echo=lines.append)
    assert figures["events"] == 400
    assert figures["server_cpu_s"] >= 0
    accounts = [line for line in lines if " CPU: this process " in line]
    assert [line.split(" CPU:")[0] for line in accounts] == ["pipeline", "straight bulk"]
    for line in accounts:
        own, server, used = (float(x) for x in re.findall(r"([\d.]+) (?:s \+|s =|core-seconds)", line))
        assert abs(own + server - used) < 0.11  # the sum of the two, as printed
    namespace = next(line for line in lines if line.startswith("namespace: ")).split()[1]
    from confluent_kafka.admin import AdminClient
    from elasticsearch import Elasticsearch

    es = Elasticsearch(ES_URL)
    try:
        left = es.indices.get(index=f"{namespace}*", allow_no_indices=True, expand_wildcards="all")
    finally:
        es.close()
    assert dict(left) == {}
    admin = AdminClient({"bootstrap.servers": KAFKA_URL.removeprefix("kafka://")})
    assert not [t for t in admin.list_topics(timeout=30).topics if t.startswith(namespace + ".")]


def test_the_helpers_cpu_is_counted_once_they_have_ended(settings) -> None:
    """``MITTARI_INGEST_CHECKERS``: the helpers check every record, so their CPU is not nothing."""
    lines: list[str] = []
    figures = bench_ingest(settings.with_overrides(ingest_checkers=1), 2000, echo=lines.append)
    assert figures["events"] == 2000
    assert figures["helpers_cpu_s"] > 0
    line = next(line for line in lines if line.startswith("helper processes' CPU: "))
    assert f"({figures['helpers_cpu_s']:.2f} s)" in line
