"""One letter that cannot be written fails alone (issue 12, item 1): a malformed Message-ID or References of the
sender's is left out of the answer's threading headers, an address no letter can go to is recorded as
`mail.unwritten` for an officer, and every other letter goes out, on this poll and every later one."""
from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import CORPUS, free_port, itpc, make_config, not_to_duty

C16 = CORPUS / "mail" / "c16-ascii.eml"     # a continuity request answered at vezejai@mvezejai.lt
C01 = CORPUS / "mail" / "c01-labels-plain.eml"


def with_headers(raw: bytes, message_id: bytes, references: bytes | None = None) -> bytes:
    old = re.search(rb"Message-ID: (<[^>]+>)", raw).group(1)
    raw = raw.replace(old, message_id, 1)
    if references is not None:
        raw = raw.replace(b"\nSubject:", b"\nReferences: " + references + b"\nSubject:", 1)
    return raw


def sent(tmp: Path) -> list[email.message.EmailMessage]:
    """Letters to people outside ITPC (the duty officer's alerts left out)."""
    return not_to_duty([email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                        for p in (tmp / "outbox" / "new").iterdir()])


def requests(config: Path) -> dict[str, dict]:
    return {r["message_id"]: r for r in map(json.loads, itpc(config, "requests", "--json").stdout.splitlines())}


@pytest.mark.parametrize("message_id, references", [
    (b"<no-at-sign-here>", None), (b"<a b@x>", None), (b"<fine@bkl.lt>", b"<noat>"),
])
def test_a_malformed_message_id_of_the_sender_leaves_the_answer_without_threading_headers(tmp_path, message_id,
                                                                                          references):
    config = make_config(tmp_path)
    (tmp_path / "inbox" / "new" / "odd.eml").write_bytes(with_headers(C16.read_bytes(), message_id, references))
    itpc(config, "poll", "--once", now="2026-12-10T12:00")
    answers = [m for m in sent(tmp_path) if "vezejai@mvezejai.lt" in str(m["To"])]
    assert len(answers) == 1 and "Sutikimas" in str(answers[0]["Subject"])
    for header in ("In-Reply-To", "References"):
        assert all("@" in ref for ref in re.findall(r"<[^>]*>", str(answers[0][header] or "")))


def test_an_address_no_letter_can_go_to_is_recorded_and_the_others_go_out_on_every_poll(tmp_path):
    config = make_config(tmp_path)
    raw = C16.read_bytes().replace(b"vezejai@mvezejai.lt", b"rasa..x@bkl.lt")
    (tmp_path / "inbox" / "new" / "bad.eml").write_bytes(raw)
    shutil.copy(C01, tmp_path / "inbox" / "new" / C01.name)
    for now in ("2026-12-10T12:00", "2026-12-10T12:05"):
        assert itpc(config, "poll", "--once", now=now).returncode == 0
    by_status = {(r["number"], n["purpose"]): n["status"] for r in requests(config).values() for n in r["notices"]}
    bad = next(r["number"] for r in requests(config).values() if r["fields"].get("eori") == "LT165443322")
    assert by_status.pop((bad, "answer")) == "unwritten"
    assert set(by_status.values()) == {"sent"} and len(by_status) >= 3    # its office notice, c01's letters
    entries = [json.loads(line) for line in itpc(config, "ledger", "export", "--json").stdout.splitlines()]
    assert [e["data"]["id"] for e in entries if e["type"] == "mail.unwritten"] == [f"{bad}/0/answer"]
    story = itpc(config, "show", bad).stdout
    assert "could not be written" in story and "rasa..x@bkl.lt" in story


def test_a_request_naming_two_hundred_reply_addresses_is_answered_only_to_its_sender(tmp_path):
    config = make_config(tmp_path)
    crowd = ", ".join(f"gavejas{i}@example.org" for i in range(200))
    raw = C16.read_bytes().replace(b"siusti: vezejai@mvezejai.lt", b"siusti: " + crowd.encode())
    (tmp_path / "inbox" / "new" / "crowd.eml").write_bytes(raw)
    itpc(config, "poll", "--once", now="2026-12-10T12:00")
    [request] = requests(config).values()
    assert request["decision"]["outcome"] == "review"
    recipients = {a.addr_spec for m in sent(tmp_path) for a in m["To"].addresses}
    assert recipients == {"vezejai@mvezejai.lt"}     # the acknowledgement, to the sender alone


def test_a_letter_unsent_for_over_an_hour_makes_its_request_overdue_and_show_says_so(tmp_path):
    config = make_config(tmp_path, outbox={"url": f"smtp://127.0.0.1:{free_port()}", "timeout": 2})  # nobody
    shutil.copy(C01, tmp_path / "inbox" / "new" / C01.name)
    itpc(config, "poll", "--once", now="2026-11-23T08:42")

    def overdue(now: str) -> list[str]:
        out = itpc(config, "requests", "--status", "overdue", "--json", now=now).stdout
        return [json.loads(line)["number"] for line in out.splitlines()]

    assert overdue("2026-11-23T09:30") == []            # decided at once; the letters wait under an hour
    assert overdue("2026-11-23T09:50") == ["ITPC-2026-000001"]
    assert "not sent for over an hour" in itpc(config, "show", "ITPC-2026-000001", now="2026-11-23T09:50").stdout
    assert "not sent for over an hour" not in itpc(config, "show", "ITPC-2026-000001", now="2026-11-23T09:30").stdout
