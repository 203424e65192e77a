"""`itpc requeue`, end to end: a message that could not be read is read again once the officer has fixed the
cause, then decided and answered exactly once; a letter the mail server refused goes out once the server takes
it; a request that was answered, or where nothing failed, is never processed again."""
from __future__ import annotations

import email
import email.policy
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from ledger.entries import MAIL_HELD, MAIL_QUEUED, MAIL_REQUEUED
from ledger.store import Entry
from ledger.views import State
from tests.helpers import CORPUS, ME, itpc, make_config as configured
from tests.make_documents import form_pdf, message
from tests.smtp_server import SMTPRecorder, SMTPServer

TRADER = "jonas@example.lt"            # the sender of the messages made here (no reply address in the form)
OFFICE = "vilniaus.kroviniu.postas@lrmuitine.lt"   # LTVR1000 in config/customs_offices.csv
OFFICER = ME  # the login the tests run as: an officer in the test directory (tests.helpers)
FORM = ["UAB „Žalgirio sandėliai“, EORI LT123456789, tel. (8 5) 212 0000",
        "PRAŠYMAS TAIKYTI VEIKLOS TĘSTINUMO PROCEDŪRĄ",
        "Prašau sutikimo taikyti veiklos tęstinumo procedūrą MDAS",
        "nuo 2026-12-14 09:00 iki 2026-12-14 17:00",
        "šiose muitinės įstaigose Vilniaus krovinių postas (LTVR1000)",
        "Priežastys: sugedo serveris, neveikia informacinė sistema",
        "Kontaktinis asmuo: direktorius Jonas Petraitis"]
RECEIVED = "2026-12-14T08:35"          # message() is dated Mon 2026-12-14 08:30 Vilnius time
C09 = CORPUS / "mail" / "c09-unclear-reason.eml"   # received Wed 2026-12-02 08:45: review, acknowledged
C09_TRADER = "tranzitas@rytai.lt"


# --------------------------------------------------------------------------------------------- helpers

def deliver(tmp: Path, name: str, raw: bytes, message_id: str | None = None) -> None:
    if message_id:
        raw = raw.replace(b"<test.1@example.lt>", message_id.encode())
    (tmp / "inbox" / "new" / name).write_bytes(raw)


def make_config(tmp: Path, **sections: dict) -> Path:
    """A test config without the duty officer's alerts (an empty duty address): these tests count the letters
    a request's processing sends and releases."""
    return configured(tmp, itpc={"duty_address": ""}, **sections)


def requests_json(config: Path) -> dict[str, dict]:
    lines = itpc(config, "requests", "--json").stdout.splitlines()
    return {r["number"]: r for r in (json.loads(line) for line in lines if line.strip())}


def entries(config: Path) -> list[dict]:
    return [json.loads(line) for line in itpc(config, "ledger", "export", "--json").stdout.splitlines() if line]


def outbox(tmp: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted((tmp / "outbox" / "new").iterdir())]


def requeue(config: Path, number: str, reason: str, *, now: str, check: bool = True):
    return itpc(config, "requeue", number, "--reason", reason, now=now, check=check)


def refused(config: Path, number: str, now: str) -> str:
    """Asks to requeue, expects a one-line refusal and no new ledger entry; returns the message."""
    before = len(entries(config))
    done = requeue(config, number, "bandoma dar kartą", now=now, check=False)
    assert done.returncode == 1 and done.stdout == ""
    assert len(entries(config)) == before
    [line] = done.stderr.strip().splitlines()[-1:]
    assert line.startswith("itpc: ")
    return line


# ------------------------------------------------------------- a message that could not be read, read again

def test_a_message_skipped_by_the_attachment_cap_is_read_again_after_the_cap_is_raised(tmp_path):
    pdf = form_pdf(FORM)
    small = len(pdf) // 2   # the form is skipped: the message is registered "not a request", for review
    config = make_config(tmp_path, mailbox={"max_attachment_bytes": small})
    deliver(tmp_path, "m1.eml", message(attachments=[("prasymas.pdf", "application/pdf", pdf)]))
    itpc(config, "poll", "--once", now=RECEIVED)
    [number] = requests_json(config)
    review = itpc(config, "requests", "--status", "review", "--json").stdout
    assert number in review
    before = requests_json(config)[number]
    assert before["kind"] == "not_a_request" and before["decision"]["outcome"] == "review"
    assert outbox(tmp_path) == []   # nothing is answered automatically to what could not be read

    # Requeued before the cause is fixed: recorded, read again, still not readable, still in review.
    still = requeue(config, number, "Bandoma perskaityti dar kartą", now="2026-12-14T08:40")
    assert "still with 1 problem" in still.stdout and "exceeds" in still.stdout and "in review" in still.stdout
    assert requests_json(config)[number]["decision"]["outcome"] == "review"
    assert outbox(tmp_path) == []

    # The officer raises the cap; the archived copy is read with the new configuration.
    make_config(tmp_path, mailbox={"max_attachment_bytes": len(pdf) * 4})
    done = requeue(config, number, "Padidintas priedų dydžio limitas", now="2026-12-14T08:50")
    assert f"{number}: message read again as continuity from pdf, no problems" in done.stdout
    assert "decided consent VTP-2026-000001 (auto)" in done.stdout and "2 letters: 2 sent" in done.stdout

    after = requests_json(config)[number]
    assert after["kind"] == "continuity" and after["fields"]["eori"] == "LT123456789"
    assert after["decision"]["outcome"] == "consent" and after["decision"]["consent_no"] == "VTP-2026-000001"
    assert after["decision"]["decided_by"] == "auto"
    assert {n["status"] for n in after["notices"]} == {"sent"} and len(after["notices"]) == 2

    # Answered once: the trader gets the consent (no acknowledgement of the superseded review), the office
    # its notice; a later poll by a fresh process sends nothing more.
    itpc(config, "poll", "--once", now="2026-12-14T09:30")
    sent = outbox(tmp_path)
    to_trader = [m for m in sent if TRADER in m["To"]]
    assert len(sent) == 2 and len(to_trader) == 1
    assert "VTP-2026-000001" in to_trader[0]["Subject"]
    assert [p.get_filename() for p in to_trader[0].iter_attachments()] == ["Sutikimas VTP-2026-000001.pdf"]
    assert [m for m in sent if OFFICE in m["To"]]
    assert len({m["Message-ID"] for m in sent}) == 2

    log = entries(config)
    requeued = [e["data"] for e in log if e["type"] == "request.requeued"]
    assert requeued == [{"request": number, "reason": "Bandoma perskaityti dar kartą", "by": OFFICER},
                        {"request": number, "reason": "Padidintas priedų dydžio limitas", "by": OFFICER}]
    reparsed = [e["data"] for e in log if e["type"] == "request.reparsed"]
    assert [r["kind"] for r in reparsed] == ["not_a_request", "continuity"]
    assert reparsed[-1]["problems"] == [] and reparsed[-1]["source"] == "pdf"
    # what was registered first is not changed: a correction is a new entry
    [registered] = [e["data"] for e in log if e["type"] == "request.registered"]
    assert registered["kind"] == "not_a_request" and registered["problems"]
    assert [e["data"]["outcome"] for e in log if e["type"] == "decision.made"] == ["review", "review", "consent"]
    assert all(m["id"].startswith(f"{number}/2/") for m in (e["data"] for e in log if e["type"] == "mail.queued"))
    assert itpc(config, "ledger", "verify").stdout.startswith("ok")

    # Nothing failed any more: a third requeue is refused and says how the request stands.
    line = refused(config, number, "2026-12-14T10:00")
    assert "nothing failed" in line and "consent VTP-2026-000001" in line and "2 sent" in line


def test_show_tells_the_requeue(tmp_path):
    pytest.importorskip("itpc.story")   # `itpc show` is built alongside; its contract is its own tests'
    pdf = form_pdf(FORM)
    config = make_config(tmp_path, mailbox={"max_attachment_bytes": len(pdf) // 2})
    deliver(tmp_path, "m1.eml", message(attachments=[("prasymas.pdf", "application/pdf", pdf)]))
    itpc(config, "poll", "--once", now=RECEIVED)
    [number] = requests_json(config)
    make_config(tmp_path, mailbox={"max_attachment_bytes": len(pdf) * 4})
    requeue(config, number, "Padidintas priedų dydžio limitas", now="2026-12-14T08:50")
    shown = itpc(config, "show", number).stdout
    assert "Padidintas priedų dydžio limitas" in shown and "VTP-2026-000001" in shown
    story = json.dumps(json.loads(itpc(config, "show", number, "--json").stdout), ensure_ascii=False)
    assert "Padidintas priedų dydžio limitas" in story and "LT123456789" in story


def test_requests_already_answered_unknown_or_decided_by_an_officer_are_not_requeued(tmp_path):
    config = make_config(tmp_path, mailbox={"max_pdf_pages": 1})
    # The form in the body: consented and answered.
    deliver(tmp_path, "m1.eml", message(body="Laba diena,\n\n" + "\n".join(FORM) + "\n"))
    # An encrypted PDF cannot be read at all: for an officer, who refuses it.
    deliver(tmp_path, "m2.eml", message(attachments=[("prasymas.pdf", "application/pdf",
                                                      form_pdf(FORM, user_password="slaptas"))]),
            message_id="<test.2@example.lt>")
    itpc(config, "poll", "--once", now=RECEIVED)
    by_id = {r["message_id"]: r for r in requests_json(config).values()}
    answered, locked = by_id["<test.1@example.lt>"], by_id["<test.2@example.lt>"]
    assert answered["decision"]["outcome"] == "consent"
    assert locked["kind"] == "not_a_request" and locked["decision"]["outcome"] == "review"
    itpc(config, "decide", locked["number"], "refuse", "--reason", "Prašymas pateiktas užšifruotas.", now="2026-12-14T09:00")
    letters = len(outbox(tmp_path))

    line = refused(config, answered["number"], "2026-12-14T09:10")
    assert "consent VTP-2026-000001" in line
    line = refused(config, locked["number"], "2026-12-14T09:10")
    assert "decided by an officer" in line and "refusal" in line and OFFICER in line
    assert "no request ITPC-2026-000099" in refused(config, "ITPC-2026-000099", "2026-12-14T09:10")
    assert len(outbox(tmp_path)) == letters
    assert itpc(config, "ledger", "verify").stdout.startswith("ok")


# ---------------------------------------------------------------- letters the mail server refused or deferred

def test_a_letter_refused_with_550_is_sent_exactly_once_after_the_server_accepts_it(tmp_path):
    recorder = SMTPRecorder(refuse_rcpt={C09_TRADER: "550 5.1.1 <tranzitas@rytai.lt>: mailbox unavailable"})
    with SMTPServer(recorder) as server:
        config = make_config(tmp_path, outbox={"url": server.url, "timeout": 5})
        shutil.copy(C09, tmp_path / "inbox" / "new" / C09.name)
        itpc(config, "poll", "--once", now="2026-12-02T08:50")
        [number] = requests_json(config)
        [notice] = requests_json(config)[number]["notices"]
        assert notice["purpose"] == "acknowledgement" and notice["status"] == "held"

        # Still refused: the release is recorded, tried at once, held again.
        again = requeue(config, number, "Gavėjo dėžutė turėtų veikti", now="2026-12-02T09:00")
        assert "released 1 letter: 1 held" in again.stdout
        assert recorder.rcpt_attempts[C09_TRADER] == 2 and recorder.to(C09_TRADER) == []

        recorder.refuse_rcpt.clear()   # the trader's mail server was repaired
        done = requeue(config, number, "Gavėjo pašto serveris vėl veikia", now="2026-12-02T09:10")
        assert "released 1 letter: 1 sent" in done.stdout and "in review" in done.stdout
        itpc(config, "poll", "--once", now="2026-12-02T09:20")
        [ack] = recorder.to(C09_TRADER)
        assert number in ack["Subject"]
        assert recorder.per_message_id()[ack["Message-ID"]] == 1

        line = refused(config, number, "2026-12-02T09:30")
        assert "nothing failed" in line and "in review" in line and "1 sent" in line

    [notice] = requests_json(config)[number]["notices"]
    assert notice["status"] == "sent"
    released = [e["data"] for e in entries(config) if e["type"] == "mail.requeued"]
    assert released == [{"id": notice["id"], "request": number, "reason": reason, "by": OFFICER}
                        for reason in ("Gavėjo dėžutė turėtų veikti", "Gavėjo pašto serveris vėl veikia")]
    assert itpc(config, "ledger", "verify").stdout.startswith("ok")


def test_a_held_acknowledgement_of_a_superseded_review_is_not_released_the_new_one_is_sent(tmp_path):
    """c09 (a continuity request in the body, sent to review) with an attachment past the cap: a problem. Its
    acknowledgement is refused by the trader's server and held. Once both are fixed the officer requeues: the
    message is read again and decided anew, and the trader gets one acknowledgement: the new decision's."""
    c09 = email.message_from_bytes(C09.read_bytes(), policy=email.policy.default)
    plan = form_pdf(["Priedas: sandėlio planas", "Informacinė sistema"])
    c09.add_attachment(plan, maintype="application", subtype="pdf", filename="planas.pdf")
    recorder = SMTPRecorder(refuse_rcpt={C09_TRADER: "550 5.1.1 <tranzitas@rytai.lt>: mailbox unavailable"})
    with SMTPServer(recorder) as server:
        config = make_config(tmp_path, outbox={"url": server.url, "timeout": 5},
                             mailbox={"max_attachment_bytes": len(plan) // 2})
        (tmp_path / "inbox" / "new" / "c09-planas.eml").write_bytes(c09.as_bytes())
        itpc(config, "poll", "--once", now="2026-12-02T08:50")
        [number] = requests_json(config)
        [old] = requests_json(config)[number]["notices"]
        assert old["purpose"] == "acknowledgement" and old["status"] == "held"

        recorder.refuse_rcpt.clear()
        make_config(tmp_path, outbox={"url": server.url, "timeout": 5},
                    mailbox={"max_attachment_bytes": len(plan) * 4})
        done = requeue(config, number, "Padidintas limitas, serveris veikia", now="2026-12-02T09:00")
        assert "message read again as continuity from body, no problems" in done.stdout
        assert "in review" in done.stdout and "1 letter: 1 sent" in done.stdout
        itpc(config, "poll", "--once", now="2026-12-02T09:10")
        [ack] = recorder.to(C09_TRADER)
        assert number in ack["Subject"]

    notices = {n["id"]: n["status"] for n in requests_json(config)[number]["notices"]}
    assert notices == {old["id"]: "held", f"{number}/1/acknowledgement": "sent"}
    assert not [e for e in entries(config) if e["type"] == "mail.requeued"]


def test_a_deferred_letter_released_is_tried_at_once_not_after_its_backoff(tmp_path):
    recorder = SMTPRecorder(defer_data=1)
    with SMTPServer(recorder) as server:
        config = make_config(tmp_path, outbox={"url": server.url, "timeout": 5, "retry_seconds": 3600})
        shutil.copy(C09, tmp_path / "inbox" / "new" / C09.name)
        itpc(config, "poll", "--once", now="2026-12-02T08:50")
        [number] = requests_json(config)
        assert requests_json(config)[number]["notices"][0]["status"] == "failed"
        itpc(config, "poll", "--once", now="2026-12-02T08:55")   # an hour's backoff: not tried yet
        assert recorder.data_attempts == 1

        done = requeue(config, number, "Serveris jau priima laiškus", now="2026-12-02T08:56")
        assert "released 1 letter: 1 sent" in done.stdout
        assert recorder.data_attempts == 2 and len(recorder.to(C09_TRADER)) == 1
        itpc(config, "poll", "--once", now="2026-12-02T10:00")
        assert len(recorder.to(C09_TRADER)) == 1


# ---------------------------------------------------------- the fold: a released letter counts for the cap

def _entry(seq: int, type_: str, data: dict) -> Entry:
    return Entry(seq=seq, ts="2026-12-14T08:00:00+00:00", type=type_, data=data, prev="", hash="")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from([MAIL_HELD, MAIL_REQUEUED])), max_size=30))
def test_the_daily_cap_counts_exactly_the_letters_not_held(steps):
    """However letters are held and released, the cap's counter is the number of queued letters not held,
    and a released letter is pending again."""
    state = State()
    for i in range(4):
        state.apply(_entry(i + 1, MAIL_QUEUED, {"id": f"L{i}", "request": None, "purpose": "answer",
                                                "to": [TRADER], "subject": "", "sha256": "0" * 64,
                                                "date": "2026-12-14T08:00:00+00:00", "automatic": True}))
    for seq, (i, type_) in enumerate(steps, start=10):
        data = {"id": f"L{i}", "reason": "cap"} if type_ == MAIL_HELD else {"id": f"L{i}", "request": None,
                                                                               "reason": "r", "by": OFFICER}
        state.apply(_entry(seq, type_, data))
    not_held = [item for item in state.outbox.values() if item.held is None]
    assert state.automatic_count(TRADER, datetime(2026, 12, 14, 8, tzinfo=timezone.utc)) == len(not_held)
    assert {item.id for item in state.pending_outbox()} == {item.id for item in not_held}


def test_a_form_read_only_in_part_goes_to_an_officer_and_can_be_requeued_once_read_whole(tmp_path):
    # Only the first of three pages is read (the page cap): the rest could change the answer (issue 12, item 10).
    config = make_config(tmp_path, mailbox={"max_pdf_pages": 1})
    deliver(tmp_path, "m1.eml", message(attachments=[("prasymas.pdf", "application/pdf", form_pdf(FORM, pages=3))]))
    itpc(config, "poll", "--once", now=RECEIVED)
    [request] = requests_json(config).values()
    assert request["decision"]["outcome"] == "review"
    config = make_config(tmp_path, mailbox={"max_pdf_pages": 5})
    itpc(config, "requeue", request["number"], "--reason", "Visi puslapiai",
         now="2026-12-14T08:50")
    [request] = requests_json(config).values()
    assert request["decision"]["outcome"] == "consent"
