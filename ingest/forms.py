"""Text → structured request: the one entry point the message pipeline calls on each candidate text.

The caller (MIME/PDF/OCR/DOCX extraction) passes the mail body and each attachment's text separately and
keeps the candidate with the highest `confidence`.  Everything here is pure: no I/O, no clock.

    >>> request = parse_request(body, offices=directory, subject=msg_subject, received_at=receipt)
    >>> request.kind, request.fields["eori"], request.missing
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ingest.field_text import clean
from ingest.form_afis import parse_afis_access, parse_afis_change
from ingest.form_continuity import Reading, parse_continuity
from ingest.form_kind import (AFIS_ACCESS, AFIS_CHANGE, CONTINUITY, EARLY_RECOVERY, ETD_CONSULTATION_REPLY,
                              NOT_A_REQUEST, detect_kind, history_start, unquote, without_quoted)
from ingest.form_recovery import parse_early_recovery
from ingest.form_tc26 import looks_like_tc26, parse_tc26
from ingest.offices import OfficeDirectory

KINDS = (CONTINUITY, EARLY_RECOVERY, AFIS_ACCESS, AFIS_CHANGE, ETD_CONSULTATION_REPLY, NOT_A_REQUEST)

# Texts longer than this are cut: a request form is a page or two; a megabyte of OCR is noise, and the
# regular expressions must stay fast on whatever arrives.
MAX_TEXT = 60_000


@dataclass(frozen=True)
class ParsedRequest:
    kind: str                     # one of KINDS
    fields: dict = field(default_factory=dict)   # JSON-ready, DESIGN.md contract names
    missing: list[str] = field(default_factory=list)  # DESIGN.md vocabulary
    confidence: float = 0.0       # 0..1: how strongly the text reads as a request of this kind


def _new_text(text: str, subject: str) -> str:
    """The part of `text` to read: above the quoted/forwarded history when that part is itself a request;
    else the sender's own (unquoted) lines when they are a request (a reply written under the quote);
    otherwise the whole text with its "> " quoting removed (a forwarded request with a covering note)."""
    cut = history_start(text)
    if cut is None:
        return text
    top = text[:cut]
    if detect_kind(top, subject).kind != NOT_A_REQUEST:
        return top
    own = without_quoted(text)  # a reply written below the quote it answers
    if own != text and detect_kind(own, subject).kind != NOT_A_REQUEST:
        return own
    return unquote(text)


def parse_request(text: str, *, offices: OfficeDirectory, subject: str = "", sender: str = "",
                  received_at: datetime | None = None, fax_sender: str | None = None) -> ParsedRequest:
    """Parse one candidate text (a mail body or an attachment's text) into a request.

    `received_at` (aware) dates bare times ("nuo 13:00") and year-less dates; `fax_sender` is the number a
    fax came from, used for the reply only when the form asks for a fax answer but its number is
    unreadable; `sender` is excluded from AFIS officer addresses (the officer must not send, 1B-280:8).
    Never raises on odd input: unreadable text is `not_a_request` with confidence 0.
    """
    if not isinstance(text, str) or not text.strip():
        return ParsedRequest(NOT_A_REQUEST)
    cleaned = clean(text[:MAX_TEXT])
    if looks_like_tc26(cleaned, subject or ""):
        return _tc26_reply(cleaned, subject or "")
    body = _new_text(cleaned, subject or "")
    evidence = detect_kind(body, subject or "")
    reading: Reading
    if evidence.kind == CONTINUITY:
        reading = parse_continuity(body, offices=offices, received_at=received_at, fax_sender=fax_sender)
    elif evidence.kind == EARLY_RECOVERY:
        reading = parse_early_recovery(body, subject=subject or "", received_at=received_at)
    elif evidence.kind == AFIS_ACCESS:
        reading = parse_afis_access(body, sender=sender or "")
    elif evidence.kind == AFIS_CHANGE:
        reading = parse_afis_change(body, sender=sender or "", received_at=received_at)
    else:
        return ParsedRequest(NOT_A_REQUEST)
    # Half keyword evidence, half how much of the form could be filled: a covering note ("prašymas
    # pridedamas") scores below the attached form it covers.
    confidence = round(0.5 * evidence.score + 0.5 * reading.completeness, 3)
    return ParsedRequest(evidence.kind, reading.fields, reading.missing, confidence)


def _tc26_reply(text: str, subject: str) -> ParsedRequest:
    """A returned TC26 form or a typed answer to one (1B-1052:16). The whole text is read, quotes and all: the
    answer may be typed above our quoted letter or ticked in the quoted form. Confidence grows with what was
    read (the file number, an answer), so the filled-in form attached outranks a covering note naming it."""
    fields = parse_tc26(text, subject)
    answered = fields["agrees"] is not None or bool(fields["conditions_not_met"])
    confidence = 0.4 + 0.3 * bool(fields["file_number"]) + 0.3 * answered
    return ParsedRequest(ETD_CONSULTATION_REPLY, fields, [] if fields["file_number"] else ["file_number"],
                         round(confidence, 3))
