"""End to end over real SMTP: the whole corpus in a Maildir inbox, `itpc poll --once`, an aiosmtpd server on
loopback as the outbox. What the server holds is what traders, fax machines and customs offices would get."""
from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pdfplumber
import pytest

from config import load_settings
from ledger.clock import VILNIUS
from tests.corpus_gaps import PARSE, PIPELINE
from tests.helpers import CORPUS, ROOT, itpc, make_config
from tests.smtp_server import SMTPRecorder, SMTPServer

pytestmark = pytest.mark.slow  # real servers or processes

OWN = "itpc@lrmuitine.lt"
# Cases whose parse or answer is not yet the expected one (each a strict xfail in the corpus tests).
GAPS = PARSE.keys() | PIPELINE.keys()
FAX_GATEWAY = "{number}@fax.lrmuitine.lt"
ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


# --------------------------------------------------------------------------------------------- the corpus

def corpus() -> list[tuple[str, email.message.EmailMessage, dict]]:
    cases = []
    for mail in sorted((CORPUS / "mail").glob("*.eml")):
        expected = json.loads((CORPUS / "expected" / f"{mail.stem}.json").read_text(encoding="utf-8"))
        message = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default)
        cases.append((mail.stem, message, expected))
    return cases


CASES = corpus()
OFFICES = {row["code"]: row for row in csv.DictReader(
    (ROOT / "config" / "customs_offices.csv").open(encoding="utf-8"))}


def sender(message) -> str:
    return message["From"].addresses[0].addr_spec.lower()


def reply_addresses(message, expected: dict) -> set[str]:
    """Where the answer must go (1B-1029:13): the addresses and fax numbers the request names, else the sender."""
    fields = expected.get("fields") or {}
    named = {a.lower() for a in fields.get("reply_email") or []}
    named |= {FAX_GATEWAY.format(number=n) for n in fields.get("reply_fax") or []}
    return named or {sender(message)}


def text_addresses(message) -> set[str]:
    found = set()
    for part in message.walk():
        if part.get_content_maintype() == "text":
            found |= {a.lower() for a in ADDRESS.findall(part.get_content())}
    return found


def vilnius_minute(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(VILNIUS).strftime("%Y-%m-%d %H:%M")


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def ledger_entries(config: Path) -> list[dict]:
    out = itpc(config, "ledger", "export", "--json").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def requests_json(config: Path) -> list[dict]:
    out = itpc(config, "requests", "--json").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def fill_inbox(tmp: Path, stems: list[str] | None = None) -> None:
    for mail in sorted((CORPUS / "mail").glob("*.eml")):
        if stems is None or mail.stem in stems:
            shutil.copy(mail, tmp / "inbox" / "new" / mail.name)


# --------------------------------------------------------------------------------- the whole corpus, once

LAST_RECEIPT = "2026-12-22T09:00"


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    """The corpus polled once (and then once more) against a real SMTP server."""
    tmp = tmp_path_factory.mktemp("pipeline")
    recorder = SMTPRecorder()
    with SMTPServer(recorder) as server:
        config = make_config(tmp, outbox={"url": server.url, "timeout": 5}, fax={"gateway": FAX_GATEWAY})
        fill_inbox(tmp)
        itpc(config, "poll", "--once", now=LAST_RECEIPT)
        first = len(recorder.deliveries)
        itpc(config, "poll", "--once", now="2026-12-22T10:00")
        second = len(recorder.deliveries)
    by_message_id = {r["message_id"]: r for r in requests_json(config)}
    return {"recorder": recorder, "first": first, "second": second, "requests": by_message_id,
            "config": config}


def consents(delivered):
    """The corpus's consents, but for the known gaps (whose answer is not yet the expected one)."""
    for stem, message, expected in CASES:
        if expected["decision"]["outcome"] == "consent" and stem not in GAPS:
            request = delivered["requests"][message["Message-ID"]]
            yield stem, message, expected, request


def test_every_consent_is_answered_at_the_reply_address_with_its_sutikimas(delivered):
    recorder = delivered["recorder"]
    checked = 0
    for stem, message, expected, request in consents(delivered):
        number = request["decision"]["consent_no"]
        # consents count from 1 every year, the year of receipt
        year = datetime.fromisoformat(request["received_at"]).astimezone(VILNIUS).year
        assert re.fullmatch(rf"VTP-{year}-\d{{6}}", number or ""), stem
        for address in reply_addresses(message, expected):
            answers = [m for m in recorder.to(address) if number in m["Subject"] and
                       any(p.get_filename() for p in m.iter_attachments())]
            assert len(answers) == 1, f"{stem}: {len(answers)} answers with {number} at {address}"
            [pdf] = [p for p in answers[0].iter_attachments() if p.get_content_type() == "application/pdf"]
            assert number in pdf.get_filename() and pdf.get_filename().endswith(".pdf")
            text = pdf_text(pdf.get_content())
            fields = expected["fields"]
            period = expected["decision"].get("period_from") and expected["decision"] or fields
            assert f"Nr. {number}" in text, stem
            assert fields["eori"] in text, stem
            assert (f"nuo {vilnius_minute(period['period_from'])} iki {vilnius_minute(period['period_to'])}"
                    in flat(text)), stem
            for system in ("MDAS", "NTKS"):
                assert (system in text.split("(data, val., min.)")[0]) == (system in fields["systems"]), stem
            for code in fields["customs_offices"]:
                # The office's name with its Lithuanian letters, straight from the directory.
                assert f"{code} – {OFFICES[code]['name']}" in text, stem
            assert "SUTIKIMAS TAIKYTI VEIKLOS TĘSTINUMO PROCEDŪRĄ" in text
            applicant = request["fields"]["applicant"]
            assert flat(applicant) in flat(text), stem
            checked += 1
    assert checked >= 10


def test_the_fax_request_is_answered_through_the_fax_gateway(delivered):
    [(stem, message, expected)] = [c for c in CASES if c[2]["source"] == "ocr"]
    [number] = expected["fields"]["reply_fax"]
    answers = delivered["recorder"].to(FAX_GATEWAY.format(number=number))
    assert answers and all(m["In-Reply-To"] == message["Message-ID"] for m in answers)
    assert any(p.get_content_type() == "application/pdf" for m in answers for p in m.iter_attachments())
    assert delivered["recorder"].to(sender(message)) == []  # not the gateway's own From address


def test_each_consents_offices_get_exactly_one_notice_each(delivered):
    recorder = delivered["recorder"]
    # The consents ended early, as decided: a recovery notice need not name its consent (1B-1029:16).
    ended_early = {r["decision"]["consent_no"] for r in delivered["requests"].values()
                   if r["decision"]["outcome"] == "ended_early"}
    for stem, message, expected, request in consents(delivered):
        number = request["decision"]["consent_no"]
        for code in expected["fields"]["customs_offices"]:
            about = [m for m in recorder.to(OFFICES[code]["email"]) if number in m["Subject"]]
            # A consent ended early (1B-1029:16) also tells its offices so: one more letter, not a repeat.
            assert len(about) == 1 + (number in ended_early), f"{stem}: {code} got {len(about)} about {number}"
            assert len({m["Subject"] for m in about}) == len(about)
            assert all(m.get_all("To") and OFFICES[code]["email"] in m["To"] for m in about)
            # Each letter names whose consent it is, the early-end notice (1B-1029:16) included.
            assert all(request["fields"]["applicant"] in m.get_body(preferencelist=("plain",)).get_content()
                       for m in about), stem


def test_office_notice_subjects_name_the_applicant_with_every_letter_intact(delivered):
    recorder = delivered["recorder"]
    for stem, message, expected, request in consents(delivered):
        number = request["decision"]["consent_no"]
        who = f"{request['fields']['applicant']}, EORI {expected['fields']['eori']}"
        for code in expected["fields"]["customs_offices"]:
            for notice in (m for m in recorder.to(OFFICES[code]["email"]) if number in m["Subject"]):
                assert who in notice["Subject"], (stem, notice["Subject"])


LIAISON = load_settings().afis.liaison_address.lower()
DUTY = load_settings().itpc.duty_address.lower()   # told at once of each case that waits for an officer


def test_nothing_goes_to_auto_generated_senders_or_addresses_only_in_the_text(delivered):
    recorder = delivered["recorder"]
    got = recorder.recipients()
    auto_senders = {sender(m) for _, m, e in CASES if e["kind"] == "auto_generated"}
    assert auto_senders and not (got & auto_senders)
    # An AFIS return goes to the representative at the address the request names (1B-280:9), a complete
    # request to the liaison officer.
    representatives = {e["fields"]["officer_email"].lower() for _, _, e in CASES
                       if e["kind"] == "afis_access" and e["decision"]["outcome"] == "returned"}
    allowed = {o["email"].lower() for o in OFFICES.values()} | representatives | {LIAISON, DUTY}
    for _, message, expected in CASES:
        if expected["kind"] != "auto_generated":
            allowed |= reply_addresses(message, expected)
    assert got <= allowed, f"unexpected recipients: {sorted(got - allowed)}"
    senders = {sender(m) for _, m, _ in CASES}
    named = {a.lower() for _, _, e in CASES for a in (e.get("fields") or {}).get("reply_email") or []}
    named |= representatives
    only_in_text = set().union(*(text_addresses(m) for _, m, _ in CASES)) - senders - named - {OWN}
    assert only_in_text, "the corpus names addresses in its texts"
    assert not (got & only_in_text)
    # Requests that name a reply address are not also answered at the sender's own address.
    for stem, message, expected in CASES:
        fields = expected.get("fields") or {}
        if fields.get("reply_email") and sender(message) not in reply_addresses(message, expected):
            replies = [m for m in recorder.to(sender(message)) if m["In-Reply-To"] == message["Message-ID"]]
            assert replies == [], stem


def test_every_delivered_message_is_marked_automatic_and_threaded(delivered):
    recorder = delivered["recorder"]
    request_ids = {m["Message-ID"] for _, m, e in CASES if e["kind"] != "auto_generated"}
    assert recorder.deliveries
    for delivery in recorder.deliveries:
        message = delivery.message
        assert message["Auto-Submitted"] in ("auto-replied", "auto-generated")
        assert message["X-Auto-Response-Suppress"] == "All"
        assert message["X-Loop"].lower() == OWN
        # a long Message-ID is folded onto its own line: the folding white space is not part of it (RFC 5322)
        assert message["In-Reply-To"].strip() in request_ids, message["Subject"]
        assert delivery.mail_from.lower() == OWN
    for stem, message, expected, request in consents(delivered):
        number = request["decision"]["consent_no"]
        for address in reply_addresses(message, expected):
            answers = [m for m in recorder.to(address)
                       if any(number in (p.get_filename() or "") for p in m.iter_attachments())]
            assert answers and all(m["In-Reply-To"].strip() == message["Message-ID"] for m in answers), stem


def test_every_message_arrives_once_and_a_second_poll_sends_nothing(delivered):
    recorder = delivered["recorder"]
    assert delivered["first"] == delivered["second"] == len(recorder.deliveries)
    assert set(recorder.per_message_id().values()) == {1}
    statuses = {n["status"] for r in delivered["requests"].values() for n in r["notices"]}
    assert statuses == {"sent"}


# ----------------------------------------------------------------------------------- a flaky server

FEW = ["c01-labels-plain", "c02-form-pdf", "c16-ascii"]


def test_a_server_that_defers_then_accepts_gets_every_message_exactly_once(tmp_path):
    recorder = SMTPRecorder(defer_data=3)
    with SMTPServer(recorder) as server:
        config = make_config(tmp_path, outbox={"url": server.url, "timeout": 5, "retry_seconds": 60})
        fill_inbox(tmp_path, FEW)
        start = datetime(2026, 12, 10, 12, 0)
        itpc(config, "poll", "--once", now=start.isoformat())
        queued = {e["data"]["id"] for e in ledger_entries(config) if e["type"] == "mail.queued"}
        assert len(queued) > 3 and recorder.data_attempts == len(queued)
        assert len(recorder.deliveries) == len(queued) - 3
        # Before the first retry is due nothing is tried again (backoff, not a hammering loop).
        itpc(config, "poll", "--once", now=(start + timedelta(seconds=30)).isoformat())
        assert recorder.data_attempts == len(queued)
        for minutes in (2, 10, 30, 90):
            itpc(config, "poll", "--once", now=(start + timedelta(minutes=minutes)).isoformat())
    assert sorted(recorder.per_message_id().values()) == [1] * len(queued)
    entries = ledger_entries(config)
    failed = {e["data"]["id"] for e in entries if e["type"] == "mail.failed"}
    assert len(failed) == 3
    for mail_id in queued:
        history = [e["type"] for e in entries if e["type"].startswith("mail.") and e["data"].get("id") == mail_id]
        assert history[-1] == "mail.sent" and history.count("mail.sent") == 1
        assert history[1:-1] == (["mail.failed"] if mail_id in failed else [])
    failure = next(e["data"] for e in entries if e["type"] == "mail.failed")
    assert "451" in failure["error"] and failure["permanent"] is False
    assert {n["status"] for r in requests_json(config) for n in r["notices"]} == {"sent"}


def test_a_permanently_refused_recipient_is_held_and_never_retried(tmp_path):
    [(_, message, expected)] = [c for c in CASES if c[0] == "c16-ascii"]
    [refused] = reply_addresses(message, expected)
    recorder = SMTPRecorder(refuse_rcpt={refused: "550 5.1.1 <%s>: Recipient address rejected" % refused})
    with SMTPServer(recorder) as server:
        config = make_config(tmp_path, outbox={"url": server.url, "timeout": 5, "retry_seconds": 60})
        fill_inbox(tmp_path, FEW)
        itpc(config, "poll", "--once", now="2026-12-10T12:00")
        for later in ("2026-12-10T13:00", "2026-12-11T12:00"):
            itpc(config, "poll", "--once", now=later)
    assert recorder.rcpt_attempts[refused] == 1
    assert recorder.to(refused) == []
    [request] = [r for r in requests_json(config) if r["message_id"] == message["Message-ID"]]
    statuses = {n["purpose"]: n["status"] for n in request["notices"]}
    assert statuses["answer"] == "held" and statuses["office_notice"] == "sent"
    held = [e["data"] for e in ledger_entries(config) if e["type"] == "mail.held"]
    assert len(held) == 1 and "550" in held[0]["reason"]
    # Everyone else got their mail.
    others = [n for r in requests_json(config) for n in r["notices"] if refused not in n["to"]]
    assert others and all(n["status"] == "sent" for n in others)


def test_letters_failed_under_a_clock_a_year_ahead_are_retried_once_the_clock_is_put_back(tmp_path):
    recorder = SMTPRecorder(defer_data=1000)  # the server defers every letter
    with SMTPServer(recorder) as server:
        config = make_config(tmp_path, outbox={"url": server.url, "timeout": 5, "retry_seconds": 60,
                                               "max_retry_seconds": 3600})
        fill_inbox(tmp_path, ["c16-ascii"])
        start = datetime(2026, 12, 10, 12, 0)
        itpc(config, "poll", "--once", now=(start + timedelta(days=365)).isoformat())
        tried = recorder.data_attempts
        assert tried > 0
        itpc(config, "poll", "--once", now=start.isoformat())  # the clock was corrected
        assert recorder.data_attempts == 2 * tried
        # However many failures in a row, the next try is never more than the longest backoff away.
        for hour in range(1, 12):
            itpc(config, "poll", "--once", now=(start + hour * timedelta(hours=1, minutes=1)).isoformat())
    assert recorder.data_attempts == 13 * tried
    last = [e for e in ledger_entries(config) if e["type"] == "mail.failed"][-1]
    waited = datetime.fromisoformat(last["data"]["retry_at"]) - datetime.fromisoformat(last["ts"])
    assert timedelta(minutes=59) <= waited <= timedelta(hours=1)


def test_a_sender_whose_domain_is_outside_ascii_is_answered_and_blocks_no_other_letter(tmp_path):
    recorder = SMTPRecorder()
    with SMTPServer(recorder) as server:
        config = make_config(tmp_path, outbox={"url": server.url, "timeout": 5})
        fill_inbox(tmp_path, ["c16-ascii", "c01-labels-plain"])
        raw = (CORPUS / "mail" / "c16-ascii.eml").read_bytes()
        raw = raw.replace(b"@mvezejai.lt", "@mvežėjai.lt".encode())  # the sender and the reply address
        raw = raw.replace(b"Message-ID: <", b"Message-ID: <idna-", 1)
        (tmp_path / "inbox" / "new" / "idna.eml").write_bytes(raw)
        itpc(config, "poll", "--once", now="2026-12-10T12:00")
    assert recorder.to("vezejai@xn--mvejai-k4a73f.lt")
    pending = [n for r in requests_json(config) for n in r["notices"] if n["status"] != "sent"]
    assert pending == []


def test_a_connection_lost_after_data_is_recorded_as_uncertain_and_the_resend_keeps_the_message_id(tmp_path):
    recorder = SMTPRecorder(drop_after_data=1)
    with SMTPServer(recorder) as server:
        config = make_config(tmp_path, outbox={"url": server.url, "timeout": 5, "retry_seconds": 60})
        fill_inbox(tmp_path, ["c16-ascii"])
        itpc(config, "poll", "--once", now="2026-12-10T12:00")
        itpc(config, "poll", "--once", now="2026-12-10T12:05")
    uncertain = [e["data"] for e in ledger_entries(config) if e["type"] == "mail.failed"]
    assert len(uncertain) == 1 and uncertain[0]["uncertain"] is True and uncertain[0]["permanent"] is False
    twice = [mid for mid, n in recorder.per_message_id().items() if n == 2]
    assert len(twice) == 1                  # the recipient got it twice, under one Message-ID (clients merge)
    number = next(r["number"] for r in requests_json(config))
    assert "Uncertain" in itpc(config, "show", number).stdout
