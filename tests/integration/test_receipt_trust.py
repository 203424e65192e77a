"""Receipt time is ours to tell (issue 12, item 6): a sender who backdates a request's own `Received:` and `Date:`
headers must not move it out of the 30-day count of 1B-1029:12. Only the `Received:` lines our own servers put on
top (`[mailbox] trusted_received`) are believed; otherwise the Maildir delivery time is the receipt time.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ledger.clock import parse_instant
from tests.helpers import CORPUS, corpus_receipt, itpc, make_config
from tests.integration.test_poll_crash import export, requests_json

pytestmark = pytest.mark.slow  # real servers or processes

SEQUENCE = [CORPUS / "mail" / f"c18-limit-{n}.eml" for n in range(1, 7)]  # the sixth is one consent too many
BACKDATED = "Mon, 02 Nov 2026 08:00:00 +0200"


def backdated(raw: bytes) -> bytes:
    """The message as its sender would forge it: our server's Received: line gone, its own hop and Date: set
    five weeks back."""
    head, body = raw.split(b"\r\n\r\n", 1)
    head = re.sub(rb"^Received:.*\r\n(?:[ \t].*\r\n)*", b"", head + b"\r\n", count=1, flags=re.M)
    head = re.sub(rb"^Date:.*?\r$", f"Date: {BACKDATED}\r".encode(), head, flags=re.M)
    return f"Received: from pc.dzpienas.lt by smtp.dzpienas.lt; {BACKDATED}\r\n".encode() + head + b"\r\n" + body


def poll_at(config: Path, name: str, raw: bytes, delivered: datetime) -> None:
    """Deliver as the delivery agent does (the file named after the delivery time), poll a minute later."""
    (config.parent / "inbox" / "new" / f"{int(delivered.timestamp())}.M1P1.{name}").write_bytes(raw)
    itpc(config, "poll", "--once", now=(delivered + timedelta(minutes=1)).isoformat())


def test_a_backdated_sixth_request_is_still_counted_from_when_it_reached_us(tmp_path):
    config = make_config(tmp_path)
    for path in SEQUENCE[:-1]:
        poll_at(config, path.stem, path.read_bytes(), corpus_receipt(path.read_bytes()))
    last = SEQUENCE[-1].read_bytes()
    delivered = corpus_receipt(last)  # 22 December, when our server handed it over
    forged = backdated(last)
    assert corpus_receipt(forged) is None and b"Received: from mx.example.net" not in forged
    poll_at(config, "forged", forged, delivered)

    received = {e["data"]["message_id"]: e["data"]["received_at"] for e in export(config)
                if e["type"] == "mail.received"}
    requests = {r["message_id"]: r for r in requests_json(config)}
    sixth = requests[re.search(rb"^Message-ID: (\S+)", last, re.M).group(1).decode()]
    assert parse_instant(received[sixth["message_id"]]) == delivered.astimezone(timezone.utc)
    assert [r["decision"]["outcome"] for r in requests.values()].count("consent") == 5
    assert sixth["decision"]["outcome"] == "refusal" and "1B-1029:12" in sixth["decision"]["rules"]
