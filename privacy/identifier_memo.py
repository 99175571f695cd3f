"""A bounded memo of identifier-only redaction for structured strings, which repeat.

Codes, states, channels, areas, service points, bodies: a few hundred distinct strings make up
most of a log's structured fields, and each went through the identifier patterns on every
event. Identifier-only redaction is a pure function of the string (the patterns are fixed for
the life of the process), so its answer can be kept and looked up.

Free text is never memoised: residents write each text once, so hits would be rare on real
data (the demo's repeated templates would only make a benchmark flatter it), and every key
would keep a resident's unredacted words in memory after its batch is gone. The memo is
bounded in entries and in characters held; strings longer than ``max_length`` are not kept
(a long structured value is rare and would crowd out the short ones); when full, the oldest
entries leave first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

#: what redaction left of a string, and how many of each kind it removed (read-only: shared by every hit)
Redacted = tuple[str, Mapping[str, int]]


class IdentifierMemo:
    """``compute(value)`` remembered for short strings, within ``max_entries`` and ``max_chars``.

    Used from one thread (the worker prepares its batches on one); a lookup is one dict access.
    """

    def __init__(
        self,
        compute: Callable[[str], Redacted],
        *,
        max_entries: int = 16384,
        max_chars: int = 1 << 20,
        max_length: int = 200,
    ) -> None:
        self.compute = compute
        self.max_entries = max_entries
        self.max_chars = max_chars
        self.max_length = max_length
        self._kept: dict[str, Redacted] = {}
        self.chars = 0  # characters held: keys and the redacted strings that differ from them
        self.hits = self.misses = 0

    def __call__(self, value: str) -> Redacted:
        kept = self._kept.get(value)
        if kept is not None:
            self.hits += 1
            return kept
        self.misses += 1
        result = self.compute(value)
        if len(value) <= self.max_length:
            self._keep(value, result)
        return result

    def __len__(self) -> int:
        return len(self._kept)

    def _keep(self, value: str, result: Redacted) -> None:
        size = _size(value, result)
        while self._kept and (len(self._kept) >= self.max_entries or self.chars + size > self.max_chars):
            oldest = next(iter(self._kept))
            self.chars -= _size(oldest, self._kept.pop(oldest))
        if size <= self.max_chars and self.max_entries > 0:
            self._kept[value] = result
            self.chars += size

    def clear(self) -> None:
        self._kept.clear()
        self.chars = 0


def _size(value: str, result: Redacted) -> int:
    cleaned = result[0]
    return len(value) + (0 if cleaned is value else len(cleaned))
