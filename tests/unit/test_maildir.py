"""The Maildir inbox and the receipt time read from headers."""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from ingest.mailboxes import open_source
from ingest.maildir import MaildirSource
from ingest.receipt import receipt_time
from ingest.sources import Incoming, MailboxError
from tests.helpers import CORPUS as _CORPUS

CORPUS = _CORPUS / "mail"
UTC = timezone.utc
OURS = ("mail.lrmuitine.lt",)  # the shipped [mailbox] trusted_received


def corpus() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(CORPUS.glob("*.eml"))]


def message(received: str | None = None, date: str | None = None, body: str = "Laba diena") -> bytes:
    lines = []
    if received is not None:
        lines.append(f"Received: from mx.example.net\r\n\tby mail.lrmuitine.lt with ESMTPS; {received}")
    lines += ["From: a@example.lt", "To: ITPC@lrmuitine.lt", "Subject: test"]
    if date is not None:
        lines.append(f"Date: {date}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


def deliver(box: Path, name: str, raw: bytes, folder: str = "new", mtime: float | None = None) -> Path:
    path = box / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def box(tmp_path: Path) -> Path:
    path = tmp_path / "inbox"
    MaildirSource(path)  # creates new/ cur/ tmp/
    return path


# -- receipt time -------------------------------------------------------------------------------------------

def test_receipt_time_is_our_servers_top_received_date_not_an_older_hop_nor_date():
    raw = (b"Received: from relay by mail.lrmuitine.lt; Mon, 23 Nov 2026 08:41:07 +0200\r\n"
           b"Received: from pc by relay; Mon, 23 Nov 2026 08:40:00 +0200\r\n"
           b"Date: Sun, 22 Nov 2026 23:00:00 +0100\r\n\r\nbody\r\n")
    assert receipt_time(raw, OURS) == datetime(2026, 11, 23, 6, 41, 7, tzinfo=UTC)


def test_a_sender_s_own_received_and_date_give_no_receipt_time():
    # Backdated by the sender: neither the top Received (not added by our server) nor Date: may be believed.
    raw = (b"Received: from pc.example.net by smtp.example.net; Mon, 02 Nov 2026 08:00:00 +0200\r\n"
           b"From: a@example.net\r\nDate: Mon, 02 Nov 2026 08:00:00 +0200\r\n\r\nbody\r\n")
    assert receipt_time(raw, OURS) is None
    assert receipt_time(raw, ()) is None


def test_a_received_line_naming_our_server_below_a_foreign_one_is_forged_and_ignored():
    raw = (b"Received: from pc.example.net by smtp.example.net; Mon, 23 Nov 2026 08:40:00 +0200\r\n"
           b"Received: from x by mail.lrmuitine.lt; Mon, 02 Nov 2026 08:00:00 +0200\r\n"
           b"Date: Mon, 02 Nov 2026 08:00:00 +0200\r\n\r\nbody\r\n")
    assert receipt_time(raw, OURS) is None


def test_a_block_of_our_own_hosts_on_top_is_trusted_down_to_its_first_readable_date():
    raw = (b"Received: from mx.lrmuitine.lt by MAIL.lrmuitine.lt.; sometime today\r\n"
           b"Received: from gw (using TLS by evil.example) by mx.lrmuitine.lt; Mon, 23 Nov 2026 08:41:07 +0200\r\n"
           b"Received: from pc by relay.example.net; Mon, 02 Nov 2026 08:00:00 +0200\r\n\r\nbody\r\n")
    assert receipt_time(raw, ("mail.lrmuitine.lt", "mx.lrmuitine.lt")) == datetime(2026, 11, 23, 6, 41, 7,
                                                                                   tzinfo=UTC)
    assert receipt_time(raw, OURS) is None  # mx.lrmuitine.lt not configured: its line is not ours


def test_a_host_named_only_in_a_comment_is_not_the_by_host():
    raw = (b"Received: from pc.example.net (helo by mail.lrmuitine.lt) with SMTP;"
           b" Mon, 02 Nov 2026 08:00:00 +0200\r\n\r\nbody\r\n")
    assert receipt_time(raw, OURS) is None


@pytest.mark.parametrize("received, expected", [
    ("Mon, 23 Nov 2026 08:41:00 -0000", datetime(2026, 11, 23, 8, 41, tzinfo=UTC)),  # RFC 5322: UTC
    ("Mon, 23 Nov 2026 08:41:00", None),                 # no zone: the instant is unknown
    ("Mon, 31 Feb 2026 08:41:00 +0200", None),           # no such day
    ("rytoj", None),
    ("Fri, 31 Dec 9999 23:59:59 -1200", None),          # a valid header, but no instant a datetime holds in UTC
])
def test_receipt_time_needs_a_real_instant(received, expected):
    assert receipt_time(message(received=received, date="Mon, 23 Nov 2026 08:41:00 +0200"), OURS) == expected


def test_receipt_time_of_the_corpus_is_our_servers_received_header():
    for name, raw in corpus():
        when = receipt_time(raw, OURS)
        assert when is not None and when.utcoffset() is not None, name


@given(st.binary(max_size=2000))
def test_receipt_time_never_fails_on_arbitrary_bytes(raw):
    when = receipt_time(raw, OURS)
    assert when is None or when.utcoffset() is not None


@given(received=st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2100, 1, 1)),
       offset_minutes=st.integers(min_value=-12 * 60, max_value=14 * 60),
       date_shift=st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=3)))
def test_receipt_time_reads_back_any_received_date(received, offset_minutes, date_shift):
    zone = timezone(timedelta(minutes=offset_minutes))
    moment = received.replace(microsecond=0, tzinfo=zone)
    raw = message(received=format_datetime(moment), date=format_datetime(moment + date_shift))
    assert receipt_time(raw, OURS) == moment


def test_a_backdated_message_in_the_maildir_is_dated_by_its_delivery_file_name(box):
    # The sender's Received: and Date: say 2 November; the delivery agent named the file on 22 December.
    delivered = datetime(2026, 12, 22, 6, 0, tzinfo=UTC)
    raw = (b"Received: from pc.example.net by smtp.example.net; Mon, 02 Nov 2026 08:00:00 +0200\r\n"
           b"From: a@example.net\r\nDate: Mon, 02 Nov 2026 08:00:00 +0200\r\n\r\nbody\r\n")
    deliver(box, f"{int(delivered.timestamp())}.M12P34.mail", raw, mtime=delivered.timestamp() + 3600)
    (got,) = MaildirSource(box, trusted_received=OURS).fetch()
    assert got.received_at == delivered


def test_our_servers_received_date_comes_before_the_file_name_and_the_name_before_the_mtime(box):
    ours = message(received="Mon, 23 Nov 2026 08:41:00 +0200")
    foreign = message(date="Mon, 02 Nov 2026 08:00:00 +0200")
    deliver(box, "1800000000.M1P1.mail", ours, mtime=1_700_000_000)
    deliver(box, "1800000100.M2P2.mail", foreign, mtime=1_700_000_000)
    deliver(box, "no-time-here", foreign + b"x", mtime=1_700_000_000)
    got = {g.ref: g.received_at for g in MaildirSource(box, trusted_received=OURS).fetch()}
    assert got == {"1800000000.M1P1.mail": datetime(2026, 11, 23, 6, 41, tzinfo=UTC),
                   "1800000100.M2P2.mail": datetime.fromtimestamp(1_800_000_100, UTC),
                   "no-time-here": datetime.fromtimestamp(1_700_000_000, UTC)}


# -- fetching -----------------------------------------------------------------------------------------------

def test_fetch_takes_messages_in_order_of_receipt_not_of_file_name(box):
    messages = corpus()
    # Names in reverse order of receipt, so that name order would give the wrong answer.
    by_receipt = sorted(messages, key=lambda m: receipt_time(m[1], OURS))
    for index, (_name, raw) in enumerate(reversed(by_receipt)):
        deliver(box, f"{1700000000 + index}.M{index}P1.mail", raw)
    got = list(MaildirSource(box, trusted_received=OURS).fetch())
    assert [g.raw for g in got] == [raw for _n, raw in by_receipt]
    assert [g.received_at for g in got] == [receipt_time(raw, OURS) for _n, raw in by_receipt]
    assert all(g.received_at.utcoffset() == timedelta(0) for g in got)
    assert len({g.ref for g in got}) == len(messages)
    json.dumps([g.origin for g in got])  # the poller records it in the ledger


def test_equal_receipt_times_are_ordered_by_file_name(box):
    raw = message(date="Mon, 23 Nov 2026 08:41:00 +0200")
    for name in ("c.mail", "a.mail", "b.mail"):
        deliver(box, name, raw + name.encode(), mtime=1_800_000_000)
    assert [g.ref for g in MaildirSource(box).fetch()] == ["a.mail", "b.mail", "c.mail"]


def test_the_inbox_is_new_and_unseen_cur_only(box):
    raw = message(date="Mon, 23 Nov 2026 08:41:00 +0200")
    deliver(box, "1.new", raw + b"1")
    deliver(box, "2.cur:2,F", raw + b"2", folder="cur")           # flagged but not seen: still to do
    deliver(box, "3.done:2,S", raw + b"3", folder="cur")          # registered earlier
    deliver(box, "4.tmp", raw + b"4", folder="tmp")               # still being delivered
    deliver(box, ".editor-swap", raw + b"5")                      # not mail
    got = {g.ref: g.raw for g in MaildirSource(box).fetch()}
    assert got == {"1.new": raw + b"1", "2.cur": raw + b"2"}


def test_message_without_our_servers_received_is_dated_by_its_file(box):
    dated = message(received="Mon, 23 Nov 2026 08:41:00 +0200")
    undated_early = message(body="be datos 1", date="Mon, 23 Nov 2026 09:00:00 +0200")  # Date: is not believed
    undated_late = message(body="be datos 2")
    early = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    late = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    deliver(box, "a", undated_late, mtime=late.timestamp())
    deliver(box, "b", dated)
    deliver(box, "c", undated_early, mtime=early.timestamp())
    got = list(MaildirSource(box, trusted_received=OURS).fetch())
    assert [g.ref for g in got] == ["c", "b", "a"]
    assert got[0].received_at == early and got[2].received_at == late
    assert got[0].received_at.tzinfo is not None


def test_a_date_past_the_end_of_time_is_dated_by_its_file_and_blocks_nothing(box):
    late = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    deliver(box, "a", message(received="Fri, 31 Dec 9999 23:59:59 -1200", body="amžinybė"), mtime=late.timestamp())
    deliver(box, "b", message(received="Mon, 23 Nov 2026 08:41:00 +0200"))
    got = list(MaildirSource(box, trusted_received=OURS).fetch())
    assert [g.ref for g in got] == ["b", "a"]
    assert got[1].received_at == late


def test_bytes_that_are_not_mail_are_still_delivered(box):
    deliver(box, "junk", b"\x00\xff not an email at all", mtime=1_800_000_000)
    (got,) = MaildirSource(box).fetch()
    assert got.raw == b"\x00\xff not an email at all"
    assert got.received_at == datetime.fromtimestamp(1_800_000_000, UTC)


def test_a_file_that_vanishes_between_listing_and_reading_is_skipped(box):
    for hour in (8, 9, 10):
        deliver(box, f"m{hour}", message(received=f"Mon, 23 Nov 2026 {hour:02d}:00:00 +0200"))
    messages = MaildirSource(box, trusted_received=OURS).fetch()
    first = next(messages)             # the inbox is listed now
    (box / "new" / "m9").unlink()      # another process takes the second one
    rest = list(messages)
    assert [first.ref] + [m.ref for m in rest] == ["m8", "m10"]


# -- acknowledging ------------------------------------------------------------------------------------------

def test_acknowledged_messages_move_to_cur_seen_and_are_not_fetched_again(box):
    for name, raw in corpus()[:5]:
        deliver(box, name, raw)
    source = MaildirSource(box)
    registered: set[str] = set()  # stand-in for the ledger
    for incoming in source.fetch():
        registered.add(hashlib.sha256(incoming.raw).hexdigest())
        source.acknowledge(incoming)
    assert len(registered) == 5
    assert sorted(os.listdir(box / "new")) == []
    assert sorted(os.listdir(box / "cur")) == sorted(f"{name}:2,S" for name, _raw in corpus()[:5])
    assert list(source.fetch()) == []


def test_acknowledging_a_batch_lists_the_inbox_once_not_once_a_message(box, monkeypatch):
    for i in range(30):
        deliver(box, f"{1732950000 + i}.M{i}P1.host", message(date="Mon, 23 Nov 2026 08:41:00 +0200"))
    source = MaildirSource(box)
    listings = []
    original = MaildirSource._names
    monkeypatch.setattr(MaildirSource, "_names", lambda self, folder: listings.append(folder) or original(self, folder))
    for incoming in source.fetch():
        source.acknowledge(incoming)
    assert listings == ["new", "cur"]  # the fetch's own listing; acknowledging renames where it read
    assert len(os.listdir(box / "cur")) == 30 and os.listdir(box / "new") == []


def test_a_message_flagged_elsewhere_after_it_was_read_is_still_acknowledged(box):
    deliver(box, "1.moved", message(date="Mon, 23 Nov 2026 08:41:00 +0200"))
    source = MaildirSource(box)
    (incoming,) = source.fetch()
    os.rename(box / "new" / "1.moved", box / "cur" / "1.moved:2,F")  # a mail client flagged it meanwhile
    source.acknowledge(incoming)
    assert os.listdir(box / "cur") == ["1.moved:2,FS"]


def test_acknowledge_is_idempotent_and_keeps_other_flags(box):
    deliver(box, "1.flagged:2,F", message(date="Mon, 23 Nov 2026 08:41:00 +0200"), folder="cur")
    source = MaildirSource(box)
    (incoming,) = source.fetch()
    source.acknowledge(incoming)
    source.acknowledge(incoming)
    assert os.listdir(box / "cur") == ["1.flagged:2,FS"]


def test_acknowledging_a_message_someone_removed_does_nothing(box):
    deliver(box, "gone", message(date="Mon, 23 Nov 2026 08:41:00 +0200"))
    source = MaildirSource(box)
    (incoming,) = source.fetch()
    (box / "new" / "gone").unlink()
    source.acknowledge(incoming)
    assert os.listdir(box / "cur") == []


def test_only_after_acknowledge_does_a_message_leave_the_inbox(box):
    deliver(box, "x", message(date="Mon, 23 Nov 2026 08:41:00 +0200"))
    source = MaildirSource(box)
    list(source.fetch())
    assert [m.ref for m in source.fetch()] == ["x"]  # a crash before acknowledging: fetched again


# -- waiting ------------------------------------------------------------------------------------------------

def test_wait_returns_early_when_new_mail_arrives(box):
    source = MaildirSource(box)
    timer = threading.Timer(0.3, deliver, (box, "late", message()))
    timer.start()
    started = time.monotonic()
    source.wait(10)
    timer.join()
    assert time.monotonic() - started < 5


def test_wait_sleeps_the_whole_time_without_mail_and_stops_on_request(box):
    source = MaildirSource(box)
    started = time.monotonic()
    source.wait(0.4)
    assert time.monotonic() - started >= 0.4
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    source.wait(30, stop)
    assert time.monotonic() - started < 5


# -- opening ------------------------------------------------------------------------------------------------

def test_open_source_makes_a_maildir_source_and_creates_its_folders(tmp_path):
    source = open_source(f"maildir://{tmp_path / 'fresh'}", None)
    assert isinstance(source, MaildirSource)
    assert all((tmp_path / "fresh" / sub).is_dir() for sub in ("new", "cur", "tmp"))
    assert list(source.fetch()) == []
    source.close()


def test_open_source_follows_the_configured_mailbox_url(tmp_path):
    from config import load_settings
    from tests.helpers import make_config
    settings = load_settings(make_config(tmp_path))
    source = open_source(settings.mailbox.url, settings.mailbox)
    assert isinstance(source, MaildirSource) and source.path == (tmp_path / "inbox").resolve()


@pytest.mark.parametrize("url", ["pop3://host/INBOX", "var/inbox", "maildir://"])
def test_open_source_rejects_what_it_cannot_read(url):
    with pytest.raises(MailboxError):
        open_source(url, None)


def test_a_maildir_that_cannot_be_created_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(MailboxError, match="cannot create"):
        MaildirSource(tmp_path / "file" / "inbox")


def test_incoming_repr_does_not_dump_the_message():
    incoming = Incoming("r", b"x" * 10_000, datetime(2026, 1, 1, tzinfo=UTC), {})
    assert len(repr(incoming)) < 200
