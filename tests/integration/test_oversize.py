"""A message over ``[mailbox] max_message_bytes`` (issue 12, item 11): registered, kept byte for byte and sent to
an officer, without ever being held whole in memory — the Maildir file and an IMAP message are streamed into the
archive and only a bounded prefix is read for the headers.

No test here measures memory or time (the machine is shared): they check that the full MIME reader is never
called, that the header reader gets a bounded prefix, and, in a child process whose address space is capped at
a generous fixed figure, that polling a message about as large as that cap still works.
"""
from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys

import pytest

import ingest.imap
import ingest.parse
from ingest.imap import ImapSource
from ingest.maildir import MaildirSource
from ingest.mime import HEAD_BYTES
from ingest.sources import ImapEndpoint, Incoming
from ledger.archive import RawArchive
from tests.dovecot import Dovecot
from tests.helpers import ROOT, itpc, make_config
from tests.integration.test_poll_crash import export

pytestmark = pytest.mark.slow  # real servers or processes

NOW = "2026-11-23T08:45"
HEADERS = (b"Received: from mx.example.net by mail.lrmuitine.lt; Mon, 23 Nov 2026 08:41:00 +0200\r\n"
           b"From: deklaravimas@imone.lt\r\nTo: ITPC@lrmuitine.lt\r\nMessage-ID: <didelis@imone.lt>\r\n"
           b"Subject: =?utf-8?q?Pra=C5=A1ymas?=\r\nDate: Mon, 23 Nov 2026 08:40:00 +0200\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\n")
BODY = ("Laba diena,\r\n\r\nprašome sutikimo taikyti veiklos tęstinumo procedūrą.\r\nEORI kodas: LT100001234\r\n"
        "Sistema: MDAS\r\nLaikotarpis: nuo 2026-11-23 09:00 iki 2026-11-23 17:00\r\n").encode("utf-8")


def big_message(size: int) -> bytes:
    filler = b"Priedas: " + b"x" * 66 + b"\r\n"
    return HEADERS + BODY + filler * ((size - len(HEADERS) - len(BODY)) // len(filler) + 1)


class Spy:
    """Wraps the MIME readers ``ingest.parse`` calls, to see what each was given."""

    def __init__(self, monkeypatch):
        self.full: list[int] = []      # sizes given to the full reader
        self.headers: list[int] = []   # sizes of the prefixes given to the header reader
        full, headers = ingest.parse.read_message, ingest.parse.read_headers

        def read_message(raw, **kw):
            self.full.append(len(raw))
            return full(raw, **kw)

        def read_headers(head, size, **kw):
            self.headers.append(len(head))
            return headers(head, size, **kw)

        monkeypatch.setattr(ingest.parse, "read_message", read_message)
        monkeypatch.setattr(ingest.parse, "read_headers", read_headers)


def test_an_oversized_maildir_message_is_archived_whole_and_only_its_headers_are_read(tmp_path, monkeypatch):
    cap = 200_000
    config = make_config(tmp_path, mailbox={"max_message_bytes": cap})
    raw = big_message(3 * HEAD_BYTES)
    (tmp_path / "inbox" / "new" / "1795416060.M1P1.mail").write_bytes(raw)
    spy = Spy(monkeypatch)

    itpc(config, "poll", "--once", now=NOW)

    assert spy.full == [] and spy.headers and max(spy.headers) <= HEAD_BYTES
    entries = export(config)
    (received,) = [e["data"] for e in entries if e["type"] == "mail.received"]
    (registered,) = [e["data"] for e in entries if e["type"] == "request.registered"]
    sha = hashlib.sha256(raw).hexdigest()
    assert (received["sha256"], received["size"], received["message_id"]) == (sha, len(raw), "<didelis@imone.lt>")
    assert RawArchive(tmp_path / "ledger" / "archive").get(sha) == raw
    # Not read, so not a request it could decide on: for an officer, saying why.
    assert registered["kind"] == "not_a_request" and registered["fields"] == {}
    assert any(f"message of {len(raw)} bytes exceeds the {cap}-byte cap" in p for p in registered["problems"])
    assert registered["sender"] == "deklaravimas@imone.lt" and registered["subject"] == "Prašymas"
    assert os.listdir(tmp_path / "inbox" / "new") == []  # acknowledged


def test_the_maildir_hands_an_oversized_message_on_as_its_file_not_its_bytes(tmp_path):
    box = tmp_path / "inbox"
    source = MaildirSource(box, max_message_bytes=1000)
    small, large = big_message(500)[:500], big_message(5000)
    (box / "new" / "1795416000.M1P1.mail").write_bytes(small)
    (box / "new" / "1795416060.M2P2.mail").write_bytes(large)
    got = []
    for incoming in source.fetch():
        got.append((incoming.raw, incoming.spool is not None, incoming.size, incoming.sha256,
                    incoming.head(100), b"".join(incoming.chunks())))
        source.acknowledge(incoming)  # a spool stays readable once the file is moved to cur/
    assert got == [(small, False, 500, hashlib.sha256(small).hexdigest(), small[:100], small),
                   (b"", True, len(large), hashlib.sha256(large).hexdigest(), large[:100], large)]


def test_a_streamed_message_is_archived_once_under_its_sha256_with_no_temp_file_left(tmp_path):
    archive = RawArchive(tmp_path / "archive")
    raw = big_message(3_000_000)
    chunks = [raw[i:i + 65536] for i in range(0, len(raw), 65536)]
    digest = archive.put_stream(iter(chunks))
    assert digest == hashlib.sha256(raw).hexdigest() == archive.digest(digest)
    assert archive.get(digest) == raw and archive.head(digest, 100) == raw[:100]
    assert archive.put_stream(iter(chunks)) == digest  # again: a no-op
    assert archive.put(raw) == digest
    assert [p.name for p in (tmp_path / "archive").rglob("*") if p.is_file()] == [f"{digest}.eml"]
    assert oct(archive.path_for(digest).stat().st_mode & 0o777) == "0o640"


ADDRESS_SPACE_MB = 450  # a poll of a small message needs ~250 MB of address space (libraries, OCR, BLAS)
LARGE_MB = 50           # read whole, line by line by the header parser, this used to need 11 × its size


def test_polling_a_large_message_in_a_capped_address_space_works(tmp_path):
    config = make_config(tmp_path)
    message = tmp_path / "inbox" / "new" / "1795416060.M1P1.mail"
    line = b"Priedas: " + b"x" * 66 + b"\r\n"
    block = line * 10_000
    with open(message, "wb") as fh:
        fh.write(HEADERS + BODY)
        while fh.tell() < LARGE_MB << 20:
            fh.write(block)
    size = message.stat().st_size

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_MB << 20, ADDRESS_SPACE_MB << 20))

    done = subprocess.run([sys.executable, "-m", "itpc", "--config", str(config), "--now", NOW, "poll", "--once"],
                          cwd=ROOT, preexec_fn=limit, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    entries = export(config)
    (received,) = [e["data"] for e in entries if e["type"] == "mail.received"]
    (registered,) = [e["data"] for e in entries if e["type"] == "request.registered"]
    # Read as it should be, not given up on (an out-of-memory error is caught as bad input, and loses the
    # Message-ID and the sender).
    assert (received["size"], received["message_id"]) == (size, "<didelis@imone.lt>")
    assert registered["sender"] == "deklaravimas@imone.lt"
    assert [p for p in registered["problems"] if "exceeds" in p] and not [p for p in registered["problems"]
                                                                          if "could not be read" in p]
    assert (tmp_path / "ledger" / "archive" / received["sha256"][:2] / f"{received['sha256']}.eml").stat().st_size \
        == size


def test_an_oversized_imap_message_is_fetched_in_pieces_into_a_spool(dovecot: Dovecot, monkeypatch):
    dovecot.clear()
    small, large = big_message(2000)[:2000], big_message(600_000)
    dovecot.append("INBOX", small)
    dovecot.append("INBOX", large)
    monkeypatch.setattr(ingest.imap, "SPOOL_FETCH", 100_000)
    asked: list[list[bytes]] = []
    endpoint = ImapEndpoint(host=dovecot.host, port=dovecot.port, user=dovecot.user, folder="INBOX",
                            security="tls", password=dovecot.password, cafile=dovecot.cafile)
    with ImapSource(endpoint, max_message_bytes=100_000) as source:
        client = source._client
        fetch = client.fetch
        monkeypatch.setattr(client, "fetch", lambda uids, items, *a, **kw: (asked.append(list(items)),
                                                                            fetch(uids, items, *a, **kw))[1])
        got: list[tuple[Incoming, bytes, str]] = []
        for incoming in source.fetch():
            got.append((incoming, b"".join(incoming.chunks()), incoming.sha256))
            source.acknowledge(incoming)
    assert [(m.raw, body) for m, body, _sha in got] == [(small, small), (b"", large)]
    assert got[1][2] == hashlib.sha256(large).hexdigest() and got[1][0].spool is not None
    assert got[1][0].spool.closed  # a temporary spool is let go once the message is handled
    whole = [items for items in asked if b"BODY.PEEK[]" in items]
    pieces = [items for items in asked if any(i.startswith(b"BODY.PEEK[]<") for i in items)]
    assert len(whole) == 1 and len(pieces) == len(large) // 100_000 + 1
    assert dovecot.messages("INBOX") == []
