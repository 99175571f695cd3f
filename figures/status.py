"""What ``/v1/status`` may say about the index: document counts, with small counts of aggregate-only types withheld.

Cases, surveys and outcomes are published only as aggregates; the number of
such documents is itself an aggregate, so below the minimum cell count it is
given as ``null`` like any other small cell. Item-public types (feedback,
decisions, initiatives, meetings) are listed one by one anyway.
"""

from __future__ import annotations

from typing import Any

from core.vocabulary import FACT_TYPES


def public_stats(stats: dict[str, Any], min_cell_count: int) -> dict[str, Any]:
    documents = {
        doc_type: None if doc_type in FACT_TYPES and 0 < count < min_cell_count else count
        for doc_type, count in stats.get("documents", {}).items()
    }
    return {**stats, "documents": documents}
