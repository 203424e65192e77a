"""Registration: a fetched message becomes `mail.received` (exactly once), then a `request.registered`, or,
for a reply about one of our cases that holds no request of its own, a `correspondence.attached` to that case.

Both steps are driven by ledger state, so a crash anywhere is repaired by the next poll: a message already
received is not received again; a received message without a request is parsed and registered.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Sequence

from config import Settings
from ingest.form_kind import CORRESPONDENCE, ETD_CONSULTATION_REPLY, NOT_A_REQUEST, case_numbers
from ingest.mime import HEAD_BYTES
from ingest.offices import OfficeDirectory
from ingest.parse import AUTO_GENERATED
from ingest.receipt import header_values
from ingest.sources import Incoming, MailboxError
from itpc import outbox
from itpc.reading import Reader, ReadAhead, Reading, unreadable
from itpc.workers import BatchWorker
from ledger.archive import RawArchive
from ledger.clock import parse_instant, to_utc_iso
from ledger.entries import (CORRESPONDENCE_ATTACHED, ETD_REPLY_ATTACHED, MAIL_DUPLICATE, MAIL_RECEIVED,
                            REQUEST_REGISTERED, Registration)
from ledger.etd_views import EtdView
from ledger.store import Ledger
from ledger.views import NUMBER_PREFIX, RequestView, State
from responders.senders import same_sender

log = logging.getLogger("itpc.ingest")

# The problem recorded on a message that refers to one of our cases this ledger does not hold (or that its
# sender is no part of): it becomes an inquiry for an officer. What it says was read, so it is acknowledged.
UNKNOWN_CASE = "refers to a case this ledger does not hold; for an officer"
ETD_FILE_NUMBER = re.compile(r"\bETD-\d{4}-\d{6}\b", re.IGNORECASE)  # ours (1B-1052:23), anywhere in a text


@dataclass
class Intake:
    ledger: Ledger
    state: State
    archive: RawArchive
    settings: Settings
    offices: OfficeDirectory
    etd: EtdView | None = None   # the ETD files a returned TC26 form joins (1B-1052:16)

    @cached_property
    def reader(self) -> Reader:
        return Reader.of(self.settings, self.offices)


def header_message_id(raw: bytes) -> str:
    """The Message-ID, read from the header block only (a prefix of the message is enough)."""
    found = header_values(raw, "Message-ID", HEAD_BYTES)  # a block that cannot be read has none: keyed by its bytes
    return " ".join(found[0].split()) if found else ""


def receive(intake: Intake, incoming: Incoming) -> str:
    """Record one fetched message; returns "new", "seen" (same bytes) or "duplicate" (same Message-ID)."""
    sha = incoming.sha256
    if intake.state.has_mail(sha):
        return "seen"
    message_id = header_message_id(incoming.head(HEAD_BYTES))
    # Durable before the ledger points at it: the mailbox's own file where the archive can keep it, else a
    # copy; a message too large to hold is copied through in chunks.
    local = incoming.local
    if incoming.spool is None:
        if local is None or not intake.archive.adopt(local.path, local.file, sha, len(incoming.raw)):
            intake.archive.put(incoming.raw)
    elif intake.archive.put_stream(incoming.chunks()) != sha:
        raise MailboxError(f"message {incoming.ref} changed while it was being archived; it is taken again next time")
    with intake.ledger.writing():  # re-checks under the lock: another poller may have just taken it
        if intake.state.has_mail(sha):
            return "seen"
        if message_id and message_id in intake.state.message_ids:
            # a second delivery of a message we hold (other Received: lines): recorded, never registered
            intake.ledger.append(MAIL_DUPLICATE, {"sha256": sha, "message_id": message_id,
                                                  "first_sha256": intake.state.message_ids[message_id],
                                                  "received_at": to_utc_iso(incoming.received_at),
                                                  "origin": incoming.origin})
            return "duplicate"
        intake.ledger.append(MAIL_RECEIVED, {"sha256": sha, "message_id": message_id, "size": incoming.size,
                                             "received_at": to_utc_iso(incoming.received_at),
                                             "origin": incoming.origin, "ref": incoming.ref})
    return "new"


def register_pending(intake: Intake, after_each: Callable[[], object] | None = None,
                     ahead: ReadAhead | None = None) -> list[str]:
    """Parse every received message that has no request yet and register it, or join it to the case it is
    about (correspondence); returns the new numbers. ``after_each`` runs after each message (the poll decides
    there), so each message meets the ledger as its predecessors left it, as if it had arrived on its own: a
    reply to a consent finds that consent even when both came in one batch. Many messages are read on
    another core meanwhile (``ahead``: the poll's, started while it fetched them; it is closed here)."""
    numbers = []
    mails = list(intake.state.unregistered_mails())
    with ahead or read_ahead(intake) as reading:
        reading.follow(mails)
        for mail in mails:
            if numbers and after_each is not None:
                after_each()
            number = register(intake, mail, kept(intake, mail, reading.reading(mail)))
            if number is not None:
                numbers.append(number)
    return numbers


def register(intake: Intake, mail: dict[str, Any], record: Registration) -> str | None:
    """Register one read message, or join it to the case or ETD file it is about; returns the new number."""
    with intake.ledger.writing():
        if mail["sha256"] in intake.state.request_by_mail:
            return None
        if record["kind"] == CORRESPONDENCE:
            case = joined_case(intake.state, record, intake.settings.outbox.sender,
                               intake.settings.institutions.free_mail)
            if case is not None:
                intake.ledger.append(CORRESPONDENCE_ATTACHED, {**record, "request": case})
                log.info("%s joined %s (correspondence)", record["message_id"] or mail["sha256"][:12], case)
                return None
            record = {**record, "kind": NOT_A_REQUEST, "problems": [*record["problems"], UNKNOWN_CASE]}
        if record["kind"] == ETD_CONSULTATION_REPLY:
            file = etd_reply_file(intake, record)
            if file is not None:
                intake.ledger.append(ETD_REPLY_ATTACHED, {**record, "file": file})
                log.info("%s joined ETD file %s (consultation reply)", record["message_id"] or mail["sha256"][:12],
                         file)
                return None
            record = {**record, "kind": NOT_A_REQUEST, "problems": [
                *record["problems"], "a TC26 answer naming no ETD file this ledger holds; for an officer"]}
        number = intake.state.next_number(NUMBER_PREFIX.get(record["kind"], "ITPC"),
                                          parse_instant(record["received_at"]))
        intake.ledger.append(REQUEST_REGISTERED, {"number": number, **with_links(intake, record)})
    log.info("%s %s kind=%s source=%s missing=%s%s", number, record["message_id"] or mail["sha256"][:12],
             record["kind"], record["source"], ",".join(record["missing"]) or "-",
             f" problems={len(record['problems'])}" if record["problems"] else "")
    return number


def etd_reply_file(intake: Intake, record: Registration) -> str | None:
    """The ETD file a returned TC26 form answers; never answered automatically."""
    if intake.etd is None:
        return None
    return reply_file(intake.etd, record, consultation_message_ids(intake.etd, intake.settings.outbox.sender))


def reply_file(view: EtdView, record: Registration, consultation_ids: dict[str, str]) -> str | None:
    """The file an answer to a consultation is about: the one whose TC26 e-mail it answers (In-Reply-To,
    References), else the first of our file numbers it names (its fields, then its subject)."""
    for ref in [record["in_reply_to"], *record["references"]]:
        if ref and ref in consultation_ids:
            return consultation_ids[ref]
    fields = record["fields"] or {}
    for text in (fields.get("file_number") or "", record["subject"]):
        for found in ETD_FILE_NUMBER.findall(text):
            if found.upper() in view.files:
                return found.upper()
    return None


def consultation_message_ids(view: EtdView, sender: str) -> dict[str, str]:
    """Message-ID of each TC26 e-mail sent -> its file."""
    return {outbox.message_id(c["mail"], sender): f.number for f in view.files.values()
            for c in f.consultations.values() if c.get("mail")}


def joined_case(state: State, record: Registration, own_address: str, free_mail: Sequence[str]) -> str | None:
    """The case a correspondence message is about: the first of our numbers it names that this ledger holds,
    looked for in the letters of ours it answers (In-Reply-To, References), then in its subject, and only when
    it comes from that case's sender or an address the case named (the same domain; the same address on a
    public mail service): a number is easy to mistype or to copy, and a stranger's message must not be read as
    part of someone's case."""
    found = earlier_case(state, record, own_address, free_mail)
    return found[0] if found else None


def with_links(intake: Intake, record: Registration) -> Registration:
    """The record with the earlier case it names, when it names one of its sender's (a new Prašymas after a
    consent, 1B-1029:14): the request keeps its own number, linked to that case, and each case's story names
    the other. Automatic mail is never linked: a bounce of our letter is no part of the conversation."""
    if record["kind"] == AUTO_GENERATED:
        return record
    found = earlier_case(intake.state, record, intake.settings.outbox.sender, intake.settings.institutions.free_mail)
    if found is None:
        return record
    case, where = found
    log.info("%s names %s (%s): linked", record["message_id"] or record["mail_sha256"][:12], case, where)
    return {**record, "links": [{"number": case, "reason": f"{where}; a request of its own"}]}


def earlier_case(state: State, record: Registration, own_address: str,
                 free_mail: Sequence[str]) -> tuple[str, str] | None:
    """(case number, where the message names it) for the case ``joined_case`` describes, or None."""
    places = (("a letter of ours it answers", [record["in_reply_to"], *record["references"]], ""),
              ("its subject", [], record["subject"]))
    for where, message_ids, subject in places:
        for number in case_numbers(subject, message_ids, own_address):
            case = state.case_of(number)
            if case is not None and from_the_case(record["sender"], case, free_mail):
                return case.number, f"names {number} in {where}"
    return None


def from_the_case(sender: str, case: RequestView, free_mail: Sequence[str]) -> bool:
    """``sender`` is the case's sender or one of the addresses it gave for answers."""
    registered = case.registered
    known = [registered.get("sender"), *(registered.get("reply_to") or []),
             *((registered.get("fields") or {}).get("reply_email") or [])]
    return any(same_sender(sender, address, free_mail) for address in known if address)


def parse_mail(intake: Intake, mail: dict[str, Any]) -> Registration:
    """What a received message says, as the `request.registered` record (without its number)."""
    return kept(intake, mail, intake.reader.read(*archived_copy(intake, mail), mail))


def read_ahead(intake: Intake, worker: BatchWorker | None = None) -> ReadAhead:
    """What reads the received messages for the registration: ``worker`` (``reading_worker``) ahead of it, or,
    without one, the registration itself as it goes."""
    return ReadAhead(intake.reader, lambda mail: archived_copy(intake, mail), worker)


def archived_copy(intake: Intake, mail: dict[str, Any]) -> tuple[bytes, int | None]:
    """The bytes of a received message to read, and its size when they are only its head (over the cap)."""
    size = mail.get("size")
    if isinstance(size, int) and size > intake.reader.limits.max_message_bytes:
        return intake.archive.head(mail["sha256"], HEAD_BYTES), size  # over the cap: only its headers are read
    return intake.archive.get(mail["sha256"]), None


def kept(intake: Intake, mail: dict[str, Any], reading: Reading) -> Registration:
    """A reading's record, once the attachments it found are in the archive (so an officer can open what was
    sent as it was); a message that could not be read is logged."""
    if reading.failure:
        log.warning("message %s could not be parsed: %s", mail["sha256"][:12], reading.failure)
    for data, filename in reading.attachments:
        intake.archive.put_attachment(data, filename)
    return reading.record


def reparse_mail(intake: Intake, mail: dict[str, Any]) -> Registration:
    """A received message parsed again from its archived copy with today's code and configuration (an officer's
    requeue): the same record ``parse_mail`` makes. A copy that is missing or no longer matches its SHA-256 is
    not read; that becomes the record's problem, as any unreadable message's does."""
    try:
        digest = intake.archive.digest(mail["sha256"])  # in chunks: the copy may be over the message cap
    except OSError as exc:
        return unreadable(mail, f"could not be read: the archived copy is missing ({exc.strerror or exc})")
    if digest != mail["sha256"]:
        return unreadable(mail, "could not be read: the archived copy no longer matches its SHA-256")
    return parse_mail(intake, mail)
