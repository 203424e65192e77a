"""Keyword patterns (ingest.keywords): a pattern is tried only where one of its needles begins (or, for a
keyword not `leading`, only on a text holding one), so a match anywhere else would be missed: every match of
every pattern must begin with (hold) one of them, and a keyword must find what its pattern finds."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

import ingest.form_continuity
import ingest.form_kind
import ingest.form_layout
import ingest.form_tc26
from ingest.keywords import Keyword

MODULES = (ingest.form_kind, ingest.form_continuity, ingest.form_layout, ingest.form_tc26)


def _keywords() -> list[tuple[str, Keyword]]:
    found = []
    for module in MODULES:
        for name, value in vars(module).items():
            items = value if isinstance(value, tuple) else (value,)
            for i, item in enumerate(items):
                keyword = item[0] if isinstance(item, tuple) and item and isinstance(item[0], Keyword) else item
                if isinstance(keyword, Keyword):
                    found.append((f"{module.__name__}.{name}[{i}]", keyword))
    return found


KEYWORDS = _keywords()
# What stands between the words a pattern spells, in the texts made of them.
BETWEEN = ("", "", " ", " ", "  ", "\n", ":", ": ", "-", " - ", "?", ">", "_" * 8, "--", "(", ")", "+", ".", ",", "*",
           "2026", "12", "123456", "-2026-000001", "ą", "\t", "x", "\n> ", "\n-----", "\n________\n")


def _words(keyword: Keyword) -> list[str]:
    return sorted(set(re.findall(r"[a-z]{2,}", re.sub(r"\\.", " ", keyword.pattern.pattern))))


def test_the_detectors_use_keywords() -> None:
    assert len(KEYWORDS) >= 15


@pytest.mark.parametrize("name, keyword", KEYWORDS, ids=[n for n, _ in KEYWORDS])
def test_a_keyword_needle_is_lower_case(name: str, keyword: Keyword) -> None:
    assert keyword.needles and all(needle and needle == needle.lower() for needle in keyword.needles)


@settings(max_examples=1500, deadline=None)
@given(st.data())
def test_every_match_of_a_keyword_begins_with_one_of_its_needles(data: st.DataObject) -> None:
    name, keyword = data.draw(st.sampled_from(KEYWORDS))
    words = data.draw(st.lists(st.sampled_from(_words(keyword)), max_size=8))
    text = "".join(word + data.draw(st.sampled_from(BETWEEN)) for word in words)
    for at in range(len(text) + 1):
        m = keyword.pattern.match(text, at)
        if m and keyword.leading:
            assert any(m.group(0).startswith(needle) for needle in keyword.needles), (name, m.group(0))
        elif m:
            assert keyword.possible(m.group(0)), (name, m.group(0))
    assert _span(keyword.search(text)) == _span(keyword.pattern.search(text)), name
    assert [m.span() for m in keyword.finditer(text)] == [m.span() for m in keyword.pattern.finditer(text)], name


def _span(match: re.Match[str] | None) -> tuple[int, int] | None:
    return match.span() if match else None


@pytest.mark.parametrize("name, keyword", KEYWORDS, ids=[n for n, _ in KEYWORDS])
def test_a_keyword_finds_what_its_pattern_finds_in_a_text_of_its_own_words(name: str, keyword: Keyword) -> None:
    words = _words(keyword)
    for sep in (" ", "\n", ": ", " - "):
        text = sep.join(words)
        expected = [m.span() for m in keyword.pattern.finditer(text)]
        assert [m.span() for m in keyword.finditer(text)] == expected
