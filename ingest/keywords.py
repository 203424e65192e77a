"""Keyword patterns that first ask whether a text can match at all.

The kind detectors run a dozen patterns over every candidate text, and most of them open with ``\\b`` or a
lookbehind: the regular expression engine then has no literal to scan for and tries the pattern at every
position, some tens of microseconds a page. ``needle in text`` is a fast C scan. A `Keyword` carries the
literal strings one of which every match of its pattern contains, and runs the pattern only on a text that
holds one of them; the answer is the pattern's own (tests/unit/test_keywords.py checks the needles).
"""
from __future__ import annotations

import re
from collections.abc import Iterator


class Keyword:
    """A compiled pattern and its needles: literals, one of which occurs in every text the pattern matches."""

    __slots__ = ("pattern", "needles")

    def __init__(self, pattern: str, needles: tuple[str, ...]) -> None:
        self.pattern = re.compile(pattern)  # no re.IGNORECASE: the needles are matched as written
        self.needles = needles

    def possible(self, text: str) -> bool:
        """Whether `text` holds one of the needles (else the pattern cannot match it)."""
        return any(needle in text for needle in self.needles)

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if self.possible(text) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(text) if self.possible(text) else iter(())
