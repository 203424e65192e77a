"""The whole public corpus polled from one Maildir in order of receipt gives the expected decisions.

Runs the shared scorer (`../shared/tools/corpus_score.py pipeline`) against our `itpc`: it delivers every
corpus message into a Maildir, runs `poll --once`, reads `requests --json` and the outbox, and compares each
request's outcome, cited rules and consent period with `corpus/expected`, and who received answers. The
scorer runs once; each case is its own test, so a known gap (``corpus_gaps``) is a strict xfail of its own.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import corpus_gaps
from tests.helpers import SHARED

ROOT = Path(__file__).resolve().parents[2]
SCORER = SHARED / "tools" / "corpus_score.py"
CASES = sorted(p.stem for p in (SHARED / "corpus" / "expected").glob("*.json"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scored() -> dict[str, str]:
    """The scorer's verdict: each case that falls short, with what it says of it."""
    assert SCORER.exists(), f"the shared corpus scorer is missing at {SCORER}"
    env = {**os.environ, "ITPC": f"{sys.executable} -m itpc"}
    env = {k: v for k, v in env.items() if k not in ("ITPC_CONFIG", "ITPC_NOW")}
    proc = subprocess.run([sys.executable, str(SCORER), "pipeline"], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=900)
    lines = proc.stdout.strip().splitlines()
    assert lines and re.fullmatch(rf"pipeline: \d+/{len(CASES)} cases", lines[-1]), proc.stdout + proc.stderr[-2000:]
    short = {}
    for line in lines[:-1]:
        case, _, said = line.partition(": ")
        short[case] = said
    assert set(short) <= set(CASES), proc.stdout
    return short


def test_the_corpus_is_there():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", [corpus_gaps.marked(c, corpus_gaps.PIPELINE, c) for c in CASES])
def test_corpus_case_gets_the_expected_answer(scored, case):
    assert case not in scored, f"{case}: {scored.get(case)}"
