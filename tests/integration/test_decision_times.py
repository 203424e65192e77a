"""Decisions, letters and notices are dated when they are made (DESIGN.md principle 5), and a continuity request
decided more than 2 hours after receipt (1B-1029:9) is a breach in `show`, `requests --status overdue` and
`report` alike."""
from __future__ import annotations

import email
import email.policy
import io
import json
import shutil
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pdfplumber
import pytest

from ledger.clock import UTC, VILNIUS, parse_instant
from tests.helpers import CORPUS, itpc, make_config

C01 = CORPUS / "mail" / "c01-labels-plain.eml"   # received Mon 2026-11-23 08:41; a consent 09:00-18:00
RECEIVED = datetime(2026, 11, 23, 8, 41, tzinfo=VILNIUS)
TRADER = "deklaracijos@bkl.lt"
OFFICE = "vilniaus.kroviniu.postas@lrmuitine.lt"   # LTVR1000 in config/customs_offices.csv
LATER = "2026-11-23T20:00"                         # when the officer looks: everything is decided by then


def outbox(tmp: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted((tmp / "outbox" / "new").iterdir())]


def polled(tmp: Path, message: Path, at: datetime) -> Path:
    config = make_config(tmp)
    shutil.copy(message, tmp / "inbox" / "new" / message.name)
    itpc(config, "poll", "--once", now=at.isoformat())
    return config


def the_request(config: Path, *args: str) -> list[dict]:
    out = itpc(config, "requests", "--json", *args, now=LATER).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def body(message) -> str:
    return " ".join(message.get_body(preferencelist=("plain",)).get_content().split())


def pdf_of(message) -> bytes:
    [pdf] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    return pdf.get_content()


@pytest.mark.parametrize("late, breach", [(timedelta(hours=3, minutes=30), True),
                                          (timedelta(hours=1, minutes=59), False)])
def test_a_request_decided_late_is_dated_late_and_shown_as_a_breach(tmp_path, late, breach):
    polled_at = RECEIVED + late
    config = polled(tmp_path, C01, polled_at)
    [request] = the_request(config)
    decision = request["decision"]
    assert decision["outcome"] == "consent" and decision["decided_by"] == "auto"
    decided = parse_instant(decision["decided_at"])
    assert polled_at <= decided < polled_at + timedelta(minutes=1)       # when it was made, not at receipt
    # The law's windows still run from receipt: the consent starts as asked, not at the decision.
    assert parse_instant(decision["period_from"]) == datetime(2026, 11, 23, 9, 0, tzinfo=VILNIUS)

    [answer] = [m for m in outbox(tmp_path) if TRADER in m["To"]]
    assert polled_at <= parsedate_to_datetime(answer["Date"]) < polled_at + timedelta(minutes=1)
    with pdfplumber.open(io.BytesIO(pdf_of(answer))) as document:
        created = document.metadata["CreationDate"]
    assert created.startswith("D:" + polled_at.astimezone(UTC).strftime("%Y%m%d%H%M"))
    [notice] = [m for m in outbox(tmp_path) if OFFICE in m["To"]]
    shown_at = polled_at.strftime("%Y-%m-%d %H:%M")
    assert f"{shown_at} išdavė Sutikimą" in body(notice)
    assert polled_at <= parsedate_to_datetime(notice["Date"]) < polled_at + timedelta(minutes=1)

    number = request["number"]
    story = json.loads(itpc(config, "show", number, "--json", now=LATER).stdout)
    assert story["deadlines"]["decision"]["state"] == ("missed" if breach else "met")
    shown = itpc(config, "show", number, now=LATER).stdout
    assert f"due 2026-11-23 10:41, decided {shown_at} — {'missed' if breach else 'met'}" in shown

    overdue = the_request(config, "--status", "overdue")
    assert [r["number"] for r in overdue] == ([number] if breach else [])
    table = itpc(config, "requests", "--status", "overdue", now=LATER)
    assert (number in table.stdout) == breach

    figures = json.loads(itpc(config, "report", "--month", "2026-11", "--format", "json", now=LATER).stdout)
    assert figures["deadlines"]["breached"] == ([number] if breach else [])
    assert figures["deadlines"]["decision_breaches"] == int(breach)


def test_a_consent_issued_in_the_new_year_is_dated_in_it_and_numbered_in_the_year_of_receipt(tmp_path):
    """Received on 31 December, decided after midnight: the Sutikimas is dated 1 January (when it was made),
    and its number counts in the year of receipt, as every number does (DESIGN, contracts)."""
    raw = C01.read_text(encoding="utf-8")
    raw = (raw.replace("Mon, 23 Nov 2026 08:41:00 +0200", "Thu, 31 Dec 2026 23:30:00 +0200")
              .replace("nuo 2026-11-23 09:00 iki 2026-11-23 18:00", "nuo 2026-12-31 23:30 iki 2027-01-01 12:00")
              .replace("<179542305577.6874.933367404993751140@bkl.lt>", "<new-year-1@bkl.lt>"))
    message = tmp_path / "new-year.eml"
    message.write_text(raw, encoding="utf-8")
    config = polled(tmp_path, message, datetime(2027, 1, 1, 0, 10, tzinfo=VILNIUS))
    [request] = [json.loads(line) for line in itpc(config, "requests", "--json").stdout.splitlines()]
    assert request["number"] == "ITPC-2026-000001"                     # requests: the year of receipt
    assert request["decision"]["consent_no"] == "VTP-2026-000001"      # the consent: the year of receipt too
    [answer] = [m for m in outbox(tmp_path) if TRADER in m["To"]]
    with pdfplumber.open(io.BytesIO(pdf_of(answer))) as document:
        text = " ".join((document.pages[0].extract_text() or "").split())
    assert "2027-01-01 Nr. VTP-2026-000001" in text


def test_a_clock_behind_the_mailbox_never_dates_a_decision_before_its_request(tmp_path):
    config = polled(tmp_path, C01, RECEIVED - timedelta(minutes=5))
    [request] = the_request(config)
    assert parse_instant(request["decision"]["decided_at"]) == RECEIVED
