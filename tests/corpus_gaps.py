"""Sample-corpus cases the code does not handle yet, each naming the open issue that covers it.

Tests over the corpus mark these as strict expected failures, so CI stays green while the issue is open and a
case that starts to pass is noticed at once (a strict xfail that passes fails the run). The issue that fixes a
case removes it from here.
"""
from __future__ import annotations

import pytest

# case -> the open issue that covers it. Empty: the code handles the whole sample corpus.
# `itpc parse --json` (corpus_score.py parse)
PARSE: dict[str, str] = {}

# the whole line: poll, decide, answer (corpus_score.py pipeline)
PIPELINE: dict[str, str] = {}


def marked(case: str, gaps: dict[str, str], *values: object) -> object:
    """``pytest.param(*values)`` with a strict xfail when ``case`` is a known gap."""
    marks = [pytest.mark.xfail(strict=True, reason=f"{case}: {gaps[case]}")] if case in gaps else []
    return pytest.param(*values, marks=marks, id=case)
