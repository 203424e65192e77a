"""`--dry-run` (issue 13 item 9): `decide` and `outage plan|extend|cancel` print the letters they would send —
recipients, subject, text, attachments by name — and leave every file as it was: ledger, archive, outbox, page."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.helpers import CORPUS, DUTY, TEST_OFFICERS, as_officer, itpc, make_config, not_to_duty
from tests.integration.test_officer import OFFICE, TRADER, body, outbox, requests_json

C09 = CORPUS / "mail" / "c09-unclear-reason.eml"   # received Wed 2026-12-02 08:45, reason unclear: review


def files(tmp: Path) -> dict[str, str]:
    """Every file under the test's folder (ledger, archive, view, outbox, page) and its SHA-256."""
    return {str(p.relative_to(tmp)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(tmp.rglob("*")) if p.is_file()}


@pytest.fixture
def review(tmp_path):
    config = make_config(tmp_path, outages={"page_directory": str(tmp_path / "page")})
    shutil.copy(C09, tmp_path / "inbox" / "new" / C09.name)
    itpc(config, "poll", "--once", now="2026-12-02T08:50")
    [request] = requests_json(config)
    return tmp_path, config, request["number"]


def test_a_dry_run_consent_prints_the_letters_and_changes_no_file(review):
    tmp, config, number = review
    before = files(tmp)
    out = itpc(config, "decide", number, "consent", "--dry-run", now="2026-12-02T09:30").stdout
    assert files(tmp) == before
    assert out.startswith("Dry run: nothing was recorded and nothing was sent.\n")
    assert "Would record: decision.made, mail.queued ×2." in out
    assert f"To: {TRADER}\n" in out and f"To: {OFFICE}\n" in out
    assert f"Subject: Sutikimas Nr. VTP-2026-000001 taikyti veiklos tęstinumo procedūrą – Prašymas {number}\n" in out
    assert "Attachment: Sutikimas VTP-2026-000001.pdf (application/pdf, " in out
    assert "Galioja: nuo 2026-12-02 09:00 iki 2026-12-02 15:00 (Vilniaus laiku)" in out
    [request] = requests_json(config)
    assert request["decision"]["outcome"] == "review"           # still waiting: nothing was decided

    # The rehearsal is the real thing, minus the writing: the decision then sends exactly those letters.
    itpc(config, "decide", number, "consent", now="2026-12-02T09:30")
    for message in not_to_duty(outbox(tmp))[1:]:   # after the acknowledgement
        assert f"Subject: {message['Subject']}\n" in out and body(message).replace("\r\n", "\n").strip() in out


def test_a_dry_run_refusal_shows_the_motive_and_the_signing_officer(review):
    tmp, config, number = review
    before = files(tmp)
    reason = "Nurodyta priežastis („dėl tam tikrų aplinkybių“) nėra objektyvi."
    out = itpc(config, "decide", number, "refuse", "--reason", reason, "--rule", "1B-1029:12", "--dry-run",
               now="2026-12-02T10:05", env=as_officer(DUTY)).stdout
    assert files(tmp) == before
    assert "Would send 1 letter." in out and f"To: {TRADER}\n" in out and reason in out
    name, position, _ = TEST_OFFICERS[DUTY]
    assert f"Pagarbiai,\n{position}\n{name}\n" in out


def test_a_dry_run_revocation_shows_the_trader_and_the_offices_letters(review):
    tmp, config, number = review
    itpc(config, "decide", number, "consent", now="2026-12-02T09:30")
    before = files(tmp)
    out = itpc(config, "decide", "VTP-2026-000001", "revoke", "--reason", "Priežastis nepasitvirtino.", "--dry-run",
               now="2026-12-02T11:00").stdout
    assert files(tmp) == before
    assert f"To: {TRADER}\n" in out and f"To: {OFFICE}\n" in out and "Priežastis nepasitvirtino." in out


def test_a_dry_run_of_a_decision_that_cannot_be_made_is_the_same_one_line_error(review):
    tmp, config, number = review
    before = files(tmp)
    done = itpc(config, "decide", number, "refuse", "--dry-run", now="2026-12-02T10:05", check=False)
    assert done.returncode == 1 and done.stderr.startswith("itpc: refuse needs --reason")
    assert files(tmp) == before


def test_outage_plan_extend_and_cancel_dry_runs_print_the_notices_and_change_no_file(review):
    tmp, config, _ = review
    plan = ("outage", "plan", "MDAS", "--from", "2026-12-05T20:00", "--to", "2026-12-06T02:00")
    before = files(tmp)
    out = itpc(config, *plan, "--dry-run", now="2026-12-02T09:00").stdout
    assert files(tmp) == before and not (tmp / "page").exists()
    assert "Would record: outage.declared, mail.queued ×" in out
    assert f"To: {OFFICE}\n" in out and "Subject: Planuojamas MDAS stabdymas nuo 2026-12-05 20:00 iki 2026-12-06 02:00" in out

    itpc(config, *plan, now="2026-12-02T09:00")
    before = files(tmp)
    out = itpc(config, "outage", "extend", "MDAS", "--to", "2026-12-06T05:00", "--dry-run",
               now="2026-12-05T21:00").stdout
    assert files(tmp) == before
    assert "Would record: outage.extended, mail.queued ×" in out and f"To: {OFFICE}\n" in out
    assert "2026-12-06 05:00" in out

    out = itpc(config, "outage", "cancel", "MDAS-20261205T1800Z", "--reason", "Atnaujinimas atidėtas", "--dry-run",
               now="2026-12-03T09:00").stdout
    assert files(tmp) == before
    assert "Would record: outage.cancelled, mail.queued ×" in out and "Atnaujinimas atidėtas" in out
