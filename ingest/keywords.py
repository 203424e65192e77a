"""Keyword patterns that are tried only where they can match.

The kind detectors run a dozen patterns over every candidate text, and most of them open with ``\\b`` or a
lookbehind: the regular expression engine then has no literal to scan for and tries every alternative at
every position, some tens of microseconds a page. Finding a literal is a fast C scan. A `Keyword` carries
its needles, literal strings, and tries its pattern only at the places they occur; the answer is the
pattern's own, because every match begins with a needle (tests/unit/test_keywords.py checks them all).
A keyword whose matches need not begin with a needle (``leading=False``) runs its pattern over a text that
holds one of the needles anywhere, and skips the rest.
"""
from __future__ import annotations

import re
from collections.abc import Iterator


class Keyword:
    """A compiled pattern and its needles: literals, one of which begins (or, not ``leading``, lies inside)
    every match. Lookbehinds and ``\\b`` still see the text before a needle: a match is tried in place."""

    __slots__ = ("pattern", "needles", "leading")

    def __init__(self, pattern: str, needles: tuple[str, ...], *, leading: bool = True) -> None:
        self.pattern = re.compile(pattern)  # no re.IGNORECASE: the needles are matched as written
        self.needles = needles
        self.leading = leading

    def possible(self, text: str) -> bool:
        """Whether `text` holds one of the needles (else the pattern cannot match it)."""
        for needle in self.needles:
            if needle in text:
                return True
        return False

    def search(self, text: str) -> re.Match[str] | None:
        """The pattern's first match in `text`, as ``pattern.search`` gives it."""
        if not self.leading:
            return self.pattern.search(text) if self.possible(text) else None
        for at in self._needle_starts(text):
            found = self.pattern.match(text, at)
            if found:
                return found
        return None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The pattern's matches in `text`, as ``pattern.finditer`` gives them."""
        if not self.leading:
            return self.pattern.finditer(text) if self.possible(text) else iter(())
        return self._tried_at_needles(text)

    def _tried_at_needles(self, text: str) -> Iterator[re.Match[str]]:
        # A match begins where a needle does; matches never overlap (each holds a needle, so none is empty).
        taken = 0
        for at in self._needle_starts(text):
            if at < taken:
                continue
            found = self.pattern.match(text, at)
            if found:
                taken = found.end()
                yield found

    def _needle_starts(self, text: str) -> list[int]:
        starts: list[int] = []
        for needle in self.needles:
            at = text.find(needle)
            while at >= 0:
                starts.append(at)
                at = text.find(needle, at + 1)
        return sorted(set(starts)) if len(self.needles) > 1 else starts
