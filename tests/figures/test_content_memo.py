"""The memo that keeps cells' values and tables across generations: bounded, keyed, and never keyless."""

from __future__ import annotations

from figures.content_memo import ContentMemo, digests_key


def test_a_kept_result_is_not_computed_again_and_the_oldest_go_first() -> None:
    memo: ContentMemo[int] = ContentMemo(2)
    calls: list[str] = []

    def compute(key: str) -> int:
        calls.append(key)
        return len(calls)

    assert memo.get("a", lambda: compute("a")) == 1
    assert memo.get("a", lambda: compute("a")) == 1  # kept
    memo.get("b", lambda: compute("b"))
    memo.get("a", lambda: compute("a"))  # used: now the newest
    memo.get("c", lambda: compute("c"))  # over the bound: b, the least recently used, goes
    assert len(memo) == 2
    memo.get("a", lambda: compute("a"))
    memo.get("b", lambda: compute("b"))
    assert calls == ["a", "b", "c", "b"]


def test_without_a_key_it_computes_every_time_and_keeps_nothing() -> None:
    memo: ContentMemo[int] = ContentMemo(10)
    calls = []
    for _ in range(3):
        memo.get(None, lambda: calls.append(1) or len(calls))
    assert len(calls) == 3 and len(memo) == 0


def test_the_digests_key_ignores_order_and_needs_every_digest() -> None:
    a, b = {"digest": "aa"}, {"digest": "bb"}
    assert digests_key([a, b]) == digests_key([b, a]) != digests_key([a])
    assert digests_key([a, {"hours": [1.0]}]) is None  # a summary from before digests: no key, no memo
