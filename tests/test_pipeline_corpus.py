"""The whole public corpus polled from one Maildir in order of receipt gives the expected decisions.

Runs the shared scorer (`../shared/tools/corpus_score.py pipeline`) against our `itpc`: it delivers every
corpus message into a Maildir, runs `poll --once`, reads `requests --json` and the outbox, and compares each
request's outcome, cited rules and consent period with `corpus/expected`, and who received answers.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from .helpers import SHARED
SCORER = SHARED / "tools" / "corpus_score.py"


def test_corpus_pipeline_decisions_match_expected():
    assert SCORER.exists(), f"the shared corpus scorer is missing at {SCORER}"
    env = {**os.environ, "ITPC": f"{sys.executable} -m ledger.cli"}
    env = {k: v for k, v in env.items() if k not in ("ITPC_CONFIG", "ITPC_NOW")}
    proc = subprocess.run([sys.executable, str(SCORER), "pipeline"], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=900)
    cases = len(list((SCORER.parent.parent / "corpus" / "expected").glob("*.json")))
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == f"pipeline: {cases}/{cases} cases"
