"""`make run`'s demo day: seeded once per day, then polled into the decisions a person would expect."""
from __future__ import annotations

import json
from datetime import date

from ingest.demo import seed
from tests.helpers import itpc, make_config


def test_demo_day_is_seeded_once_and_decided(tmp_path):
    config = make_config(tmp_path)
    day = date(2026, 11, 24)
    assert seed(tmp_path / "inbox", day) == 5
    assert seed(tmp_path / "inbox", day) == 0  # same day, same bytes: nothing new
    itpc(config, "poll", "--once")
    assert seed(tmp_path / "inbox", day) == 0  # already taken into cur/: not delivered again
    requests = [json.loads(line) for line in itpc(config, "requests", "--json").stdout.splitlines()]
    outcomes = [(r["kind"], r["decision"]["outcome"]) for r in requests]
    assert outcomes == [("continuity", "consent"), ("continuity", "consent"), ("continuity", "refusal"),
                        ("afis_access", "forwarded"), ("auto_generated", "none")]  # complete: to the liaison officer
    ntks = requests[1]
    # asked 10:00 today → 18:00 tomorrow: within two working days, granted as asked
    assert ntks["decision"]["period_from"] == "2026-11-24T10:00:00+02:00"
    assert ntks["decision"]["period_to"] == "2026-11-25T18:00:00+02:00"
    assert requests[2]["decision"]["rules"] == ["1B-1029:12"]
    assert itpc(config, "ledger", "verify").stdout.startswith("ok:")
