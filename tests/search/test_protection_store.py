"""Each year's protection is kept under the digest of its counts: reused while they stay, never when they move.

The store is only a cache: every test compares what a table withholds with and without it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from figures import indicator_table
from figures.protection_store import FolderBlocks, MemoryBlocks, open_blocks


def city(last_month_items: int = 9) -> dict[tuple[str, str, str], int]:
    """Three calendar years of a small city with a small cell in each year; service 999 appears once, at the end."""
    counts: dict[tuple[str, str, str], int] = {}
    for year in ("2024", "2025", "2026"):
        for month in range(1, 13):
            for service in ("171", "210", ""):
                for area in ("Tapiola", "Leppävaara", ""):
                    counts[(f"{year}-{month:02d}", service, area)] = 3 + (month * 7 + len(service) + len(area)) % 11
        counts[(f"{year}-06", "888", "Tapiola")] = 2
    counts[("2026-12", "999", "Leppävaara")] = last_month_items
    return counts


def build(counts, store=None) -> indicator_table.Table:
    return indicator_table.build({atom: [n] for atom, n in counts.items()}, lambda summaries: summaries[0], 5, store)


@pytest.fixture
def protect_calls(monkeypatch) -> list[int]:
    calls: list[int] = []
    original = indicator_table.protect

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(indicator_table, "protect", counting)
    return calls


def test_a_change_in_this_year_recomputes_this_year_only(tmp_path, protect_calls):
    store = open_blocks(tmp_path)
    first = build(city(), store)
    assert len(protect_calls) == 3  # one problem per calendar year
    changed = build(city(last_month_items=2), store)
    assert len(protect_calls) == 4  # 2024 and 2025 came from the store
    assert changed.protection == build(city(last_month_items=2)).protection
    assert first.protection == build(city()).protection
    assert changed.withheld(("2026-12", "999", "*")) and not first.withheld(("2026-12", "999", "*"))
    assert all(first.small((f"{year}-06", "888", "*")) for year in ("2024", "2025", "2026"))


def test_a_fresh_process_reads_the_blocks_another_computed(tmp_path, protect_calls):
    computed = build(city(), open_blocks(tmp_path))
    calls = len(protect_calls)
    again = build(city(), open_blocks(tmp_path))  # a new memory layer over the same folder
    assert len(protect_calls) == calls
    assert again.protection == computed.protection


def test_blocks_are_kept_per_threshold(tmp_path):
    store = open_blocks(tmp_path)
    five = indicator_table.build({a: [n] for a, n in city().items()}, lambda s: s[0], 5, store)
    ten = indicator_table.build({a: [n] for a, n in city().items()}, lambda s: s[0], 10, store)
    assert ten.protection.primary > five.protection.primary
    assert ten.protection == indicator_table.build({a: [n] for a, n in city().items()}, lambda s: s[0], 10).protection


def test_a_damaged_or_foreign_file_is_never_used(tmp_path, protect_calls):
    expected = build(city()).protection
    build(city(), open_blocks(tmp_path))
    files = sorted(tmp_path.glob("*.json"))
    assert len(files) == 3
    files[0].write_text("{not json")
    body = json.loads(files[1].read_text())
    body["withheld"], body["primary"] = [], []  # a block that withholds nothing: its small cells would show
    files[1].write_text(json.dumps(body))
    body = json.loads(files[2].read_text())
    body["digest"] = "0" * 64  # a block filed under another digest
    files[2].write_text(json.dumps(body))
    calls = len(protect_calls)
    assert build(city(), open_blocks(tmp_path)).protection == expected
    assert len(protect_calls) - calls == 3  # each recomputed once


def test_a_file_in_the_way_of_the_folder_leaves_the_memory_layer(tmp_path, protect_calls):
    blocker = tmp_path / "protection"
    blocker.write_text("a file where the folder should be")
    store = open_blocks(blocker)
    assert build(city(), store).protection == build(city()).protection
    calls = len(protect_calls)
    build(city(), store)
    assert len(protect_calls) == calls


def test_the_folder_keeps_the_newest_files_only(tmp_path):
    folder = FolderBlocks(tmp_path, max_files=4)
    block = indicator_table.Block(frozenset(), frozenset())
    for i in range(10):
        folder.put(f"{i:064x}", block)
        os.utime(tmp_path / f"{i:064x}.json", (1_000_000 + i, 1_000_000 + i))
    (tmp_path / ".left-by-a-crash.tmp").write_text("")
    os.utime(tmp_path / ".left-by-a-crash.tmp", (1_000_000, 1_000_000))
    (tmp_path / ".being-written.tmp").write_text("")  # another process's, just now: left alone
    folder.prune()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".being-written.tmp"] + [
        f"{i:064x}.json" for i in range(6, 10)
    ]


def test_memory_keeps_the_most_recently_used(tmp_path):
    memory = MemoryBlocks(limit=2)
    blocks = [indicator_table.Block(frozenset({(str(i), "*", "*")}), frozenset()) for i in range(3)]
    memory.put("a" * 64, blocks[0])
    memory.put("b" * 64, blocks[1])
    assert memory.get("a" * 64) == blocks[0]
    memory.put("c" * 64, blocks[2])  # b was used least recently
    assert memory.get("b" * 64) is None and memory.get("a" * 64) == blocks[0]


def test_names_that_are_not_digests_are_refused(tmp_path: Path):
    folder = FolderBlocks(tmp_path)
    folder.put("../escape", indicator_table.Block(frozenset(), frozenset()))
    assert list(tmp_path.iterdir()) == [] and folder.get("../escape") is None
