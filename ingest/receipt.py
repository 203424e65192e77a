"""When a message reached us, read from its own headers (for Maildir files and saved .eml files).

The top ``Received:`` header is the one our own mail server added on delivery, so its date (after the last
``;``, RFC 5321 4.4) is the receipt time; a message without a readable one falls back to its ``Date:``.
A date without a zone says nothing certain about the instant and is not used; ``-0000`` is RFC 5322's
"UTC, local zone unknown" and is read as UTC.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime

# Only the header block matters; a huge or broken body must not cost us anything.
HEADER_LIMIT = 256 * 1024
_MINUS_ZERO = re.compile(r"[-]0000\s*(?:\([^)]*\)\s*)?$")


def receipt_time(raw: bytes) -> datetime | None:
    """The top Received: header's date, else Date:; an aware datetime, or None if neither parses."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(_header_block(raw))
        received = headers.get_all("Received") or []
        candidates = [str(received[0]).rsplit(";", 1)[-1]] if received else []
        candidates.append(str(headers.get("Date") or ""))
    except Exception:  # a header block the parser cannot read has no receipt time, it is not an error
        return None
    for text in candidates:
        moment = parse_rfc5322_date(text)
        if moment is not None:
            return moment
    return None


def parse_rfc5322_date(text: str) -> datetime | None:
    """An RFC 5322 date-time as an aware UTC datetime; None when it is unreadable, has no zone, or names no
    instant that can be held in UTC."""
    text = " ".join(text.split())
    if not text:
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):  # 31 February, 25:00, a date of no shape
        return None
    if moment.tzinfo is None:  # no zone, an unknown zone name, or -0000
        if not _MINUS_ZERO.search(text):
            return None
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        # 31 Dec 9999 -1200 is a valid header but no instant Python can hold in UTC.
        return moment.astimezone(timezone.utc)
    except OverflowError:
        return None


def _header_block(raw: bytes) -> bytes:
    head = raw[:HEADER_LIMIT]
    ends = [end + len(sep) for sep in (b"\r\n\r\n", b"\n\n") if (end := head.find(sep)) >= 0]
    return head[:min(ends)] if ends else head
