"""`itpc poll --once` against a real Dovecot (tests/dovecot.py): the whole line, from IMAP INBOX to answers.

The corpus is APPENDed with each message's receipt time as its INTERNALDATE (what the MTA would have given
it); the poller must register each once, move each to Processed, take the server's INTERNALDATE as the
receipt time, and classify each as it would from a Maildir.
Then what happens to mail in real life: a second delivery of a message, a mailbox recreated (new
UIDVALIDITY) with registered mail in it, a wrong password.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from itpc.intake import header_message_id
from ledger.clock import to_utc_iso
from tests.dovecot import Dovecot
from tests.helpers import corpus_receipt, itpc, make_config
from tests.integration.test_poll_crash import CORPUS, NOW, deliver, export, mailbag, requests_json

pytestmark = pytest.mark.slow  # real servers or processes


def corpus() -> list[bytes]:
    return [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]


@pytest.fixture
def server(dovecot: Dovecot) -> Dovecot:
    dovecot.clear()
    return dovecot


def imap_config(tmp: Path, server: Dovecot) -> tuple[Path, dict[str, str]]:
    config = make_config(tmp, mailbox={"url": f"imaps://{server.user}@{server.host}:{server.port}/INBOX"})
    return config, {"ITPC_IMAP_PASSWORD": server.password, "ITPC_IMAP_CAFILE": server.cafile}


def internal_dates(server: Dovecot, folder: str) -> dict[str, str]:
    """SHA-256 of each message in ``folder`` → its INTERNALDATE as the ledger stores times (UTC ISO-8601)."""
    with server.client() as imap:
        imap.normalise_times = False
        imap.select_folder(folder, readonly=True)
        data = imap.fetch(imap.search("ALL"), [b"BODY.PEEK[]", b"INTERNALDATE"])
    return {hashlib.sha256(v[b"BODY[]"]).hexdigest(): to_utc_iso(v[b"INTERNALDATE"]) for v in data.values()}


def poll(config: Path, env: dict[str, str]) -> None:
    done = itpc(config, "poll", "--once", now=NOW, env=env)
    assert "Traceback" not in done.stderr


def registered(config: Path) -> Counter:
    """Message-IDs registered as requests of their own or joined to a case (correspondence)."""
    return Counter(e["data"]["message_id"] for e in export(config)
                   if e["type"] in ("request.registered", "correspondence.attached"))


def test_poll_registers_the_corpus_from_imap_once_and_survives_redelivery_and_a_new_uidvalidity(server,
                                                                                                 tmp_path):
    raws = corpus()
    for raw in raws:
        server.append("INBOX", raw, corpus_receipt(raw))
    config, env = imap_config(tmp_path / "imap", server)

    poll(config, env)
    counts = registered(config)
    assert set(counts) == {header_message_id(r) for r in raws} and set(counts.values()) == {1}
    assert server.messages("INBOX") == []
    processed = server.messages("Processed")
    assert sorted(hashlib.sha256(m).hexdigest() for m in processed) == \
        sorted(hashlib.sha256(r).hexdigest() for r in raws)

    # Receipt time is the INTERNALDATE the server gave each message (Dovecot keeps the APPENDed one unless it
    # lies in the future, then takes its own clock), and the kinds are what a Maildir poll of the same finds.
    received = {e["data"]["sha256"]: e["data"]["received_at"] for e in export(config)
                if e["type"] == "mail.received"}
    assert received == internal_dates(server, "Processed")
    maildir = make_config(tmp_path / "maildir")
    deliver(tmp_path / "maildir" / "inbox", mailbag(generated=0))
    itpc(maildir, "poll", "--once", now=NOW)
    kinds = lambda cfg: {r["message_id"]: r["kind"] for r in requests_json(cfg)}  # noqa: E731
    # A reply joins its case only once the case holds the consent it names, which depends on when each message
    # was received: Dovecot dates mail APPENDed with a future date now. Requests of their own must agree.
    imap_kinds, maildir_kinds = kinds(config), kinds(maildir)
    common = imap_kinds.keys() & maildir_kinds.keys()
    assert len(common) >= len(raws) - 2
    assert {m: imap_kinds[m] for m in common} == {m: maildir_kinds[m] for m in common}

    # A second delivery: the very same bytes, and the same message through one more relay.
    again = raws[0]
    relayed = b"Received: from relay.example.net by mail.lrmuitine.lt; Mon, 23 Nov 2026 08:45:00 +0200\r\n" + again
    server.append("INBOX", again, corpus_receipt(again))
    server.append("INBOX", relayed, corpus_receipt(relayed))
    poll(config, env)
    assert registered(config) == counts
    assert server.messages("INBOX") == []
    duplicates = [e["data"] for e in export(config) if e["type"] == "mail.duplicate"]
    assert [d["sha256"] for d in duplicates] == [hashlib.sha256(relayed).hexdigest()]

    # Registered mail back in a recreated INBOX (new UIDVALIDITY): recognised by its bytes, moved, no request.
    for raw in raws[:5]:
        server.append("INBOX", raw, corpus_receipt(raw))
    before = server.uidvalidity("INBOX")
    assert server.reset_uidvalidity("INBOX") != before
    poll(config, env)
    assert registered(config) == counts
    assert server.messages("INBOX") == []
    verify = itpc(config, "ledger", "verify", now=NOW, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_a_wrong_imap_password_is_a_one_line_error_naming_the_login(server, tmp_path):
    config, env = imap_config(tmp_path, server)
    server.append("INBOX", corpus()[0])
    done = itpc(config, "poll", "--once", now=NOW, env={**env, "ITPC_IMAP_PASSWORD": "Neteisingas-1"},
                check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("itpc: ") and "login refused" in last and server.user in last, done.stderr
    assert "Neteisingas-1" not in done.stderr
    assert len(server.messages("INBOX")) == 1  # nothing taken


def test_a_missing_imap_password_is_a_one_line_error_naming_the_variable(server, tmp_path):
    config, env = imap_config(tmp_path, server)
    done = itpc(config, "poll", "--once", now=NOW, env={"ITPC_IMAP_CAFILE": env["ITPC_IMAP_CAFILE"]},
                check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("itpc: ")
    assert "ITPC_IMAP_PASSWORD" in done.stderr
