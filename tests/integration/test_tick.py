"""`itpc tick`: each tick does what is due at --now and not done yet, once — driven from the CLI over real files."""
from __future__ import annotations

import email
import email.policy
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from config import load_settings
from itpc.app import App
from itpc.intake import register_pending
from itpc.service import Runner
from itpc.tick import deadline_stage, run_tick
from ledger.clock import Clock, parse_instant
from ledger.entries import LEDGER_CHECKPOINT
from tests.helpers import CORPUS, itpc, make_config

MAIL = CORPUS / "mail"
C01 = MAIL / "c01-labels-plain.eml"       # Mon 2026-11-23 08:41, consent to 18:00, office LTVR1000
C09 = MAIL / "c09-unclear-reason.eml"     # Wed 2026-12-02 08:45, reason unclear: officer review
LTVR1000 = "vilniaus.kroviniu.postas@lrmuitine.lt"
DUTY = "budintis@lrmuitine.lt"


def setup(tmp: Path, *messages: Path, **sections) -> Path:
    config = make_config(tmp, itpc={"duty_address": DUTY}, outages={"page_directory": str(tmp / "page")},
                         **sections)
    for message in messages:
        shutil.copy(message, tmp / "inbox" / "new" / message.name)
    return config


def outbox(tmp: Path, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted((tmp / "outbox" / "new").iterdir()):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in message["To"]:
            found.append(message)
    return found


def deadline_alerts(tmp: Path) -> list[email.message.EmailMessage]:
    """The tick's 90-minute alerts (1B-1029:9), not the alert sent at once when the request went to review."""
    return [m for m in outbox(tmp, DUTY) if "laukia sprendimo" in m["Subject"]]


def entries(config: Path, type_: str | None = None) -> list[dict]:
    lines = itpc(config, "ledger", "export", "--json").stdout.splitlines()
    return [e for e in map(json.loads, lines) if type_ is None or e["type"] == type_]


def open_app(config: Path, now: str) -> App:
    return App(load_settings(config), Clock(parse_instant(now)))


# -- customs-office notices (1B-1029:11) ----------------------------------------------------------------------

def test_a_notice_missing_after_a_decision_is_sent_by_the_next_tick_and_only_once(tmp_path):
    config = setup(tmp_path, C01)
    # Registered and decided, but killed before the answers were queued: the ledger holds a consent whose
    # office notice was never queued.
    app = open_app(config, "2026-11-23T08:41:30")
    runner = Runner(app)
    runner.fetch()
    register_pending(runner.intake)
    runner.judge.decide_pending()
    app.close()
    assert outbox(tmp_path, LTVR1000) == []

    itpc(config, "tick", now="2026-11-23T08:45")
    itpc(config, "tick", now="2026-11-23T09:30")

    [notice] = outbox(tmp_path, LTVR1000)
    assert "VTP-2026-000001" in notice["Subject"] and notice["Auto-Submitted"].startswith("auto-")
    assert len(outbox(tmp_path, "deklaracijos@bkl.lt")) == 1   # the trader's consent, also once


def test_ticks_after_a_normal_poll_add_no_second_notice(tmp_path):
    config = setup(tmp_path, C01)
    itpc(config, "poll", "--once", now="2026-11-23T08:41:30")
    size = len(entries(config))
    for now in ("2026-11-23T08:45", "2026-11-23T09:30"):
        itpc(config, "tick", now=now)
    assert len(outbox(tmp_path, LTVR1000)) == 1
    # nothing was due: the ticks recorded nothing but the first one's checkpoint of what the poll wrote
    assert [e["type"] for e in entries(config)[size:]] == [LEDGER_CHECKPOINT]


# -- the two-hour decision deadline (1B-1029:9) ---------------------------------------------------------------

def test_review_request_alert_at_90_minutes_once_and_breach_at_120_once(tmp_path):
    config = setup(tmp_path, C09)
    itpc(config, "poll", "--once", now="2026-12-02T08:46")
    seen = []
    for now in ("10:14", "10:15", "10:25", "10:44", "10:45", "11:30"):
        itpc(config, "tick", now=f"2026-12-02T{now}")
        seen.append((len(deadline_alerts(tmp_path)), len(entries(config, "deadline.breached"))))
    assert seen == [(0, 0), (1, 0), (1, 0), (1, 0), (1, 1), (1, 1)]
    [alert] = deadline_alerts(tmp_path)
    [at_once] = [m for m in outbox(tmp_path, DUTY) if "laukia sprendimo" not in m["Subject"]]   # told at review
    assert "ITPC-2026-000001 perduotas ITPC pareigūnui" in at_once["Subject"]
    assert "ITPC-2026-000001" in alert["Subject"] and "10:45" in alert["Subject"]
    [breach] = entries(config, "deadline.breached")
    assert breach["data"]["request"] == "ITPC-2026-000001" and breach["data"]["rule"] == "1B-1029:9"


def test_an_officers_decision_stops_the_deadline_watch(tmp_path):
    config = setup(tmp_path, C09)
    itpc(config, "poll", "--once", now="2026-12-02T08:46")
    itpc(config, "decide", "ITPC-2026-000001", "consent",
         now="2026-12-02T09:30")
    itpc(config, "tick", now="2026-12-02T11:00")
    assert deadline_alerts(tmp_path) == [] and entries(config, "deadline.breached") == []


def test_alert_and_deadline_follow_the_configured_minutes(tmp_path):
    config = setup(tmp_path, C09, rules={"decision_alert_minutes": 30, "decision_deadline_minutes": 60})
    itpc(config, "poll", "--once", now="2026-12-02T08:46")
    itpc(config, "tick", now="2026-12-02T09:14")
    assert deadline_alerts(tmp_path) == []
    itpc(config, "tick", now="2026-12-02T09:15")
    assert len(deadline_alerts(tmp_path)) == 1 and entries(config, "deadline.breached") == []
    itpc(config, "tick", now="2026-12-02T09:45")
    assert len(entries(config, "deadline.breached")) == 1


# -- consent expiry -----------------------------------------------------------------------------------------------

def test_consent_expiry_is_recorded_once_when_its_period_ends(tmp_path):
    config = setup(tmp_path, C01)
    itpc(config, "poll", "--once", now="2026-11-23T08:41:30")
    itpc(config, "tick", now="2026-11-23T17:59")
    assert entries(config, "consent.expired") == []
    itpc(config, "tick", now="2026-11-23T18:00")
    itpc(config, "tick", now="2026-11-24T09:00")
    [expired] = entries(config, "consent.expired")
    assert expired["data"]["consent_no"] == "VTP-2026-000001"


# -- once, however often and however interrupted ---------------------------------------------------------------

def test_a_tick_stopped_before_sending_then_run_again_sends_each_message_once(tmp_path):
    config = setup(tmp_path, C09)
    itpc(config, "outage", "start", "MDAS", "--at", "2026-12-02T07:00", now="2026-12-02T07:05")
    itpc(config, "poll", "--once", now="2026-12-02T08:46")   # c09 asks about NTKS: still reviewed
    app = open_app(config, "2026-12-02T10:50")
    run_tick(app, send=False)          # queued everything due, then "killed" before sending
    app.close()
    itpc(config, "tick", now="2026-12-02T10:51")
    itpc(config, "tick", now="2026-12-02T10:52")

    queued = [e["data"]["id"] for e in entries(config, "mail.queued")]
    sent = [e["data"]["id"] for e in entries(config, "mail.sent")]
    assert len(queued) == len(set(queued)) and sorted(sent) == sorted(queued)
    assert len(list((tmp_path / "outbox" / "new").iterdir())) == len(queued)
    assert len(deadline_alerts(tmp_path)) == 1 and len(entries(config, "deadline.breached")) == 1


# -- the pure rule at its boundaries ------------------------------------------------------------------------------

class _Request:
    def __init__(self, received: datetime, outcome: str, by: str, kind: str = "continuity"):
        self.kind, self.received = kind, received
        self.decision = {"outcome": outcome, "decided_by": by}


@pytest.mark.parametrize("minutes, outcome, by, kind, expected", [
    (89, "review", "auto", "continuity", None),
    (90, "review", "auto", "continuity", "alert"),
    (119, "review", "auto", "continuity", "alert"),
    (120, "review", "auto", "continuity", "breach"),
    (500, "review", "Officer", "continuity", None),    # an officer's own review is not the automatic one
    (500, "consent", "auto", "continuity", None),
    (500, "review", "auto", "afis_access", None),      # 1B-1029:9 is about continuity requests
])
def test_deadline_stage(minutes, outcome, by, kind, expected):
    received = parse_instant("2026-12-02T08:45")
    request = _Request(received, outcome, by, kind)
    assert deadline_stage(request, received + timedelta(minutes=minutes), alert_after=timedelta(minutes=90),
                          deadline_after=timedelta(minutes=120)) == expected
