"""When a message reached us, read from the one header we can trust: a ``Received:`` line our own server added.

Anything below our own servers' lines was written by the sender or by servers we do not run, and a sender who
backdates them (or the ``Date:``) would move a request out of the 30-day count or the daily cap. So only the
contiguous block of ``Received:`` lines at the top whose ``by`` host is one of ours (``[mailbox]
trusted_received``) counts, and its topmost readable date (after the last ``;``, RFC 5321 4.4) is the receipt
time; a message without one has no receipt time here, and the mailbox gives it (the Maildir delivery time, the
IMAP INTERNALDATE). A date without a zone says nothing certain about the instant and is not used; ``-0000``
is RFC 5322's "UTC, local zone unknown" and is read as UTC.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from typing import Iterable

# Only the header block matters; a huge or broken body must not cost us anything.
HEADER_LIMIT = 256 * 1024
_MINUS_ZERO = re.compile(r"[-]0000\s*(?:\([^)]*\)\s*)?$")
_COMMENT = re.compile(r"\([^()]*\)")
_BY = re.compile(r"(?:^|\s)by\s+([^\s;]+)", re.IGNORECASE)


def header_fields(block: bytes) -> list[tuple[str, str]]:
    """The (name, value) pairs of a header block, exactly as the email package (``compat32``) gives them:
    a block of plain ASCII fields is split here, twenty times faster; anything else (8-bit bytes, an envelope
    line, a line that is no field, a lone CR) goes through the parser. A property test holds the two equal.
    Raises whatever the parser raises for a block it cannot read."""
    fields = _plain_fields(block)
    if fields is None:
        fields = [(name, str(value)) for name, value in BytesHeaderParser(policy=compat32).parsebytes(block).items()]
    return fields


_FIELD_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:")  # the email package's field name, never empty here
_LINE_END = re.compile(rb"\r?\n")


def _plain_fields(block: bytes) -> list[tuple[str, str]] | None:
    if not block.isascii() or b"\r" in block.replace(b"\r\n", b"") or block.startswith((b" ", b"\t", b"From ")):
        return None
    lines = _LINE_END.split(block)
    ends = _LINE_END.findall(block)
    fields: list[tuple[str, list[str]]] = []
    for index, line in enumerate(lines):
        if not line:
            if index < len(ends) or index == len(lines) - 1:
                break  # the blank line that ends the block, or the end of the bytes
        text = line.decode("ascii") + (ends[index].decode("ascii") if index < len(ends) else "")
        if line[:1] in (b" ", b"\t"):
            fields[-1][1].append(text)
        elif _FIELD_LINE.match(line):
            name, _, value = text.partition(":")
            fields.append((name, [value.lstrip(" \t")]))
        else:
            return None  # not a field: the parser decides what it is
    return [(name, "".join(parts).rstrip("\r\n")) for name, parts in fields]


def header_values(raw: bytes, name: str, limit: int = HEADER_LIMIT) -> list[str]:
    """The values of the ``name`` fields of ``raw``'s header block, in order; none when the block cannot be
    read."""
    wanted = name.lower()
    try:
        return [value for field, value in header_fields(header_block(raw, limit)) if field.lower() == wanted]
    except Exception:  # a header block the parser cannot read says nothing
        return []


def receipt_time(raw: bytes, trusted: Iterable[str]) -> datetime | None:
    """The date of the topmost readable ``Received:`` line in the block our own hosts (``trusted``) added at
    the top of the message; None when the top line is not ours or no line of that block has a readable date.
    Only the header block of ``raw`` is read, so a prefix of the message is enough."""
    ours = {_host(h) for h in trusted if h.strip()}
    if not ours:
        return None
    for line in header_values(raw, "Received"):
        text = " ".join(str(line).split())
        if received_by(text) not in ours:
            return None  # below this line the sender's world begins: nothing further down is ours to trust
        moment = parse_rfc5322_date(text.rsplit(";", 1)[-1]) if ";" in text else None
        if moment is not None:
            return moment
    return None


def received_by(line: str) -> str:
    """The host named in a Received: line's ``by`` clause (lower case, no trailing dot); "" if it has none.
    Comments are set aside first: "(using TLS ... by ...)" names nobody."""
    before_date = line.rsplit(";", 1)[0] if ";" in line else line
    while True:
        stripped = _COMMENT.sub(" ", before_date)
        if stripped == before_date:
            break
        before_date = stripped
    found = _BY.search(before_date)
    return _host(found.group(1)) if found else ""


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


def header_block(raw: bytes, limit: int = HEADER_LIMIT) -> bytes:
    """The message's header block (up to the first empty line), never more than ``limit`` bytes."""
    head = raw[:limit]
    ends = [end + len(sep) for sep in (b"\r\n\r\n", b"\n\n") if (end := head.find(sep)) >= 0]
    return head[:min(ends)] if ends else head


def _host(name: str) -> str:
    return name.strip().strip("[]<>").rstrip(".").lower()
