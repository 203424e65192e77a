"""Conversations end to end over real SMTP (issue 13, items 1-4): a reply finds its case and puts it back in the
officer queue, never answered automatically; a new request naming an earlier case keeps its own number and is
linked to it; the duty address is told at once, once; officers answer in the case's thread (`itpc reply`),
take a case and close it, and a new message reopens it; `itpc show` tells the whole conversation in time order.
"""
from __future__ import annotations

import json
import shutil
import sys
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from ledger.clock import VILNIUS
from tests.helpers import (CORPUS, DUTY as COLLEAGUE, OFFICER, TEST_OFFICERS, as_officer, corpus_receipt, itpc,
                           make_config)
from tests.smtp_server import SMTPRecorder, SMTPServer

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")]

MAIL = CORPUS / "mail"
CONSENT = MAIL / "c26-thanks-1.eml"    # Dalia's request, 2027-01-04 08:10: a consent, ITPC-2027-000001
THANKS = MAIL / "c26-thanks-2.eml"     # "dėkojame, Sutikimą gavome" under our consent letter, 10:25
DALIA = "dalia@marijampolesauto.lt"
DUTY = "budetojas@lrmuitine.lt"
NUMBER = "ITPC-2027-000001"


def message_id(path: Path) -> str:
    for line in path.read_bytes().decode("utf-8", "replace").splitlines():
        if line.lower().startswith("message-id:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{path.name} has no Message-ID")


def deliver(tmp: Path, *messages: Path | EmailMessage) -> None:
    for message in messages:
        name = message.name if isinstance(message, Path) else f"{message['Message-ID'].strip('<>')}.eml"
        target = tmp / "inbox" / "new" / name
        if isinstance(message, Path):
            shutil.copy(message, target)
        else:
            target.write_bytes(message.as_bytes())


def follow_up(at: str, body: str, *, in_reply_to: str | None = None, subject: str = "Dar vienas klausimas",
              name: str = "follow-up") -> EmailMessage:
    """A message from Dalia received at ``at`` (Vilnius), through our mail server."""
    moment = datetime.fromisoformat(at).replace(tzinfo=VILNIUS).strftime("%a, %d %b %Y %H:%M:%S %z")
    message = EmailMessage()
    message["Received"] = f"from mail.marijampolesauto.lt by mail.lrmuitine.lt; {moment}"
    message["From"], message["To"] = f"Dalia Norkienė <{DALIA}>", "ITPC@lrmuitine.lt"
    message["Subject"], message["Date"], message["Message-ID"] = subject, moment, f"<{name}@marijampolesauto.lt>"
    if in_reply_to:
        message["In-Reply-To"] = message["References"] = in_reply_to
    message.set_content(body)
    return message


def requests(config: Path, *args: str) -> list[dict]:
    return [json.loads(line) for line in itpc(config, "requests", "--json", *args).stdout.splitlines()]


def case(config: Path, number: str = NUMBER) -> dict:
    return next(r for r in requests(config) if r["number"] == number)


def entries(config: Path, kind: str) -> list[dict]:
    out = itpc(config, "ledger", "export", "--json").stdout
    return [e["data"] for e in map(json.loads, out.splitlines()) if e["type"] == kind]


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


@pytest.fixture
def line(tmp_path):
    """The consent case and Dalia's thanks, polled against a real SMTP server (kept running for the test)."""
    recorder = SMTPRecorder()
    with SMTPServer(recorder) as server:
        config = make_config(tmp_path, outbox={"url": server.url, "timeout": 5}, itpc={"duty_address": DUTY})
        deliver(tmp_path, CONSENT)
        itpc(config, "poll", "--once", now="2027-01-04T08:11")
        deliver(tmp_path, THANKS)
        itpc(config, "poll", "--once", now="2027-01-04T10:26")
        yield tmp_path, config, recorder


# --- 1. a reply finds its case and puts it back in the queue; 4. the duty address is told once ------------------

def test_a_reply_puts_its_case_back_in_the_queue_and_the_duty_address_is_told_once(line):
    _, config, recorder = line
    listed = requests(config)
    assert [r["number"] for r in listed] == [NUMBER]          # no number of its own
    waiting = listed[0]
    assert waiting["decision"]["outcome"] == "consent" and waiting["queue"] is True
    assert waiting["waiting"] == {"reason": f"new message from {DALIA}", "since": "2027-01-04T10:25:31+02:00"}
    assert [r["number"] for r in requests(config, "--status", "reply")] == [NUMBER]
    assert [r["number"] for r in requests(config, "--status", "queue")] == [NUMBER]
    table = itpc(config, "requests").stdout
    assert "reply" in table and f"new message from {DALIA}" in table
    # never answered automatically: nothing went to Dalia in answer to her thanks
    assert not [m for m in recorder.to(DALIA) if message_id(THANKS) in (m["In-Reply-To"] or "")]
    [alert] = [m for m in recorder.to(DUTY) if "Naujas laiškas" in m["Subject"]]
    assert NUMBER in alert["Subject"]
    text = " ".join(body(alert).split())
    assert f"Byloje Nr. {NUMBER} gautas naujas laiškas" in text and "Rūšis: Prašymas taikyti veiklos" in text
    assert f"Siuntėjas: {DALIA}" in text and "Gauta: 2027-01-04 10:25" in text
    assert "Terminas: nenustatytas" in text and f"itpc reply {NUMBER}" in text
    # polled and ticked again: still one alert (its outbox id is recorded)
    itpc(config, "poll", "--once", now="2027-01-04T10:40")
    itpc(config, "tick", now="2027-01-04T10:41")
    assert len([m for m in recorder.to(DUTY) if "Naujas laiškas" in m["Subject"]]) == 1


def test_a_request_sent_to_review_alerts_the_duty_address_at_once_with_its_deadline(tmp_path):
    unclear = MAIL / "c09-unclear-reason.eml"
    received = corpus_receipt(unclear.read_bytes()).astimezone(VILNIUS)
    recorder = SMTPRecorder()
    with SMTPServer(recorder) as server:
        config = make_config(tmp_path, outbox={"url": server.url, "timeout": 5}, itpc={"duty_address": DUTY})
        deliver(tmp_path, unclear)
        poll_at = (received + timedelta(minutes=1)).replace(tzinfo=None).isoformat(timespec="minutes")
        itpc(config, "poll", "--once", now=poll_at)
        itpc(config, "poll", "--once", now=(received + timedelta(minutes=5)).replace(tzinfo=None).isoformat())
    [request] = requests(config)
    assert request["decision"]["outcome"] == "review"
    [alert] = recorder.to(DUTY)                                 # at once, not after 90 minutes; and once
    deadline = (received + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    assert request["number"] in alert["Subject"] and deadline in alert["Subject"]
    text = " ".join(body(alert).split())
    assert "negali būti išnagrinėtas automatiškai ir laukia ITPC pareigūno sprendimo" in text
    assert f"Terminas: {deadline} (Muitinės veiklos tęstinumo taisyklių 9 punktas)" in text
    assert "Sistemos pastaba:" in text and f"itpc decide {request['number']}" in text


def test_a_new_request_naming_an_earlier_case_keeps_its_number_and_both_name_each_other(tmp_path):
    config = make_config(tmp_path)
    deliver(tmp_path, CONSENT, MAIL / "c25-continue-1.eml")   # ITPC-2027-000001, then -000002 (VTP-2027-000002)
    itpc(config, "poll", "--once", now="2027-01-05T07:46")
    deliver(tmp_path, MAIL / "c25-continue-2.eml")   # "RE: Sutikimas Nr. VTP-2027-000002 ..." with a new Prašymas
    itpc(config, "poll", "--once", now="2027-01-05T17:21")
    other, first, second = requests(config)
    assert first["number"] == "ITPC-2027-000002" and other["links"] == []
    assert second["kind"] == "continuity" and second["number"] != first["number"]
    assert second["decision"]["outcome"] == "consent"           # decided on its own, 1B-1029:14
    assert first["links"] == [second["number"]] and second["links"] == [first["number"]]
    assert first["waiting"] is None                             # a request of its own, not a reply to the case
    # recorded with the new request's registration: no crash can register it and lose the link
    registered = {r["number"]: r for r in entries(config, "request.registered")}
    assert [link["number"] for link in registered[second["number"]]["links"]] == [first["number"]]
    assert "links" not in registered[first["number"]] and "links" not in registered[other["number"]]
    assert f"Linked:          {first['number']} (earlier case" in itpc(config, "show", second["number"]).stdout
    assert f"Linked:          {second['number']} (later request" in itpc(config, "show", first["number"]).stdout


# --- 3. officers answer, take and close; a new message reopens --------------------------------------------------

def test_a_dry_run_reply_prints_the_letter_and_records_and_sends_nothing(line, tmp_path):
    _, config, recorder = line
    ledger = tmp_path / "ledger" / "ledger.jsonl"
    before, sent = ledger.read_bytes(), len(recorder.deliveries)
    done = itpc(config, "reply", NUMBER, "--message", "Ačiū, kad pranešėte.", "--dry-run", env=as_officer(OFFICER),
                now="2027-01-04T10:35")
    assert done.stdout.startswith("Dry run: nothing was recorded and nothing was sent.")
    assert f"To: {DALIA}" in done.stdout and "Subject: Re: " in done.stdout and NUMBER in done.stdout
    name, position, _ = TEST_OFFICERS[OFFICER]
    assert "Ačiū, kad pranešėte." in done.stdout and f"{position}\n{name}" in done.stdout
    assert ledger.read_bytes() == before and len(recorder.deliveries) == sent
    assert not entries(config, "case.replied")


def test_only_an_officer_may_reply_take_or_close(line, tmp_path):
    _, config, recorder = line
    ledger = tmp_path / "ledger" / "ledger.jsonl"
    before = ledger.read_bytes()
    for args in (["reply", NUMBER, "--message", "Sveiki"], ["take", NUMBER], ["close", NUMBER, "--reason", "Ne"]):
        done = itpc(config, *args, env=as_officer("mallory"), check=False)
        assert done.returncode == 1 and done.stderr.startswith("itpc: mallory is not an ITPC officer"), args
    assert ledger.read_bytes() == before


def test_an_officers_reply_goes_in_the_thread_signed_and_recorded(line):
    _, config, recorder = line
    consent_letter = next(m for m in recorder.to(DALIA) if "VTP-2027-000001" in m["Subject"])
    taken = itpc(config, "take", NUMBER, env=as_officer(OFFICER), now="2027-01-04T10:30")
    assert taken.stdout.strip() == f"{NUMBER}: taken by {OFFICER}"
    assert case(config)["officer"] == OFFICER
    done = itpc(config, "reply", NUMBER.lower(), "--message",
                "Laba diena,\n\nAčiū, kad pranešėte. Sutikimas galioja iki 17:00.", env=as_officer(OFFICER),
                now="2027-01-04T10:35")
    assert done.returncode == 0 and done.stdout.count("\n") == 1 and done.stdout.rstrip().endswith(": sent")
    [answer] = [m for m in recorder.to(DALIA) if m["In-Reply-To"] and message_id(THANKS) in m["In-Reply-To"]]
    assert answer["Subject"] == ("Re: Sutikimas Nr. VTP-2027-000001 taikyti veiklos tęstinumo procedūrą – "
                                 f"Prašymas {NUMBER}")
    references = answer["References"].split()
    assert references[0] == message_id(CONSENT) and references[-1] == message_id(THANKS)
    assert consent_letter["Message-ID"].strip() in references
    assert answer["Auto-Submitted"] is None                    # a person's letter, not an automatic one
    text = body(answer)
    assert text.startswith("Laba diena,\n\nAčiū, kad pranešėte. Sutikimas galioja iki 17:00.\n")
    name, position, _ = TEST_OFFICERS[OFFICER]   # the officer who replied signs, position above name
    assert text.count("Laba diena") == 1 and f"Pagarbiai,\n{position}\n{name}\nMuitinės informacinių" in text
    [recorded] = entries(config, "case.replied")
    assert recorded["request"] == NUMBER and recorded["by"] == OFFICER and recorded["to"] == [DALIA]
    assert recorded["in_reply_to"] == message_id(THANKS) and recorded["subject"] == answer["Subject"]
    [queued] = [q for q in entries(config, "mail.queued") if q["id"] == recorded["mail"]]
    assert queued["automatic"] is False and queued["request"] == NUMBER
    after = case(config)
    assert after["waiting"] is None and after["queue"] is False and after["officer"] == OFFICER


def test_an_answer_to_our_reply_joins_the_case_by_its_message_id_and_a_closed_case_reopens(line):
    tmp, config, recorder = line
    itpc(config, "reply", NUMBER, "--message", "Ačiū.", env=as_officer(OFFICER), now="2027-01-04T10:35")
    ours = next(m for m in recorder.to(DALIA) if m["Subject"].startswith("Re:"))["Message-ID"].strip()
    closed = itpc(config, "close", NUMBER, "--reason", "Atsakyta.", env=as_officer(OFFICER),
                  now="2027-01-04T10:36")
    assert closed.stdout.strip() == f"{NUMBER}: closed by {OFFICER}"
    assert case(config)["closed"]["reason"] == "Atsakyta." and case(config)["queue"] is False
    assert [r["number"] for r in requests(config, "--status", "closed")] == [NUMBER]
    # Dalia answers our reply: no number in the subject, only our Message-ID says which case it is.
    deliver(tmp, follow_up("2027-01-04T11:02", "O kas, jei ryšys neatsiras iki 17:00?", in_reply_to=ours))
    itpc(config, "poll", "--once", now="2027-01-04T11:03")
    reopened = case(config)
    assert len(requests(config)) == 1 and reopened["closed"] is None and reopened["queue"] is True
    assert reopened["waiting"]["reason"] == f"new message from {DALIA}"
    assert len([m for m in recorder.to(DUTY) if "Naujas laiškas" in m["Subject"]]) == 2


def test_show_tells_the_whole_conversation_in_time_order(line):
    _, config, _ = line
    itpc(config, "note", NUMBER, "Paskambinta, viskas gerai.", env=as_officer(OFFICER), now="2027-01-04T10:30")
    itpc(config, "reply", NUMBER, "--message", "Ačiū, kad pranešėte.", env=as_officer(OFFICER),
         now="2027-01-04T10:35")
    itpc(config, "close", NUMBER, "--reason", "Atsakyta.", env=as_officer(OFFICER), now="2027-01-04T10:36")
    shown = itpc(config, "show", NUMBER).stdout
    conversation = shown.split("Conversation, in time order", 1)[1].splitlines()[1:]
    expected = [
        f"2027-01-04 08:10  ← {DALIA}: PRAŠYMAS TAIKYTI VEIKLOS TĘSTINUMO PROCEDŪRĄ",
        "decision: consent automatically",
        f"→ {DALIA}: Sutikimas Nr. VTP-2027-000001",
        f"2027-01-04 10:25  ← {DALIA}: RE: Sutikimas Nr. VTP-2027-000001",
        "| dėkojame, Sutikimą gavome.",
        f"→ {DUTY}: Naujas laiškas byloje {NUMBER}",
        f"2027-01-04 10:30  note by {OFFICER}: Paskambinta, viskas gerai.",
        f"2027-01-04 10:35  → {DALIA}: Re: Sutikimas Nr. VTP-2027-000001",
        f"[officer's reply by {OFFICER}; sent]",
        f"2027-01-04 10:36  closed by {OFFICER}: Atsakyta.",
    ]
    position = 0
    for words in expected:   # each in its place, in this order
        position = next((i for i, text in enumerate(conversation) if i >= position and words in text), None)
        assert position is not None, f"{words!r} not in order in:\n" + "\n".join(conversation)
    assert "Closed:" in shown and "Taken by" not in shown


def test_reply_text_from_the_editor_leaves_out_the_help_lines(line, tmp_path_factory, monkeypatch):
    _, config, recorder = line
    editor = tmp_path_factory.mktemp("editor") / "editor.py"
    editor.write_text("import sys\npath = sys.argv[1]\ntext = open(path, encoding='utf-8').read()\n"
                      "open(path, 'w', encoding='utf-8').write('Sutikimas galioja.\\n' + text)\n", encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    itpc(config, "reply", NUMBER, env=as_officer(OFFICER), now="2027-01-04T10:35")
    [answer] = [m for m in recorder.to(DALIA) if m["Subject"].startswith("Re:")]
    text = body(answer)
    assert "Laba diena,\n\nSutikimas galioja.\n\nAtsakydami" in text and "#" not in text


def test_reply_from_a_file(line):
    tmp, config, recorder = line
    letter = tmp / "atsakymas.txt"
    letter.write_text("Atsakymas iš failo: ąčęėįšųūž.\n", encoding="utf-8")
    itpc(config, "reply", NUMBER, "--file", str(letter), env=as_officer(OFFICER), now="2027-01-04T10:35")
    [answer] = [m for m in recorder.to(DALIA) if m["Subject"].startswith("Re:")]
    assert "Atsakymas iš failo: ąčęėįšųūž." in body(answer)


# --- one-line errors -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, error", [
    (("reply", "ITPC-2099-000001", "--message", "x"), "itpc: no request ITPC-2099-000001"),
    (("take", "ITPC-2099-000001"), "itpc: no request ITPC-2099-000001"),
    (("close", "ITPC-2099-000001", "--reason", "x"), "itpc: no request ITPC-2099-000001"),
    (("reply", NUMBER, "--message", "  \n "), "itpc: the reply is empty; nothing was sent"),
    (("reply", NUMBER, "--message", "x", "--file", "-"), "itpc: give the text once: --message or --file"),
    (("close", NUMBER, "--reason", "  "), "itpc: close needs --reason"),
])
def test_casework_errors_are_one_line_and_change_nothing(line, args, error):
    _, config, _ = line
    before = itpc(config, "ledger", "export", "--json").stdout
    result = itpc(config, *args, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(error) and result.stderr.count("\n") == 1
    assert itpc(config, "ledger", "export", "--json").stdout == before


def test_a_request_still_undecided_is_not_closed_and_a_closed_case_not_closed_twice(tmp_path):
    config = make_config(tmp_path, itpc={"duty_address": DUTY})
    deliver(tmp_path, MAIL / "c09-unclear-reason.eml")
    itpc(config, "poll", "--once", now="2026-12-01T12:00")
    [request] = requests(config)
    refused = itpc(config, "close", request["number"], "--reason", "Nereikia", check=False)
    assert refused.returncode == 1 and "not decided yet (review); decide it first" in refused.stderr
    assert not entries(config, "case.closed")
    itpc(config, "decide", request["number"], "refuse", "--reason", "Priežastis nėra objektyvi.",
         env=as_officer(COLLEAGUE))
    itpc(config, "close", request["number"], "--reason", "Išspręsta", env=as_officer(COLLEAGUE))
    again = itpc(config, "close", request["number"], "--reason", "Dar kartą", check=False)
    assert again.returncode == 1 and again.stderr == (f"itpc: {request['number']} is already closed "
                                                      f"(by {COLLEAGUE}: Išspręsta)\n")
    taking = itpc(config, "take", request["number"], check=False)
    assert taking.returncode == 1 and "is closed" in taking.stderr


def test_taking_a_case_someone_has_is_recorded_as_taken_over(line):
    _, config, _ = line
    itpc(config, "take", NUMBER, env=as_officer(OFFICER))
    again = itpc(config, "take", NUMBER, env=as_officer(OFFICER))
    assert again.stdout.strip() == f"{NUMBER}: already taken by {OFFICER}"
    over = itpc(config, "take", NUMBER, env=as_officer(COLLEAGUE))
    assert over.stdout.strip() == f"{NUMBER}: taken by {COLLEAGUE} (over from {OFFICER})"
    assert [(t["by"], t["previous"]) for t in entries(config, "case.taken")] == [(OFFICER, None),
                                                                                 (COLLEAGUE, OFFICER)]
    assert case(config)["officer"] == COLLEAGUE
