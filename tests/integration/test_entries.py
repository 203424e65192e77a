"""The ledger's vocabulary (``ledger.entries``) is the only place an entry type is spelled out, names a payload
type for each, and describes what a real run writes: every entry of it has a known type and the keys its
payload type says it always has, and no key the payload type does not name."""
from __future__ import annotations

import ast
import json
import typing
from pathlib import Path

import pytest

from ledger import entries
from ledger.store import LEDGER_FILE
from tests.helpers import CORPUS, ROOT, SHARED, corpus_receipt, free_port, itpc, make_config

PACKAGES = ("itpc", "ingest", "responders", "ledger", "config")
VOCABULARY = ROOT / "ledger" / "entries.py"


# --- one place names the types ----------------------------------------------------------------------------

def literal_entry_types(path: Path) -> list[str]:
    """``file:line: "type"`` for every string constant in ``path`` that is an entry type."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    known = set(entries.ALL)
    return [f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in known]


def test_no_module_spells_out_an_entry_type():
    sources = sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py") if p != VOCABULARY)
    assert len(sources) > 50  # the walk found the project, not an empty folder
    found = [hit for path in sources for hit in literal_entry_types(path)]
    assert not found, "entry types spelled out instead of imported from ledger.entries:\n" + "\n".join(found)


def test_the_walk_finds_a_literal_type():
    assert literal_entry_types(VOCABULARY)  # the vocabulary itself spells them, so the walk does see them


def test_every_type_is_named_once_and_has_a_payload_type():
    assert len(entries.ALL) == len(set(entries.ALL))
    assert set(entries.PAYLOADS) == set(entries.ALL)
    for type_, payload in entries.PAYLOADS.items():
        assert typing.is_typeddict(payload), f"{type_}: {payload!r} is not a TypedDict"
        assert typing.get_type_hints(payload), f"{type_}: {payload.__name__} names no keys"


def test_every_type_constant_is_in_all():
    constants = {name: value for name, value in vars(entries).items()
                 if name.isupper() and isinstance(value, str)}
    assert set(constants.values()) == set(entries.ALL), "a type constant is missing from entries.ALL"


def test_a_type_once_written_keeps_its_name():
    """Ledgers already written hold these names, and folds must still recognise them: a type may be added,
    never renamed or removed (spelled out here on purpose, as the files on disk spell them)."""
    on_disk = {"mail.received", "mail.duplicate", "mail.acknowledged", "request.registered", "request.requeued",
               "request.reparsed", "decision.made", "deadline.breached", "consent.expired", "officer.note",
               "mail.queued", "mail.sent", "mail.failed", "mail.held", "mail.requeued", "outage.declared",
               "outage.ended", "afis.login", "afis.inactive", "ledger.recovered"}
    assert on_disk <= set(entries.ALL), f"no longer in the vocabulary: {sorted(on_disk - set(entries.ALL))}"


def test_optional_keys_are_optional():
    # Breaks if the module ever gets string annotations, with which Python 3.11 loses NotRequired.
    assert entries.OutageDeclared.__optional_keys__ == {"forced", "by"}
    assert entries.AfisInactive.__optional_keys__ == {"reason"}
    assert "number" in entries.RequestRegistered.__required_keys__
    assert "request" in entries.RequestReparsed.__required_keys__


# --- what a real run writes -------------------------------------------------------------------------------

def ledger_entries(tmp: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp / "ledger" / LEDGER_FILE).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def run_ledger(tmp_path_factory) -> list[dict]:
    """The corpus polled and ticked, then what officers and the store add: a note, casework (take, reply, close),
    outages, an AFIS export
    (one e-mail held by the daily cap), a letter to an address no letter can go to, an unreadable message requeued while the mail server is down and again
    once it is up, and a torn last line recovered; and an ETD file (1B-1052) opened, consulted, answered and granted."""
    tmp = tmp_path_factory.mktemp("entries")
    offices = {"directory": str(SHARED / "data" / "customs_offices.csv")}
    # Attachments over 1000 bytes are skipped: those messages are registered with problems, to be requeued.
    small = {"max_attachment_bytes": 1000}
    config = make_config(tmp, offices=offices, mailbox=small)
    mails = sorted((CORPUS / "mail").glob("*.eml"))
    for i, mail in enumerate(mails):
        raw = mail.read_bytes()
        (tmp / "inbox" / "new" / f"{int(corpus_receipt(raw).timestamp())}.{i:05d}_{mail.stem}").write_bytes(raw)
    first = mails[0].read_bytes()  # delivered again with another header: same Message-ID, other bytes
    (tmp / "inbox" / "new" / f"{int(corpus_receipt(first).timestamp())}.99999_copy").write_bytes(b"X-Copy: 1\r\n" + first)
    # A reply address no letter can go to: its answer is recorded as unwritten.
    odd = (CORPUS / "mail" / "c16-ascii.eml").read_bytes().replace(b"vezejai@mvezejai.lt", b"rasa..x@bkl.lt")
    odd = odd.replace(b"Message-ID: <", b"Message-ID: <unwritten.", 1)
    (tmp / "inbox" / "new" / f"{int(corpus_receipt(odd).timestamp())}.99998_unwritten").write_bytes(odd)
    itpc(config, "poll", "--once")
    itpc(config, "tick", now="2026-12-30T10:00")

    written = ledger_entries(tmp)
    number = next(e["data"]["number"] for e in written if e["type"] == entries.REQUEST_REGISTERED)
    unread = next(e["data"]["number"] for e in written
                  if e["type"] == entries.REQUEST_REGISTERED and e["data"]["problems"])
    itpc(config, "note", number, "Paskambinta įmonei.")
    # casework on the case a reply joined: taken, answered in its thread, closed
    joined = next(e["data"]["request"] for e in written if e["type"] == entries.CORRESPONDENCE_ATTACHED)
    itpc(config, "take", joined)
    itpc(config, "reply", joined, "--message", "Ačiū, gavome.")
    itpc(config, "close", joined, "--reason", "Atsakyta")
    itpc(config, "outage", "plan", "MDAS", "--from", "2027-01-10T20:00", "--to", "2027-01-11T02:00",
         now="2027-01-05T10:00")
    itpc(config, "outage", "extend", "MDAS", "--to", "2027-01-11T04:00", now="2027-01-06T10:00")
    itpc(config, "outage", "plan", "NTKS", "--from", "2027-03-01T20:00", "--to", "2027-03-01T22:00",
         now="2027-01-05T10:00")
    itpc(config, "outage", "cancel", "NTKS-20270301T1800Z", "--reason", "Nebereikia",
         now="2027-01-05T10:00")
    itpc(config, "outage", "start", "NTKS", "--at", "2027-01-05T08:00", now="2027-01-05T10:00")
    itpc(config, "outage", "end", "NTKS", "--at", "2027-01-05T09:30", now="2027-01-05T10:00")

    # An ETD file (1B-1052) with an office in a member state: opened with its application, consulted (in MSVS, with
    # an alert to the duty address), answered by e-mail, granted.
    application = tmp / "prasymas.pdf"
    application.write_bytes(b"%PDF-1.4\n% prasymo kopija\n")
    itpc(config, "etd", "open", "--msvs", "LTETDLT0000000777", "--accepted", "2027-01-05T09:00", "--company",
         "UAB Oro linija", "--eori", "LT123456789", "--carrier", "airline", "--departure", "LTVR1000",
         "--destination", "DE004711;Frankfurt Flughafen;zoll@zoll.de", "--application", str(application),
         now="2027-01-05T10:00")
    itpc(config, "tick", now="2027-01-05T10:30")
    answer = ("From: Zoll <zoll@zoll.de>\r\nTo: ITPC@lrmuitine.lt\r\nSubject: TC26 ETD-2027-000001\r\n"
              "Message-ID: <tc26-answer@zoll.de>\r\nDate: Wed, 06 Jan 2027 10:00:00 +0100\r\n\r\n"
              "TC26 answer for file ETD-2027-000001\r\nI. Consultation when granting an authorisation\r\n"
              "3. If any condition is not fulfilled\r\n[ ] The holder cannot ensure that ETD data are accessible.\r\n"
              "Remarks: no objection.\r\n")
    (tmp / "inbox" / "new" / "1799226000.1_tc26-answer").write_text(answer, encoding="utf-8")
    itpc(config, "poll", "--once", now="2027-01-06T11:00")
    itpc(config, "etd", "decide", "ETD-2027-000001", "grant", now="2027-01-07T10:00")

    config = make_config(tmp, offices=offices, mailbox=small, outbox={"daily_cap": 1})
    export = tmp / "urt.csv"
    export.write_text("username,name,email,last_login\n"
                      "jonas,Jonas J,afis@lrmuitine.lt,2026-02-22\n"
                      "petras,Petras P,afis@lrmuitine.lt,2026-02-22\n"   # the second e-mail that day: held
                      "ona,Ona O,,2026-02-22\n", encoding="utf-8")       # no address: marked, with the reason
    itpc(config, "afis", "import-logins", str(export))
    itpc(config, "afis", "reconcile", now="2026-11-23T09:00")

    down = {"url": f"smtp://127.0.0.1:{free_port()}", "timeout": 5}
    config = make_config(tmp, offices=offices, outbox=down)  # the default attachment cap again
    itpc(config, "requeue", unread, "--reason", "Padidintas priedų limitas")
    config = make_config(tmp, offices=offices)
    itpc(config, "requeue", unread, "--reason", "Pašto serveris vėl veikia")

    with open(tmp / "ledger" / LEDGER_FILE, "ab") as fh:
        fh.write(b'{"seq":')
    itpc(config, "note", number, "Antra pastaba.")
    return ledger_entries(tmp)


def test_a_run_writes_only_known_types_with_their_keys(run_ledger):
    problems = []
    for entry in run_ledger:
        payload = entries.PAYLOADS.get(entry["type"])
        if payload is None:
            problems.append(f"seq {entry['seq']}: unknown type {entry['type']!r}")
            continue
        keys = set(entry["data"])
        if missing := payload.__required_keys__ - keys:
            problems.append(f"seq {entry['seq']} {entry['type']}: no {sorted(missing)}")
        if unnamed := keys - set(typing.get_type_hints(payload)):
            problems.append(f"seq {entry['seq']} {entry['type']}: {sorted(unnamed)} not in {payload.__name__}")
    assert not problems, "\n".join(problems)


def test_the_run_writes_every_type(run_ledger):
    """So the test above checks every payload type against what is really written."""
    assert {e["type"] for e in run_ledger} == set(entries.ALL)
