"""The IMAP source against a real Dovecot (tests/dovecot.py): TLS, batches, acknowledgement, reconnection,
UIDVALIDITY resets and IDLE. A set of SHA-256 digests stands in for the ledger."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Iterable

import pytest

from ingest.imap import ImapSource
from ingest.mailboxes import open_source
from ingest.sources import Incoming, MailboxError, imap_endpoint
from tests.dovecot import Dovecot
from tests.helpers import CORPUS as _CORPUS, corpus_receipt

pytestmark = pytest.mark.slow  # real servers or processes

CORPUS = _CORPUS / "mail"


def corpus() -> list[bytes]:
    return [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]


class Ledger:
    """Stand-in for the ledger: registers a message once, by the SHA-256 of its bytes."""

    def __init__(self) -> None:
        self.digests: set[str] = set()
        self.new = 0

    def register(self, incoming: Incoming) -> bool:
        digest = hashlib.sha256(incoming.raw).hexdigest()
        if digest in self.digests:
            return False
        self.digests.add(digest)
        self.new += 1
        return True


def poll(source, ledger: Ledger, after_each=None) -> list[Incoming]:
    """What the poller does: register, then acknowledge."""
    taken = []
    for incoming in source.fetch():
        ledger.register(incoming)
        source.acknowledge(incoming)
        taken.append(incoming)
        if after_each:
            after_each(len(taken))
    return taken


def digests(raws: Iterable[bytes]) -> list[str]:
    return sorted(hashlib.sha256(r).hexdigest() for r in raws)


@pytest.fixture
def server(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Dovecot:
    """The session's Dovecot with an empty mailbox and the environment a deployment would set."""
    dovecot.clear()
    monkeypatch.setenv("ITPC_IMAP_PASSWORD", dovecot.password)
    monkeypatch.setenv("ITPC_IMAP_CAFILE", dovecot.cafile)
    return dovecot


@pytest.fixture
def minimal(dovecot_minimal: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Dovecot:
    dovecot_minimal.clear()
    monkeypatch.setenv("ITPC_IMAP_PASSWORD", dovecot_minimal.password)
    monkeypatch.setenv("ITPC_IMAP_CAFILE", dovecot_minimal.cafile)
    return dovecot_minimal


# Dovecot replaces an INTERNALDATE in the future with the time of the APPEND, and the corpus runs weeks ahead
# of today: its receipt times are moved a year back, order kept.
SHIFT = timedelta(days=365)


def internaldate(raw: bytes) -> datetime:
    return corpus_receipt(raw) - SHIFT


def fill(server: Dovecot, raws: list[bytes]) -> None:
    for raw in raws:
        server.append("INBOX", raw, internaldate(raw))


def source_for(server: Dovecot, *, batch: int = 4, **options) -> ImapSource:
    """A source with short backoff; credentials passed as the environment would pass them."""
    env = {"ITPC_IMAP_PASSWORD": server.password, "ITPC_IMAP_CAFILE": server.cafile}
    return ImapSource(imap_endpoint(server.url(), env), batch=batch, timeout=10, backoff=0.05, **options)


# -- fetching -----------------------------------------------------------------------------------------------

def test_fetch_yields_the_corpus_byte_for_byte_in_order_of_receipt(server):
    raws = corpus()
    by_receipt = sorted(raws, key=corpus_receipt)
    assert by_receipt != raws  # appended in file-name order, which is not the order of receipt
    fill(server, raws)
    with open_source(server.url(), None) as source:
        got = list(source.fetch())
    assert [g.raw for g in got] == by_receipt
    assert [g.received_at for g in got] == [internaldate(r) for r in by_receipt]
    assert all(g.received_at.utcoffset().total_seconds() == 0 for g in got)
    validity = server.uidvalidity()
    assert all(g.ref == f"{validity}:{g.origin['uid']}" and g.origin["uidvalidity"] == validity for g in got)
    assert len({g.ref for g in got}) == len(raws)
    json.dumps([g.origin for g in got])
    # Fetching neither removes nor marks anything: the messages wait for their acknowledgement.
    with server.client() as imap:
        imap.select_folder("INBOX", readonly=True)
        assert len(imap.search("ALL")) == len(raws) and imap.search("SEEN") == []


def test_batches_smaller_than_the_mailbox_lose_nothing(server, monkeypatch):
    raws = corpus()
    fill(server, raws)
    for batch in (1, 5, 100):
        with source_for(server, batch=batch) as source:
            assert digests(m.raw for m in source.fetch()) == digests(raws)


def test_settings_choose_the_batch_timeout_and_processed_folder(server, tmp_path):
    from config import load_settings
    from tests.helpers import make_config
    settings = load_settings(make_config(tmp_path, mailbox={"url": server.url(), "batch": 3, "timeout": 7,
                                                           "processed_folder": "Užregistruota"}))
    with open_source(settings.mailbox.url, settings.mailbox) as source:
        assert (source.batch, source.timeout, source.processed_folder) == (3, 7, "Užregistruota")
    with server.client() as imap:
        assert imap.folder_exists("Užregistruota")  # created on first login


def test_starttls_is_as_good_as_imaps(server):
    fill(server, corpus()[:3])
    with open_source(server.url(scheme="imap+starttls"), None) as source:
        assert len(list(source.fetch())) == 3


# -- acknowledging ------------------------------------------------------------------------------------------

def test_acknowledged_messages_are_in_processed_and_a_second_fetch_yields_nothing(server):
    raws = corpus()
    fill(server, raws)
    ledger = Ledger()
    with source_for(server) as source:
        taken = poll(source, ledger)
        assert ledger.new == len(raws)
        assert list(source.fetch()) == []
        for incoming in taken[:3]:
            source.acknowledge(incoming)  # again: nothing happens
    assert server.messages("INBOX") == []
    assert digests(server.messages("Processed")) == digests(raws)


def test_without_move_the_source_copies_flags_and_expunges(minimal):
    """A server that does not announce MOVE (imapclient would refuse to send it) nor IDLE."""
    raws = corpus()[:6]
    fill(minimal, raws)
    ledger = Ledger()
    with source_for(minimal) as source:
        assert "MOVE" not in source.capabilities and "UIDPLUS" in source.capabilities
        poll(source, ledger)
        assert list(source.fetch()) == []
    assert minimal.messages("INBOX") == []  # UID EXPUNGE removed them, not just flagged
    assert digests(minimal.messages("Processed")) == digests(raws)


def test_a_hidden_move_capability_is_not_used(server, caplog):
    raws = corpus()[:3]
    fill(server, raws)
    with caplog.at_level(logging.DEBUG, logger="imapclient"):
        with source_for(server, without_capabilities=["MOVE"]) as source:
            poll(source, Ledger())
    sent = " ".join(r.getMessage() for r in caplog.records)
    assert "UID COPY" in sent and "UID EXPUNGE" in sent and "UID MOVE" not in sent
    assert server.messages("INBOX") == []
    assert digests(server.messages("Processed")) == digests(raws)


def commands(caplog, verb: str) -> int:
    """How many ``verb`` commands (e.g. "UID MOVE") the client sent, from imapclient's debug log."""
    return sum("> " in r.getMessage() and f" {verb} " in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("without", [[], ["MOVE"]])
def test_a_batch_is_acknowledged_in_one_command_whatever_its_size(server, caplog, without):
    raws = corpus()[:7]
    fill(server, raws)
    with source_for(server, batch=10, without_capabilities=without) as source:
        taken = list(source.fetch())
        source.acknowledge(taken[0])  # one acknowledged alone first: the batch must step over it
        with caplog.at_level(logging.DEBUG, logger="imapclient"):
            source.acknowledge_all(taken)
        assert list(source.fetch()) == []
    verb = "UID COPY" if without else "UID MOVE"
    assert commands(caplog, "UID FETCH") == 1 and commands(caplog, verb) == 1
    assert server.messages("INBOX") == []
    assert digests(server.messages("Processed")) == digests(raws)  # each once: none copied twice


def test_an_interrupted_copy_is_finished_without_a_second_copy(minimal):
    raw = corpus()[0]
    fill(minimal, [raw])
    with source_for(minimal) as source:
        (incoming,) = source.fetch()
        with minimal.client() as imap:  # as if a crash came after COPY + \Deleted, before UID EXPUNGE
            imap.select_folder("INBOX")
            imap.copy([incoming.origin["uid"]], "Processed")
            imap.add_flags([incoming.origin["uid"]], [b"\\Deleted"])
        assert list(source.fetch()) == []  # a \Deleted message is no longer listed
        source.acknowledge(incoming)
    assert minimal.messages("INBOX") == []
    assert minimal.messages("Processed") == [raw]


# -- a dropped connection -----------------------------------------------------------------------------------

def test_a_connection_dropped_mid_batch_is_resumed_and_nothing_is_lost(server):
    raws = corpus()
    fill(server, raws)
    ledger = Ledger()

    def drop(count: int) -> None:
        # After the 6th message (inside the second batch of 4) the next acknowledgement finds the connection
        # gone; after the 8th the next batch's FETCH does.
        if count in (6, 8):
            server.kick()

    with source_for(server, batch=4) as source:
        taken = poll(source, ledger, after_each=drop)
        assert source.reconnects == 2
    assert ledger.new == len(raws) and len(taken) == len(raws)
    assert [t.raw for t in taken] == sorted(raws, key=corpus_receipt)
    assert server.messages("INBOX") == []
    assert digests(server.messages("Processed")) == digests(raws)  # each exactly once


def test_a_server_that_stays_away_is_a_clear_error_after_bounded_retries(server):
    fill(server, corpus()[:2])
    source = source_for(server, retries=2)
    # The server moves away while we are connected: the connection drops and no reconnection succeeds.
    source.endpoint = dataclasses.replace(source.endpoint, port=_closed_port())
    server.kick()
    started = time.monotonic()
    with pytest.raises(MailboxError, match="cannot connect .*3 tries"):
        list(source.fetch())
    assert time.monotonic() - started < 5  # 0.05 + 0.1 s of backoff, not forever
    source.close()


# -- UIDVALIDITY --------------------------------------------------------------------------------------------

def test_a_new_uidvalidity_yields_the_messages_again_and_the_ledger_dedupes(server):
    raws = corpus()[:7]
    fill(server, raws)
    ledger = Ledger()
    with source_for(server) as source:
        first = list(source.fetch())
        for incoming in first:
            ledger.register(incoming)   # registered, but the process stops before acknowledging
        old = source.uidvalidity
        new = server.reset_uidvalidity()
        again = list(source.fetch())
        assert [m.raw for m in again] == [m.raw for m in first]
        assert {m.origin["uidvalidity"] for m in again} == {new} != {old}
        assert not any(ledger.register(m) for m in again)  # nothing new for the ledger
        source.acknowledge(first[0])    # a stale UID: left alone, it has a new one now
        assert len(server.messages("INBOX")) == len(raws)
        for incoming in again:
            source.acknowledge(incoming)
    assert server.messages("INBOX") == []
    assert digests(server.messages("Processed")) == digests(raws)


# -- waiting ------------------------------------------------------------------------------------------------

def test_idle_wait_returns_when_mail_arrives(server):
    with source_for(server) as source:
        assert "IDLE" in source.capabilities
        assert list(source.fetch()) == []
        timer = threading.Timer(0.5, server.append, ("INBOX", corpus()[0], None))
        timer.start()
        started = time.monotonic()
        source.wait(20)
        timer.join()
        assert time.monotonic() - started < 10
        assert len(list(source.fetch())) == 1


def test_wait_returns_at_once_for_mail_that_came_after_the_last_fetch(server):
    with source_for(server) as source:
        list(source.fetch())
        server.append("INBOX", corpus()[1], None)
        started = time.monotonic()
        source.wait(20)
        assert time.monotonic() - started < 2


def test_wait_honours_the_stop_event_and_its_time_limit(server, minimal):
    with source_for(server) as idle:
        stop = threading.Event()
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        idle.wait(30, stop)
        assert time.monotonic() - started < 5
        started = time.monotonic()
        idle.wait(0.5)
        assert time.monotonic() - started >= 0.5
    with source_for(minimal) as sleeper:  # no IDLE: a plain sleep
        assert "IDLE" not in sleeper.capabilities
        started = time.monotonic()
        sleeper.wait(0.5)
        assert 0.5 <= time.monotonic() - started < 5


# -- errors a user sees -------------------------------------------------------------------------------------

def test_a_wrong_password_is_a_one_line_error(monkeypatch):
    # A server of its own: Dovecot delays every login from an address that just failed one.
    server = Dovecot.start()
    try:
        monkeypatch.setenv("ITPC_IMAP_PASSWORD", "neteisingas")
        monkeypatch.setenv("ITPC_IMAP_CAFILE", server.cafile)
        with pytest.raises(MailboxError, match="login refused") as err:
            open_source(server.url(), None)
        assert "\n" not in str(err.value) and "neteisingas" not in str(err.value)
    finally:
        server.stop()


def test_an_untrusted_certificate_is_refused(server, monkeypatch):
    monkeypatch.delenv("ITPC_IMAP_CAFILE")
    with pytest.raises(MailboxError, match="certificate"):
        open_source(server.url(), None)


def test_an_unreachable_server_is_reported_at_once(server):
    started = time.monotonic()
    with pytest.raises(MailboxError, match="cannot connect"):
        open_source(f"imaps://itpc@127.0.0.1:{_closed_port()}/INBOX", None)
    assert time.monotonic() - started < 5


def test_a_missing_folder_is_reported(server):
    with pytest.raises(MailboxError, match="Nėra"):
        open_source(server.url(folder="Nėra"), None)


@pytest.mark.parametrize("url, env, message", [
    ("imaps://itpc@mail.lrmuitine.lt/INBOX", {}, "ITPC_IMAP_PASSWORD"),
    ("imap://itpc@mail.lrmuitine.lt/INBOX", {"ITPC_IMAP_PASSWORD": "x"}, "clear"),
    ("imaps://mail.lrmuitine.lt/INBOX", {"ITPC_IMAP_PASSWORD": "x"}, "no user"),
    ("imaps://itpc:secret@mail.lrmuitine.lt/INBOX", {"ITPC_IMAP_PASSWORD": "x"}, "never in the URL"),
    ("imaps://itpc@mail.lrmuitine.lt:99999/INBOX", {"ITPC_IMAP_PASSWORD": "x"}, "port"),
    ("imaps://itpc@mail.lrmuitine.lt/INBOX", {"ITPC_IMAP_PASSWORD": "x", "ITPC_IMAP_CAFILE": "/nėra.pem"},
     "ITPC_IMAP_CAFILE"),
])
def test_mailbox_urls_that_cannot_work_are_refused_before_connecting(url, env, message):
    with pytest.raises(MailboxError, match=message):
        imap_endpoint(url, env)


def test_endpoint_reads_user_port_and_folder():
    ep = imap_endpoint("imap+starttls://itpc%40lrmuitine.lt@mail.lrmuitine.lt:1143/Gaunami%20pra%C5%A1ymai",
                       {"ITPC_IMAP_PASSWORD": "x"})
    assert (ep.user, ep.host, ep.port, ep.folder, ep.security) == (
        "itpc@lrmuitine.lt", "mail.lrmuitine.lt", 1143, "Gaunami prašymai", "starttls")
    assert imap_endpoint("imaps://u@h/", {"ITPC_IMAP_PASSWORD": "x"}).port == 993
    assert "x" not in repr(ep)


def _closed_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_ca_file_that_is_not_a_certificate_is_a_clear_error(tmp_path):
    bad = tmp_path / "ca.pem"
    bad.write_text("ne sertifikatas")
    endpoint = imap_endpoint("imaps://itpc@127.0.0.1/INBOX",
                             {"ITPC_IMAP_PASSWORD": "x", "ITPC_IMAP_CAFILE": str(bad)})
    with pytest.raises(MailboxError, match="CA file"):
        ImapSource(endpoint)
