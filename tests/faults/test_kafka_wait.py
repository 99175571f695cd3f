"""A worker waiting on real Kafka while its group rebalances: records assigned to it meanwhile are read, not lost.

``KafkaLog.wait`` pauses the member's partitions and keeps polling, to stay in the group. A rebalance inside
one of those polls assigns partitions anew, unpaused, and the poll may return their records; dropping them
moved the positions past records never handed over, and the next commit covered them.
"""

from __future__ import annotations

import pytest

from ingest.log import Outgoing, open_log

pytestmark = pytest.mark.integration

GROUP = "indexer"


def test_records_assigned_during_a_wait_are_handed_over_afterwards(make_settings):
    settings = make_settings("kafka", "sqlite")
    log = open_log(settings)
    sent = [Outgoing(f"subject-{i}", f"record {i}".encode()) for i in range(300)]  # keys over all partitions
    log.append("feedback", sent)
    log._consumer(GROUP, ["feedback"])  # subscribed, not yet in the group: the join happens inside the wait
    log.wait(GROUP, 8.0)
    got: list[bytes] = []
    while records := log.poll(GROUP, ["feedback"], max_records=100, timeout=2.0):
        got += [r.value for r in records]
    assert sorted(got) == sorted(o.value for o in sent)
    log.close()
