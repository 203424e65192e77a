"""Officer decisions from the CLI, end to end: a request the rules cannot decide goes to review, then
`itpc decide` records the officer's decision, dated when made, and answers it like an automatic one."""
from __future__ import annotations

import email
import email.policy
import io
import json
import re
import shutil
from pathlib import Path

import pdfplumber
import pytest

from tests.helpers import CORPUS, ME, TEST_OFFICERS, itpc, make_config

C09 = CORPUS / "mail" / "c09-unclear-reason.eml"   # received Wed 2026-12-02 08:45, reason unclear
TRADER = "tranzitas@rytai.lt"
OFFICE = "medininku.postas@lrmuitine.lt"                        # LTVR2000 in config/customs_offices.csv
OFFICER = ME  # the login the tests run as: an officer in the test directory (tests.helpers)


@pytest.fixture
def review(tmp_path):
    """c09 polled once: registered, sent to an officer, acknowledged."""
    config = make_config(tmp_path)
    shutil.copy(C09, tmp_path / "inbox" / "new" / C09.name)
    itpc(config, "poll", "--once", now="2026-12-02T08:50")
    [request] = requests_json(config)
    assert request["decision"]["outcome"] == "review"
    return tmp_path, config, request["number"]


def requests_json(config: Path) -> list[dict]:
    return [json.loads(line) for line in itpc(config, "requests", "--json").stdout.splitlines() if line.strip()]


def ledger_size(config: Path) -> int:
    return len(itpc(config, "ledger", "export", "--json").stdout.splitlines())


def outbox(tmp: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted((tmp / "outbox" / "new").iterdir())]


def to(tmp: Path, address: str) -> list[email.message.EmailMessage]:
    return [m for m in outbox(tmp) if address in m["To"]]


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def sutikimas_text(message) -> str:
    [pdf] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    with pdfplumber.open(io.BytesIO(pdf.get_content())) as doc:
        return " ".join(" ".join((page.extract_text() or "").split()) for page in doc.pages)


def test_review_is_acknowledged_and_an_officers_consent_is_issued_and_sent(review):
    tmp, config, number = review
    [ack] = to(tmp, TRADER)
    assert number in ack["Subject"] and ack.get_filename() is None

    done = itpc(config, "decide", number, "consent", now="2026-12-02T09:30")
    assert "consent VTP-2026-000001" in done.stdout and OFFICER in done.stdout

    [request] = requests_json(config)
    decision = request["decision"]
    assert decision["outcome"] == "consent" and decision["consent_no"] == "VTP-2026-000001"
    assert decision["decided_by"] == OFFICER
    assert (decision["period_from"], decision["period_to"]) == ("2026-12-02T09:00:00+02:00",
                                                                "2026-12-02T15:00:00+02:00")
    assert "1B-1029:14" not in decision["rules"]

    answers = [m for m in to(tmp, TRADER) if "VTP-2026-000001" in m["Subject"]]
    assert len(answers) == 1
    text = sutikimas_text(answers[0])
    assert "Nr. VTP-2026-000001" in text and "LT302999888" in text
    assert "nuo 2026-12-02 09:00 iki 2026-12-02 15:00" in text and "NTKS" in text
    name, position, _ = TEST_OFFICERS[OFFICER]
    assert name in text and position in text   # the deciding officer, not the duty officer
    assert "LTVR2000 – Medininkų kelio postas" in text
    # The office is told once, and the notice is dated when the officer decided, not at receipt.
    [notice] = to(tmp, OFFICE)
    assert "VTP-2026-000001" in notice["Subject"]
    assert "2026-12-02 09:30" in body(notice) and "08:45 išdavė" not in body(notice)
    statuses = {(n["purpose"], n["status"]) for n in request["notices"]}
    assert statuses == {("acknowledgement", "sent"), ("answer", "sent"), ("office_notice", "sent"),
                        ("duty_alert", "sent")}   # the duty officer was told at once that it waited


def test_an_officers_refusal_sends_the_reason_and_the_rule(review):
    tmp, config, number = review
    reason = "Nurodyta priežastis („dėl tam tikrų aplinkybių“) nėra objektyvi."
    itpc(config, "decide", number, "refuse", "--reason", reason, "--rule", "1B-1029:12",
         now="2026-12-02T10:05")
    [request] = requests_json(config)
    assert request["decision"]["outcome"] == "refusal"
    assert request["decision"]["rules"] == ["1B-1029:12"] and request["decision"]["decided_by"] == OFFICER
    assert request["decision"]["consent_no"] is None
    [letter] = [m for m in to(tmp, TRADER) if "Atsisakoma" in m["Subject"]]
    assert reason in body(letter) and number in letter["Subject"]
    assert not any(list(m.iter_attachments()) for m in to(tmp, TRADER))
    assert to(tmp, OFFICE) == []   # no consent, nothing for the office


def test_return_is_not_for_a_continuity_request(review):
    tmp, config, number = review
    before, mails = ledger_size(config), len(outbox(tmp))
    proc = itpc(config, "decide", number, "return", "--reason", "Trūksta duomenų.", check=False,
                now="2026-12-02T09:30")
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("itpc: ") and "continuity" in line
    assert ledger_size(config) == before and len(outbox(tmp)) == mails
    assert requests_json(config)[0]["decision"]["outcome"] == "review"


@pytest.mark.parametrize("until, shortened", [("2026-12-07T14:00", False), ("2026-12-07T14:01", True)])
def test_an_officers_end_past_two_working_days_is_cut_and_cites_point_14(tmp_path, until, shortened):
    """From Thursday 14:00, two working days (the weekend skipped) end on Monday at 14:00 (1B-1029:14); the
    request asks for a week, so the officer's --to is within what was asked."""
    config, tmp = make_config(tmp_path), tmp_path
    long_unclear_request(tmp)
    itpc(config, "poll", "--once", now="2026-12-02T08:50")
    [request] = requests_json(config)
    itpc(config, "decide", request["number"], "consent", "--from", "2026-12-03T14:00", "--to", until, now="2026-12-02T09:30")
    decision = requests_json(config)[0]["decision"]
    assert decision["period_to"] == "2026-12-07T14:00:00+02:00"
    assert ("1B-1029:14" in decision["rules"]) is shortened
    [answer] = [m for m in to(tmp, TRADER) if decision["consent_no"] in m["Subject"]]
    assert "nuo 2026-12-03 14:00 iki 2026-12-07 14:00" in sutikimas_text(answer)


def long_unclear_request(tmp: Path) -> None:
    """A request like c09 (reason unclear → review) but asking for a whole week."""
    raw = C09.read_bytes().replace(b"2026-12-02 09:00 iki 2026-12-02 15:00", b"2026-12-03 14:00 iki 2026-12-10 18:00")
    assert raw != C09.read_bytes()
    (tmp / "inbox" / "new" / "long.eml").write_bytes(raw)


def test_consenting_to_a_week_long_request_gives_two_working_days_and_says_so(tmp_path):
    config = make_config(tmp_path)
    long_unclear_request(tmp_path)
    itpc(config, "poll", "--once", now="2026-12-02T08:50")
    [request] = requests_json(config)
    assert request["decision"]["outcome"] == "review"
    itpc(config, "decide", request["number"], "consent", now="2026-12-02T11:00")
    decision = requests_json(config)[0]["decision"]
    assert (decision["period_from"], decision["period_to"]) == ("2026-12-03T14:00:00+02:00",
                                                                "2026-12-07T14:00:00+02:00")
    assert "1B-1029:14" in decision["rules"]
    [answer] = [m for m in to(tmp_path, TRADER) if decision["consent_no"] in m["Subject"]]
    assert "trumpesniam laikotarpiui" in answer["Subject"]
    assert "nuo 2026-12-03 14:00 iki 2026-12-10 18:00" in body(answer)        # what was asked
    assert "14 punktas" in body(answer).split("Deklaruodami")[0]             # why it is shorter
    assert "nuo 2026-12-03 14:00 iki 2026-12-07 14:00" in sutikimas_text(answer)


def test_an_unknown_request_number_is_a_one_line_error(review):
    tmp, config, _ = review
    before = ledger_size(config)
    proc = itpc(config, "decide", "ITPC-2026-999999", "consent", check=False, now="2026-12-02T09:30")
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("itpc: ") and "ITPC-2026-999999" in line
    assert ledger_size(config) == before


def test_a_decided_request_is_not_decided_again(review):
    tmp, config, number = review
    itpc(config, "decide", number, "consent", now="2026-12-02T09:10")
    before, mails = ledger_size(config), len(outbox(tmp))
    proc = itpc(config, "decide", number, "consent", check=False, now="2026-12-02T09:20")
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"itpc: {number} is already decided (consent); only requests in review wait for an officer"
    assert ledger_size(config) == before and len(outbox(tmp)) == mails  # no second consent, no second letter


def without_offices(tmp: Path) -> None:
    """A request like c09 (reason unclear → review) that names no customs office."""
    message = email.message_from_bytes(C09.read_bytes(), policy=email.policy.default)
    text = body(message)
    words = "šiose muitinės įstaigose: Medininkų kelio postas (LTVR2000)".split()
    asked = re.compile(r"\s+" + r"\s+".join(map(re.escape, words)))
    assert asked.search(text)
    message.set_content(asked.sub("", text), charset="utf-8")
    (tmp / "inbox" / "new" / "no-offices.eml").write_bytes(message.as_bytes())


def test_a_consent_to_a_request_naming_no_customs_office_is_refused_before_anything_is_written(tmp_path):
    """A Sutikimas must name the offices (1B-1029 annex 2) and they must be told: without one the decision would
    stand with no letter, so `decide` says what is missing and records nothing."""
    config = make_config(tmp_path)
    without_offices(tmp_path)
    itpc(config, "poll", "--once", now="2026-12-02T08:50")
    [request] = requests_json(config)
    assert request["decision"]["outcome"] == "review"   # the automatic path leaves it to an officer
    before, mails = ledger_size(config), len(outbox(tmp_path))
    proc = itpc(config, "decide", request["number"], "consent", check=False,
                now="2026-12-02T09:30")
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("itpc: ") and "customs office" in line
    assert ledger_size(config) == before and len(outbox(tmp_path)) == mails
    assert requests_json(config)[0]["decision"]["outcome"] == "review"
