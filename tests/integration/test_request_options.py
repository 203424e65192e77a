"""`itpc requests` options (--kind/--status choices, --since/--until order, --limit, the deadline, overdue and
officer of `--json`) and the monthly report's language (Lithuanian by default, `--lang en`), on a small ledger
built from corpus mails."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from itpc.monthly import KIND_NAMES, OUTCOME_NAMES
from ledger.clock import VILNIUS, parse_instant
from tests.helpers import CORPUS, ME, corpus_receipt, itpc, make_config, poll_at

MAIL = CORPUS / "mail"
CONSENT, REVIEW, AUTO_REPLY = "c01-labels-plain", "c09-unclear-reason", "c10-auto-reply"
OFFICER = ME  # the login the tests run as: an officer in the test directory (tests.helpers)
REPORT_NOW = "2027-01-04T12:00"   # a fixed clock: the report says when it was made


def received(name: str):
    return corpus_receipt((MAIL / f"{name}.eml").read_bytes())


def build(tmp: Path) -> Path:
    """c01 (a consent), c10 (an auto-reply, never answered) and c09 (for an officer), each polled 90 s after
    it came."""
    config = make_config(tmp)
    for name in sorted((CONSENT, REVIEW, AUTO_REPLY), key=received):
        poll_at(config, MAIL / f"{name}.eml", received(name) + timedelta(seconds=90))
    return config


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("ledger"))


def listed(config: Path, *args: str, now: str | None = None) -> list[dict]:
    return [json.loads(line) for line in itpc(config, "requests", "--json", *args, now=now).stdout.splitlines()]


def by_message(records: list[dict]) -> dict[str, dict]:
    """The records by the corpus case their message came from."""
    names = {name: (MAIL / f"{name}.eml").read_text(errors="replace") for name in (CONSENT, REVIEW, AUTO_REPLY)}
    return {name: r for r in records for name, raw in names.items() if r["message_id"].strip("<>") in raw}


# -- choices --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("option, typo, choices", [
    ("--kind", "continuty", ("continuity", "afis_access", "auto_generated", "correspondence", "not_a_request")),
    ("--status", "overdeu", ("open", "review", "consent", "refusal", "overdue")),
])
def test_a_typo_in_kind_or_status_is_an_error_that_lists_the_choices(ledger, option, typo, choices):
    proc = itpc(ledger, "requests", option, typo, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert typo in proc.stderr and all(choice in proc.stderr for choice in choices)


def test_kind_and_status_ignore_case(ledger):
    assert [r["kind"] for r in listed(ledger, "--kind", "CONTINUITY", "--status", "Review")] == ["continuity"]


# -- since and until ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("since, until", [("2026-12-02", "2026-12-01"), ("2026-12-01T10:00", "2026-12-01T09:00")])
def test_since_after_until_is_a_one_line_error(ledger, since, until):
    proc = itpc(ledger, "requests", "--since", since, "--until", until, check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == f"itpc: --since {since} is after --until {until}\n"


def test_since_and_until_the_same_day_is_that_day(ledger):
    day = received(REVIEW).astimezone(VILNIUS).date().isoformat()
    [record] = listed(ledger, "--since", day, "--until", day)
    assert by_message([record]).keys() == {REVIEW}


# -- limit ----------------------------------------------------------------------------------------------------

def test_limit_keeps_the_most_recent_oldest_first(ledger):
    everything = listed(ledger)
    assert len(everything) == 3
    assert listed(ledger, "--limit", "2") == everything[-2:]
    assert listed(ledger, "--limit", "1") == everything[-1:]
    assert listed(ledger, "--limit", "10") == everything
    assert listed(ledger, "--status", "consent", "--limit", "1") == [r for r in everything
                                                                      if r["decision"]["outcome"] == "consent"]
    table = itpc(ledger, "requests", "--limit", "1").stdout
    assert everything[-1]["number"] in table and everything[0]["number"] not in table
    assert itpc(ledger, "requests", "--limit", "0", check=False).returncode == 2


# -- deadline, overdue, officer -------------------------------------------------------------------------------

CONTRACT = {"number", "kind", "message_id", "received_at", "fields", "missing", "decision", "notices", "messages"}


def test_json_gives_deadline_overdue_and_officer(tmp_path):
    config = build(tmp_path)
    due = received(REVIEW) + timedelta(hours=2)                      # 1B-1029:9
    soon = (received(REVIEW) + timedelta(minutes=30)).isoformat()
    records = by_message(listed(config, now=soon))
    assert all(set(r) == CONTRACT | {"deadline", "overdue", "officer", "queue", "waiting", "closed", "links"}
               for r in records.values())
    review, consent, auto = records[REVIEW], records[CONSENT], records[AUTO_REPLY]
    assert parse_instant(review["deadline"]) == due and review["deadline"].endswith("+02:00")  # Vilnius, winter
    assert (review["overdue"], review["officer"]) == (False, None)
    assert parse_instant(consent["deadline"]) == received(CONSENT) + timedelta(hours=2)
    assert (consent["overdue"], consent["officer"]) == (False, None)           # decided automatically, in time
    assert (auto["deadline"], auto["overdue"], auto["officer"]) == (None, False, None)   # never answered

    late = (due + timedelta(minutes=1)).isoformat()
    assert by_message(listed(config, now=late))[REVIEW]["overdue"] is True
    overdue = listed(config, "--status", "overdue", now=late)
    assert [r["number"] for r in overdue] == [review["number"]] and overdue[0]["overdue"] is True

    itpc(config, "decide", review["number"], "consent", now=late)
    decided = by_message(listed(config, now=late))[REVIEW]
    assert decided["officer"] == OFFICER and decided["decision"]["decided_by"] == OFFICER
    assert decided["overdue"] is True                                        # decided after its two hours


# -- the monthly report's language ----------------------------------------------------------------------------

def report(config: Path, month: str, *args: str) -> str:
    return itpc(config, "report", "--month", month, *args, now=REPORT_NOW).stdout


def test_monthly_report_is_in_lithuanian_by_default_and_english_with_lang_en(ledger, tmp_path):
    month = received(CONSENT).astimezone(VILNIUS).strftime("%Y-%m")
    lithuanian = report(ledger, month)
    for text in (f"ITPC mėnesio ataskaita, {month}", "Prašymai pagal rūšį ir rezultatą (2)",
                 "Sutikimai pagal muitinės postą", "Sprendimo priėmimo laikas", "Terminai",
                 "Atsisakymai pagal punktą", "Laukia dabar", KIND_NAMES["continuity"], KIND_NAMES["auto_generated"], OUTCOME_NAMES["consent"],
                 "iš viso"):
        assert text in lithuanian
    assert "Requests by kind" not in lithuanian and "Deadlines" not in lithuanian

    english = report(ledger, month, "--lang", "en")
    for text in (f"ITPC monthly report {month}", "Requests by kind and outcome (2)", "Waiting now", "continuity"):
        assert text in english
    assert "Prašymai" not in english and KIND_NAMES["continuity"] not in english

    # The machine formats do not change with the language.
    figures = report(ledger, month, "--format", "json")
    assert figures == report(ledger, month, "--format", "json", "--lang", "en")
    assert set(json.loads(figures)["requests"]["by_kind"]) >= {"continuity", "auto_generated"}
    csv_text = report(ledger, month, "--format", "csv")
    assert csv_text == report(ledger, month, "--format", "csv", "--lang", "en")
    assert csv_text.startswith("section,key,sub_key,value")

    # The chart is drawn in each language, and differently.
    lt_png, en_png = tmp_path / "lt.png", tmp_path / "en.png"
    report(ledger, month, "--chart", str(lt_png))
    report(ledger, month, "--chart", str(en_png), "--lang", "en")
    assert lt_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and lt_png.read_bytes() != en_png.read_bytes()
