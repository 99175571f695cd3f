"""Where the protection of each calendar year of each indicator is kept between index generations and processes.

A year's protection (``figures/indicator_table.py``: its withheld cells) is a pure
function of that year's atom counts, the threshold and the method's version, and it
is stored under the SHA-256 of exactly those (``indicator_table.block_digest``). So
invalidation is by construction: a batch that changes a count of a year changes its
digest, and the old block is never found for it again; a year a batch does not touch
(every earlier year, mostly) keeps its digest and its block. Indicators with the same
counts (the median and the 90th percentile of response times) share theirs.

Two layers, looked up in turn:

- **in the process** (:class:`MemoryBlocks`): the most recently used blocks, kept
  across index generations, so a serving worker recomputes only what a batch changed;
- **on disk** (:class:`FolderBlocks`, ``DATA_DIR/protection/``), one small JSON file a
  block, written atomically (a temporary file renamed into place), so a fresh worker
  (a restart, a deploy, another gunicorn worker) reads what any other process has
  computed instead of computing it again. A file that cannot be read or does not
  hold a well-formed block is ignored and the block recomputed; a folder that cannot
  be written (a read-only deployment) leaves only the memory layer. The oldest files
  beyond ``MAX_FILES`` are removed now and then, so the folder stays small however
  many generations pass.

Trust: the folder is as trusted as the index beside it (whoever can write one can
write the other). A block read from it is still checked against the counts before
it is used (its small cells must be exactly the year's small cells, and every
non-empty hidden cell must be withheld); one that does not fit is recomputed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from figures.indicator_table import Block, BlockStore, Key

log = logging.getLogger(__name__)

MAX_BLOCKS = 512  # blocks kept in a process (a few hundred bytes to a few kB each)
MAX_FILES = 2048  # files kept on disk
PRUNE_EVERY = 128  # writes between two looks at the folder's size


class MemoryBlocks:
    """The most recently used blocks of this process, whatever generation they were computed at."""

    def __init__(self, limit: int = MAX_BLOCKS, below: BlockStore | None = None) -> None:
        self._blocks: OrderedDict[str, Block] = OrderedDict()
        self._limit = limit
        self._below = below
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, digest: str) -> Block | None:
        with self._lock:
            block = self._blocks.get(digest)
            if block is not None:
                self._blocks.move_to_end(digest)
                self.hits += 1
                return block
        block = self._below.get(digest) if self._below is not None else None
        with self._lock:
            if block is None:
                self.misses += 1
            else:
                self.hits += 1
                self._keep(digest, block)
        return block

    def put(self, digest: str, block: Block) -> None:
        with self._lock:
            self._keep(digest, block)
        if self._below is not None:
            self._below.put(digest, block)

    def _keep(self, digest: str, block: Block) -> None:
        self._blocks[digest] = block
        self._blocks.move_to_end(digest)
        while len(self._blocks) > self._limit:
            self._blocks.popitem(last=False)


class FolderBlocks:
    """Blocks as JSON files named by their digest in one folder, shared by every process on the machine."""

    def __init__(self, folder: Path, max_files: int = MAX_FILES) -> None:
        self.folder = Path(folder)
        self._max_files = max_files
        self._writes = 0
        self._writable = True

    def get(self, digest: str) -> Block | None:
        if not _is_digest(digest):
            return None
        try:
            raw = json.loads((self.folder / f"{digest}.json").read_text(encoding="utf-8"))
            return _block_from(raw, digest)
        except (OSError, ValueError, TypeError, KeyError):
            return None  # missing, half-removed or not ours: computed again

    def put(self, digest: str, block: Block) -> None:
        if not self._writable or not _is_digest(digest):
            return
        body = json.dumps(
            {"digest": digest, "withheld": sorted(block.withheld), "primary": sorted(block.primary)},
            separators=(",", ":"),
        )
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(body)
            os.replace(temporary, self.folder / f"{digest}.json")
        except OSError as exc:
            self._writable = False
            log.warning("protection blocks are kept in memory only: %s", exc)
            return
        self._writes += 1
        if self._writes % PRUNE_EVERY == 0:
            self.prune()

    def prune(self) -> None:
        """Remove the oldest blocks beyond the limit, and temporary files a crash left (older than a minute:
        a younger one may be another process's, still being written)."""
        blocks: list[tuple[float, Path]] = []
        stale: list[Path] = []
        try:
            for entry in self.folder.iterdir():
                if entry.suffix == ".json":
                    blocks.append((entry.stat().st_mtime, entry))
                elif entry.suffix == ".tmp" and entry.stat().st_mtime < time.time() - 60:
                    stale.append(entry)
        except OSError:
            return
        blocks.sort(reverse=True)
        for entry in stale + [entry for _, entry in blocks[self._max_files :]]:
            with contextlib.suppress(OSError):
                entry.unlink()


def open_blocks(folder: Path | None) -> MemoryBlocks:
    """The store an ``Indicators`` uses: memory in front of the folder (or memory alone)."""
    return MemoryBlocks(below=FolderBlocks(folder) if folder is not None else None)


def _is_digest(digest: str) -> bool:
    return len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)


def _block_from(raw: Any, digest: str) -> Block | None:
    if not isinstance(raw, dict) or raw.get("digest") != digest:
        return None
    withheld = _keys(raw["withheld"])
    primary = _keys(raw["primary"])
    if withheld is None or primary is None or not primary <= withheld:
        return None
    return Block(withheld, primary)


def _keys(raw: Any) -> frozenset[Key] | None:
    if not isinstance(raw, list):
        return None
    out: set[Key] = set()
    for item in raw:
        if not (isinstance(item, list) and len(item) == 3 and all(isinstance(part, str) for part in item)):
            return None
        out.add((item[0], item[1], item[2]))
    return frozenset(out)
