"""From raw message bytes to what the message asks: kind, fields, what the rules need and it lacks.

The glue between the MIME reader, the document readers and the form parser: the body's new text and each
attached document are parsed as candidates, and the best candidate is the request. A trader may write the
request in the body, attach the form (PDF, DOCX, a fax scan), or both; the body wins a tie because it is
what the sender typed last.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from config.sections import MailboxSettings
from config.settings import Settings
from ingest.documents import DocumentError, DocumentLimits, extract_text, is_document
from ingest.form_kind import CORRESPONDENCE, case_numbers
from ingest.forms import parse_request
from ingest.mime import HEAD_BYTES, Letter, read_headers, read_message
from ingest.offices import OfficeDirectory
from ingest.receipt import receipt_time

NOT_A_REQUEST = "not_a_request"
AUTO_GENERATED = "auto_generated"


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int = 26_214_400
    max_attachment_bytes: int = 15_728_640
    max_pdf_pages: int = 20
    documents: DocumentLimits = DocumentLimits()

    @classmethod
    def of(cls, mailbox: MailboxSettings) -> "Limits":
        """The caps configured in [mailbox]."""
        return cls(max_message_bytes=mailbox.max_message_bytes, max_attachment_bytes=mailbox.max_attachment_bytes,
                   max_pdf_pages=mailbox.max_pdf_pages, documents=DocumentLimits.of(mailbox))


@dataclass
class ParseResult:
    kind: str
    source: str  # "body" | "pdf" | "ocr" | "docx"
    fields: dict[str, Any]
    missing: list[str]
    problems: list[str]
    letter: Letter = field(repr=False)

    def as_json(self) -> dict[str, Any]:
        """The `itpc parse --json` object: kind, source, fields, missing (and problems when there are any)."""
        out: dict[str, Any] = {"kind": self.kind, "source": self.source, "fields": self.fields,
                               "missing": list(self.missing)}
        if self.problems:
            out["problems"] = list(self.problems)
        return out


@dataclass(frozen=True)
class _Candidate:
    source: str
    kind: str
    fields: dict[str, Any]
    missing: list[str]
    confidence: float

    def rank(self) -> tuple[bool, float, int]:
        return (self.kind != NOT_A_REQUEST, self.confidence, -len(self.missing))


def parse_message(raw: bytes, *, offices, own_address: str, limits: Limits, received_at: datetime | None = None,
                  size: int | None = None) -> ParseResult:
    """Parse one raw message. Raises ``mime.MessageError`` only for bytes that are not a message at all.

    ``received_at`` (the receipt time the mailbox gave) dates bare times and year-less dates in the request;
    without it, the message's ``Date:``. ``size`` is the whole message's size when ``raw`` is only its first
    ``HEAD_BYTES`` (a message over the cap, never read whole): then only its headers are read."""
    if size is not None and size > limits.max_message_bytes:
        letter = read_headers(raw[:HEAD_BYTES], size, max_message_bytes=limits.max_message_bytes,
                              own_address=own_address)
    else:
        letter = read_message(raw, max_attachment_bytes=limits.max_attachment_bytes,
                              max_message_bytes=limits.max_message_bytes, own_address=own_address)
    problems = list(letter.problems)
    if letter.auto_generated:
        return ParseResult(AUTO_GENERATED, "body", {}, [], problems, letter)

    received_at = received_at or letter.date

    def candidate(text: str, source: str) -> _Candidate:
        parsed = parse_request(text, offices=offices, subject=letter.subject, sender=letter.sender,
                               received_at=received_at, fax_sender=letter.fax_sender)
        return _Candidate(source, parsed.kind, dict(parsed.fields), list(parsed.missing),
                          float(parsed.confidence or 0.0))

    best = candidate(letter.text, "body")
    for att in letter.attachments:
        if not is_document(att):
            continue
        name = att.filename or "(unnamed attachment)"
        try:
            doc = extract_text(att, max_pages=limits.max_pdf_pages, limits=limits.documents)
        except DocumentError as exc:
            problems.append(f"{name}: {exc.reason}")
            continue
        problems.extend(f"{name}: {p}" for p in doc.problems)
        if not doc.text.strip():
            continue
        # A text attachment is still "what was sent in the body" for the contract's source values.
        found = candidate(doc.text, "body" if doc.source == "text" else doc.source)
        if found.rank() > best.rank():  # strictly better: the body keeps a tie
            best = found
    if best.kind == NOT_A_REQUEST and case_numbers(letter.subject, [letter.in_reply_to or "", *letter.references],
                                                   own_address):
        # No request of its own, and about one of ours: it joins that case (DESIGN.md `correspondence`).
        return ParseResult(CORRESPONDENCE, best.source, {}, [], problems, letter)
    return ParseResult(best.kind, best.source, best.fields, best.missing, problems, letter)


def parse_file(path: Path, settings: Settings) -> ParseResult:
    """`itpc parse FILE.eml`: one message file parsed with the configured offices, address and caps. A file
    outside a mailbox has no delivery time: its receipt time (for bare times and year-less dates) is the date
    of the Received: line our own server (``[mailbox] trusted_received``) put on top, else its ``Date:``."""
    offices = OfficeDirectory.load(settings.offices.directory)
    limits = Limits.of(settings.mailbox)
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        raw = fh.read(HEAD_BYTES) if size > limits.max_message_bytes else fh.read()  # over the cap: headers only
    return parse_message(raw, offices=offices, own_address=settings.outbox.sender, limits=limits,
                         received_at=receipt_time(raw, settings.mailbox.trusted_received), size=size)
