"""`itpc show NUMBER`: the whole story of one request, checked as an officer reads it.

End to end: corpus mail polled at the moments a live mailbox would have seen it (``--now``), ticks and notes
at later moments, then `itpc show` read back as text and as JSON. Then ``story_json`` on hand-made entries
for the deadline boundaries (done exactly at the deadline is met; a second later is missed), and
``rule_words`` checked against the legal texts themselves.
"""
from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings, strategies as st

from ingest.offices import Office, OfficeDirectory
from itpc.rule_words import RULE_WORDS, citation
from itpc.story import NOT_KEPT, story_json, story_lines
from ledger import request_records as rr
from ledger.archive import RawArchive
from ledger.clock import UTC, VILNIUS
from ledger.store import Entry
from tests.helpers import CORPUS, ME, ROOT, SHARED, itpc, make_config

MAIL = CORPUS / "mail"
RULES = SHARED / "rules"
LAW_FILES = {"1B-1029": RULES / "1B-1029-veiklos-testinumo-taisykles.txt",
             "1B-280": RULES / "1B-280-afis-cis-taisykles.txt",
             "1B-1052": RULES / "1B-1052-etd-leidimu-taisykles.txt"}
NOTE = "Paskambinta įmonei: serveris jau sutaisytas, Sutikimo pabaiga patvirtinta."
OFFICER = ME  # the login the tests run as: an officer in the test directory (tests.helpers)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def deliver(tmp: Path, name: str) -> None:
    shutil.copy(MAIL / name, tmp / "inbox" / "new" / name)


def show(config: Path, number: str, *args: str, now: str | None = None) -> str:
    return ANSI.sub("", itpc(config, "show", number, *args, now=now).stdout)


def show_json(config: Path, number: str, now: str | None = None) -> dict:
    return json.loads(itpc(config, "show", number, "--json", now=now).stdout)


def requests_json(config: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in itpc(config, "requests", "--json").stdout.splitlines() if line.strip()]
    return {row["message_id"]: row for row in rows}


def message_id(name: str) -> str:
    return email.message_from_bytes((MAIL / name).read_bytes(), policy=email.policy.default)["Message-ID"].strip()


def flat(text: str) -> str:
    return " ".join(text.split())


def law_paragraph(point: str) -> str:
    """The text of a point (with its sub-points) as the legal file has it, whitespace normalised."""
    order, number = point.split(":")
    text = LAW_FILES[order].read_text(encoding="utf-8")
    text = text[text.index("PATVIRTINTA"):]  # the rules, not the order approving them
    top = int(number.split(".")[0])
    start = re.search(rf"(?m)^\s*{top}\.\s", text)
    end = re.search(rf"(?m)^\s*{top + 1}\.\s", text[start.end():])
    return flat(text[start.start(): start.end() + (end.start() if end else len(text))])


# --- a ledger built as a live mailbox would have built it ----------------------------------------------------

DUPLICATE_RECEIVED = "Received: from relay2.example.net by mx.lrmuitine.lt; Mon, 23 Nov 2026 08:52:00 +0200\r\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """c01 (consent, one office) polled 4 min after receipt, delivered again by a second relay at 08:52 and
    ended early by c14 at 13:10; c05 (consent) left to expire; c08 (not objective → refusal, 1B-1029:12)
    and c12 (AFIS request with a PDF) polled 5 min after theirs; c09 (unclear → review) polled and then left
    past its 2 hours until a tick at 11:00."""
    tmp = tmp_path_factory.mktemp("show")
    config = make_config(tmp)
    deliver(tmp, "c01-labels-plain.eml")
    itpc(config, "poll", "--once", now="2026-11-23T08:45")
    again = DUPLICATE_RECEIVED.encode() + (MAIL / "c01-labels-plain.eml").read_bytes()
    delivered = int(datetime(2026, 11, 23, 8, 52, tzinfo=VILNIUS).timestamp())  # as the delivery agent names it
    (tmp / "inbox" / "new" / f"{delivered}.M2P1.c01-again").write_bytes(again)
    itpc(config, "poll", "--once", now="2026-11-23T08:55")
    deliver(tmp, "c14-early-recovery.eml")
    itpc(config, "poll", "--once", now="2026-11-23T13:12")
    deliver(tmp, "c05-docx.eml")
    itpc(config, "poll", "--once", now="2026-11-27T09:45")
    deliver(tmp, "c12-afis-complete.eml")
    itpc(config, "poll", "--once", now="2026-11-30T10:05")
    deliver(tmp, "c08-not-objective.eml")
    itpc(config, "poll", "--once", now="2026-12-01T07:35")
    deliver(tmp, "c09-unclear-reason.eml")
    itpc(config, "poll", "--once", now="2026-12-02T08:50")
    itpc(config, "tick", now="2026-12-02T11:00")
    numbers = {name: requests_json(config)[message_id(name)]["number"]
               for name in ("c01-labels-plain.eml", "c05-docx.eml", "c08-not-objective.eml",
                            "c09-unclear-reason.eml", "c12-afis-complete.eml", "c14-early-recovery.eml")}
    return tmp, config, numbers


def test_consent_story_with_office_notice_in_time(corpus):
    tmp, config, numbers = corpus
    number = numbers["c01-labels-plain.eml"]
    text = show(config, number)
    assert text.splitlines()[0].split() == [number, "continuity", "consent"]
    # The message: who, what, when, and where its bytes are.
    assert "Rasa Petrauskienė <rasa.petrauskiene@bkl.lt>" in text
    assert "Prašymas taikyti veiklos tęstinumo procedūrą" in text
    assert message_id("c01-labels-plain.eml") in text
    assert re.search(r"Received:\s+2026-11-23 08:41", text)
    story = show_json(config, number)
    raw = Path(story["message"]["path"])
    assert raw.read_bytes() == (MAIL / "c01-labels-plain.eml").read_bytes() and str(raw) in text
    assert story["message"]["acknowledged_at"].startswith("2026-11-23T08:45")
    # What was read, with readable names and offices by name.
    assert re.search(r"Applicant:\s+UAB „Baltijos krovinių linija“", text)
    assert re.search(r"Customs offices:\s+LTVR1000 Vilniaus krovinių postas", text)
    # The letters: the answer and the office notice, each sent with the server's answer and kept as sent.
    purposes = {letter["purpose"]: letter for letter in story["letters"]}
    assert set(purposes) == {"answer", "office_notice"}
    notice = purposes["office_notice"]
    assert notice["to"] == ["vilniaus.kroviniu.postas@lrmuitine.lt"] and notice["status"] == "sent"
    sent = email.message_from_bytes(Path(notice["path"]).read_bytes(), policy=email.policy.default)
    assert sent["Subject"] == notice["subject"] and "VTP-2026-000001" in sent["Subject"]
    assert notice["answer"] and notice["answer"] in flat(text)
    # Deadlines: decided within 2 h (1B-1029:9), the office told within 30 min of the consent (11).
    assert story["deadlines"]["decision"]["state"] == "met"
    [office] = story["deadlines"]["office_notices"]
    assert (office["office"], office["state"], office["consent_no"]) == ("LTVR1000", "met", "VTP-2026-000001")
    assert re.search(r"Decision within 2 h \(1B-1029:9\): due 2026-11-23 10:41, "
                     r"decided 2026-11-23 08:4\d — met", text)
    assert re.search(r"Notice to LTVR1000 Vilniaus krovinių postas \(1B-1029:11, VTP-2026-000001\): "
                     r"due 2026-11-23 09:1\d, sent 2026-11-23 08:4\d — met", text)


def test_second_delivery_is_listed_with_its_own_bytes(corpus):
    tmp, config, numbers = corpus
    story = show_json(config, numbers["c01-labels-plain.eml"])
    [duplicate] = story["message"]["duplicates"]
    assert duplicate["received_at"] == "2026-11-23T08:52:00+02:00"
    assert Path(duplicate["path"]).read_bytes().startswith(DUPLICATE_RECEIVED.encode())
    text = show(config, numbers["c01-labels-plain.eml"])
    assert re.search(r"Duplicate:\s+delivered again 2026-11-23 08:52", text) and duplicate["path"] in text


def test_consent_number_finds_its_request_ended_early_by_another(corpus):
    tmp, config, numbers = corpus
    by_consent = show_json(config, "vtp-2026-000001")
    assert by_consent["number"] == numbers["c01-labels-plain.eml"]
    consent = by_consent["consent"]
    assert consent["consent_no"] == "VTP-2026-000001" and consent["state"] == "ended early"
    assert consent["period_to"] == "2026-11-23T18:00:00+02:00"
    assert consent["ended_early"]["by"] == numbers["c14-early-recovery.eml"]
    assert consent["ended_early"]["at"] == "2026-11-23T13:00:00+02:00"
    # The early-recovery request's decision is in this story (it ended the consent) but is not its own.
    assert [d["outcome"] for d in by_consent["decisions"]] == ["consent"]
    text = show(config, "VTP-2026-000001")
    assert re.search(rf"State:\s+ended early at 2026-11-23 13:00 by {numbers['c14-early-recovery.eml']}", text)
    # The early-recovery request tells the consent's offices, and its story shows that notice.
    ending = show_json(config, numbers["c14-early-recovery.eml"])
    assert [(letter["purpose"], letter["status"]) for letter in ending["letters"]] == [
        ("answer", "sent"), ("early_end_notice", "sent")]
    assert ending["decisions"][0]["rules"][0]["text"].startswith("Jeigu asmuo vėl gali vykdyti")


def test_expired_consent_shows_when_it_ended(corpus):
    tmp, config, numbers = corpus
    story = show_json(config, numbers["c05-docx.eml"])
    consent = story["consent"]
    assert consent["state"] == "expired" and consent["ended_early"] is None
    assert consent["expired"]["at"] == consent["period_to"]
    assert consent["expired"]["recorded_at"].startswith("2026-12-02T11:00")   # the tick that saw it
    assert re.search(rf"State:\s+expired {consent['period_to'][:10]} {consent['period_to'][11:16]}",
                     show(config, numbers["c05-docx.eml"]))


def test_request_left_in_review_past_two_hours_is_shown_missed(corpus):
    tmp, config, numbers = corpus
    number = numbers["c09-unclear-reason.eml"]
    story = show_json(config, number)
    decision = story["deadlines"]["decision"]
    assert story["outcome"] == "review"
    assert decision["due"] == "2026-12-02T10:45:00+02:00" and decision["decided_at"] is None
    assert decision["state"] == "missed" and decision["breach_recorded"]
    text = show(config, number)
    assert re.search(r"Decision within 2 h \(1B-1029:9\): due 2026-12-02 10:45, not decided yet; "
                     r"breach recorded by the scheduler — missed", text)
    assert "deadline alert to the duty officer" in text   # the tick's alert is one of its letters


def test_refusal_cites_point_12_in_the_laws_words(corpus):
    tmp, config, numbers = corpus
    number = numbers["c08-not-objective.eml"]
    story = show_json(config, number)
    [decision] = story["decisions"]
    assert decision["outcome"] == "refusal"
    [rule] = decision["rules"]
    assert rule["point"] == "1B-1029:12" and rule["law"] == "Muitinės veiklos tęstinumo taisyklės"
    text = flat(show(config, number))
    # The whole of point 12 as the legal text states it, not a paraphrase.
    assert law_paragraph("1B-1029:12").split(" ", 1)[1] in text
    assert "Motives: – Prašyme nurodytos priežastys" in text
    assert story["deadlines"]["decision"]["state"] == "met"


def test_attachment_is_kept_with_the_bytes_of_its_mime_part(corpus):
    tmp, config, numbers = corpus
    number = numbers["c12-afis-complete.eml"]
    story = show_json(config, number)
    message = email.message_from_bytes((MAIL / "c12-afis-complete.eml").read_bytes(), policy=email.policy.default)
    parts = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert parts and [a["filename"] for a in story["message"]["attachments"]] == list(parts)
    for attachment in story["message"]["attachments"]:
        path = Path(attachment["path"])
        assert attachment["kept"] and path.read_bytes() == parts[attachment["filename"]]
        assert str(path) in show(config, number)
    assert story["parsed"]["source"] == "pdf"
    assert {f["name"]: f["shown"] for f in story["parsed"]["fields"]}["institution"] == "Vilniaus teritorinė muitinė"


def test_attachment_of_an_older_ledger_is_inside_the_raw_message(corpus, tmp_path):
    tmp, config, numbers = corpus
    # An older ledger kept only the raw message: the same ledger, archive without the attachments folder.
    old = tmp_path / "old"
    shutil.copytree(tmp / "ledger", old / "ledger", ignore=shutil.ignore_patterns("attachments"))
    old_config = make_config(old)
    text = show(old_config, numbers["c12-afis-complete.eml"])
    assert "AFIS_prasymas.pdf" in text and NOT_KEPT in text


def test_note_appears_in_the_story(corpus):
    tmp, config, numbers = corpus
    number = numbers["c09-unclear-reason.eml"]
    itpc(config, "note", number, NOTE, now="2026-12-02T11:20")
    story = show_json(config, number)
    assert story["notes"][-1]["by"] == OFFICER and story["notes"][-1]["text"] == NOTE
    assert story["notes"][-1]["at"].startswith("2026-12-02T11:20")
    text = show(config, number)
    assert f"2026-12-02 11:20  {OFFICER}:" in text and NOTE in flat(text)


def test_unknown_number_fails_with_one_line(corpus):
    tmp, config, numbers = corpus
    proc = itpc(config, "show", "ITPC-2026-999999", check=False)
    assert proc.returncode != 0 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "ITPC-2026-999999" in proc.stderr


def test_json_keys_are_stable(corpus):
    tmp, config, numbers = corpus
    story = show_json(config, numbers["c01-labels-plain.eml"])
    assert set(story) == {"number", "kind", "outcome", "message", "parsed", "decisions", "requeues", "letters",
                          "deadlines", "notes", "correspondence", "consent", "case", "conversation"}
    assert {"sender", "subject", "message_id", "received_at", "origin", "path", "kept", "attachments",
            "duplicates", "acknowledged_at"} <= set(story["message"])
    assert set(story["message"]["sender"]) == {"name", "address"}
    assert {"kind", "source", "fields", "missing", "problems"} <= set(story["parsed"])
    assert set(story["deadlines"]) == {"decision", "office_notices", "afis_change", "correction"}
    assert {"outcome", "decided_by", "decided_at", "period_from", "period_to", "consent_no", "rules", "motives",
            "note"} <= set(story["decisions"][0])
    assert {"id", "purpose", "to", "subject", "queued_at", "failures", "held", "sent_at", "answer", "path",
            "status"} <= set(story["letters"][0])


# --- story_json on hand-made entries: the boundaries ----------------------------------------------------------

RECEIVED = datetime(2026, 12, 2, 8, 0, tzinfo=VILNIUS)
SHA = "ab" * 32
NUMBER = "ITPC-2026-000001"
OFFICES = OfficeDirectory([Office("LTVR1000", "Vilniaus krovinių postas", "vilniaus.kroviniu.postas@lrmuitine.lt")])


class Ledger:
    """Entries written by hand, each at a given moment; hashes are not checked by the story."""

    def __init__(self):
        self.entries: list[Entry] = []

    def add(self, type_: str, at: datetime, data: dict) -> None:
        self.entries.append(Entry(len(self.entries) + 1, at.astimezone(UTC).isoformat(), type_, data, "", ""))

    def record(self) -> dict:
        """The request view's record, folded with the view's own functions."""
        record = None
        steps = {"decision.made": rr.with_decision, "deadline.breached": rr.with_breach,
                 "officer.note": rr.with_note, "mail.queued": rr.with_queued, "mail.sent": rr.with_sent}
        for entry in self.entries:
            if entry.type == "request.registered":
                record = rr.new_record(entry.data, entry.ts)
            elif entry.type == "mail.sent" or (entry.type in steps and entry.data.get("request") == NUMBER):
                record = steps[entry.type](record, entry.data, entry.ts)
        return record


def continuity(ledger: Ledger) -> None:
    ledger.add("mail.received", RECEIVED, {"sha256": SHA, "message_id": "<m@x>", "size": 10,
                                           "received_at": RECEIVED.isoformat(), "origin": {}, "ref": "r"})
    ledger.add("request.registered", RECEIVED, {
        "number": NUMBER, "mail_sha256": SHA, "message_id": "<m@x>",
        "received_at": RECEIVED.astimezone(UTC).isoformat(),
        "kind": "continuity", "source": "body", "missing": [], "problems": [], "sender": "a@b.lt", "sender_name": "",
        "subject": "Prašymas", "attachments": [],
        "fields": {"applicant": "UAB „Testas“", "eori": "LT123456789", "customs_offices": ["LTVR1000"]}})


def consent_at(ledger: Ledger, at: datetime, *, rules: tuple[str, ...] = ()) -> None:
    ledger.add("decision.made", at, {"request": NUMBER, "outcome": "consent", "rules": list(rules),
                                     "period_from": RECEIVED.isoformat(),
                                     "period_to": (RECEIVED + timedelta(hours=8)).isoformat(),
                                     "motives": [], "note": "", "deadline": None, "consent_no": "VTP-2026-000001",
                                     "decided_by": "Officer", "decided_at": at.astimezone(UTC).isoformat()})


def notice_sent_at(ledger: Ledger, queued: datetime, sent: datetime | None) -> None:
    mail_id = f"{NUMBER}/0/notice/LTVR1000"
    ledger.add("mail.queued", queued, {"id": mail_id, "request": NUMBER, "purpose": "office_notice",
                                       "to": ["vilniaus.kroviniu.postas@lrmuitine.lt"],
                                       "subject": "Išduotas Sutikimas",
                                       "sha256": "cd" * 32})
    if sent is not None:
        ledger.add("mail.sent", sent, {"id": mail_id, "answer": "250 ok", "at": sent.astimezone(UTC).isoformat()})


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> RawArchive:
    """An archive that holds nothing: hand-made entries name bytes that were never stored."""
    return RawArchive(tmp_path_factory.mktemp("archive"))


def story_of(ledger: Ledger, now: datetime, archive: RawArchive, notice_minutes: float = 30) -> dict:
    return story_json(ledger.record(), ledger.entries, archive=archive, offices=OFFICES,
                      decision_deadline=timedelta(hours=2), notice_minutes=notice_minutes, now=now)


@settings(max_examples=60, deadline=None)
@given(offset=st.integers(min_value=-7200, max_value=7200))
@example(offset=0)
@example(offset=1)
def test_decision_deadline_is_met_up_to_and_at_its_last_second(archive, offset):
    ledger = Ledger()
    continuity(ledger)
    decided = RECEIVED + timedelta(hours=2, seconds=offset)
    consent_at(ledger, decided)
    story = story_of(ledger, decided + timedelta(days=1), archive)
    assert story["deadlines"]["decision"]["state"] == ("met" if offset <= 0 else "missed")


def test_undecided_request_is_pending_at_its_deadline_and_missed_a_second_later(archive):
    ledger = Ledger()
    continuity(ledger)
    deadline = RECEIVED + timedelta(hours=2)
    assert story_of(ledger, deadline, archive)["deadlines"]["decision"]["state"] == "pending"
    assert story_of(ledger, deadline + timedelta(seconds=1), archive)["deadlines"]["decision"]["state"] == "missed"


@settings(max_examples=60, deadline=None)
@given(offset=st.integers(min_value=-1800, max_value=1800))
@example(offset=0)
@example(offset=1)
def test_office_notice_is_met_when_sent_within_the_minutes_after_the_consent(archive, offset):
    ledger = Ledger()
    continuity(ledger)
    decided = RECEIVED + timedelta(minutes=20)
    consent_at(ledger, decided)
    sent = decided + timedelta(minutes=30, seconds=offset)
    notice_sent_at(ledger, decided, sent)
    [notice] = story_of(ledger, sent + timedelta(days=1), archive)["deadlines"]["office_notices"]
    assert notice["state"] == ("met" if offset <= 0 else "missed")
    assert notice["office_name"] == "Vilniaus krovinių postas"


def test_unsent_office_notice_is_pending_until_its_deadline(archive):
    ledger = Ledger()
    continuity(ledger)
    decided = RECEIVED + timedelta(minutes=20)
    consent_at(ledger, decided)
    notice_sent_at(ledger, decided, None)
    due = decided + timedelta(minutes=30)
    assert [n["state"] for n in story_of(ledger, due, archive)["deadlines"]["office_notices"]] == ["pending"]
    late = story_of(ledger, due + timedelta(seconds=1), archive)
    assert [n["state"] for n in late["deadlines"]["office_notices"]] == ["missed"]
    assert late["letters"][0]["status"] == "queued"
    # The configured minutes are the ones applied.
    assert story_of(ledger, due + timedelta(seconds=1), archive, notice_minutes=31)["deadlines"][
        "office_notices"][0]["state"] == "pending"


def test_an_unknown_point_is_shown_as_its_number(archive):
    ledger = Ledger()
    continuity(ledger)
    consent_at(ledger, RECEIVED + timedelta(minutes=5), rules=("1B-9999:1", "1B-1029:14"))
    story = story_of(ledger, RECEIVED + timedelta(hours=3), archive)
    unknown, known = story["decisions"][0]["rules"]
    assert unknown == {"point": "1B-9999:1", "law": None, "paragraph": "1", "text": None}
    assert known["text"] == RULE_WORDS["1B-1029:14"]
    lines = [ANSI.sub("", line) for line in story_lines(story)]
    at = lines.index("       1B-9999:1")
    assert lines[at + 1].strip().startswith("1B-1029:14 (Muitinės veiklos tęstinumo taisyklės, 14 p.)")


def test_story_lines_survive_a_bare_record(archive):
    """A request registered from a message that could not be read: no fields, no decision, no letters."""
    ledger = Ledger()
    ledger.add("request.registered", RECEIVED, {
        "number": NUMBER, "mail_sha256": "", "received_at": RECEIVED.isoformat(), "kind": "not_a_request",
        "problems": ["could not be read: ValueError: bad PDF"]})
    story = story_of(ledger, RECEIVED, archive)
    text = "\n".join(story_lines(story))
    assert "could not be read: ValueError: bad PDF" in text and "none yet" in text
    assert story["deadlines"]["decision"] is None and story["consent"] is None


# --- the rules in words --------------------------------------------------------------------------------------

def cited_points() -> set[str]:
    """Every point the code and the shipped configuration cite."""
    points = set()
    for folder in ("responders", "ingest", "ledger", "config"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".toml", ".txt") and path.name not in ("rule_words.py", "story.py"):
                points |= set(re.findall(r"1B-\d+:\d+(?:\.\d+)?", path.read_text(encoding="utf-8", errors="ignore")))
    return points


def test_every_point_the_code_cites_has_its_words():
    points = cited_points()
    assert {"1B-1029:12", "1B-1029:14", "1B-280:7.3", "1B-280:9"} <= points   # the scan finds citations
    assert sorted(points - set(RULE_WORDS)) == []


@pytest.mark.parametrize("point", sorted(RULE_WORDS))
def test_words_are_the_laws_own_in_order(point):
    paragraph = law_paragraph(point)
    position = 0
    for fragment in RULE_WORDS[point].split("…"):
        fragment = flat(fragment).strip(" .,;:")
        if not fragment:
            continue
        found = paragraph.find(fragment, position)
        assert found >= 0, f"{point}: {fragment!r} is not in the law's point (after what precedes it)"
        position = found + len(fragment)


def test_citation_normalises_how_points_are_written():
    assert citation(" 1B-1029:12. ")["text"] == RULE_WORDS["1B-1029:12"]
    assert citation("1B-280:7.6")["law"] == "AFIS/CIS+ taisyklės"
