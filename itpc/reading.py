"""What a received message says, read from its archived bytes: the `request.registered` record (without its
number) and the attachments to keep apart. Reading is pure given the bytes and the configuration, so it can
run in line or on the machine's other core (``ReadAhead``): a poll that has many messages reads them in a
worker process from the moment they are fetched, while it fetches the rest and then registers and decides
them, and the records are the same either way.

The worker only reads. The archive, the ledger and the log stay the main process's: it sends the bytes it
read from the archive and keeps the attachments the worker found. A worker that dies or fails (killed, out of
memory) costs nothing but time: that message and the rest are read in line, as they would be without it.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from config import Settings
from ingest.authresults import authentication_verdict
from ingest.offices import OfficeDirectory
from ingest.parse import Limits, parse_message
from itpc.workers import BatchWorker, start_worker
from ledger.clock import parse_instant
from ledger.entries import Attachment, Authentication, Registration
from responders.senders import domain_of

log = logging.getLogger("itpc.ingest")

# Fewer waiting messages than this are read in line: a worker's start (a new interpreter importing the
# readers, ≈0.3 s on one core) would cost more than it saves.
AHEAD_FROM = 16
# Messages a batch handed to the worker holds, and at most its bytes: enough to keep it busy while the main
# process registers and decides the batch before, few enough that a poll asked to stop has little
# read in vain.
AHEAD_BATCH = 16
AHEAD_BATCH_BYTES = 4 << 20
# Larger messages are read in line: their bytes would sit in two processes' memory, and what costs time in
# them (their documents) is read in a sandboxed child anyway.
AHEAD_MAX_BYTES = 1 << 20
# Read and not yet registered: at most this many bytes of messages are read ahead (an inbox of many thousands
# is read ahead as the poll registers it, not all while it fetches).
AHEAD_HELD_BYTES = 64 << 20


@dataclass(frozen=True)
class Reading:
    """One message read: its record, the attachments to keep (bytes, file name), and, when nothing could be
    read from it, why (for the log; the record carries it as a problem too)."""
    record: Registration
    attachments: tuple[tuple[bytes, str], ...] = ()
    failure: str = ""


@dataclass(frozen=True)
class Reader:
    """The configuration reading needs, small enough to hand to a worker process once."""
    limits: Limits
    own_address: str
    authserv_id: tuple[str, ...]
    trusted_received: tuple[str, ...]
    offices: OfficeDirectory

    @classmethod
    def of(cls, settings: Settings, offices: OfficeDirectory) -> "Reader":
        return cls(Limits.of(settings.mailbox), settings.outbox.sender, tuple(settings.mailbox.authserv_id),
                   tuple(settings.mailbox.trusted_received), offices)

    def read(self, raw: bytes, size: int | None, mail: dict[str, Any]) -> Reading:
        """Parse a received message's archived bytes (``size`` set: ``raw`` is only the head of a message over
        the cap). Bad input never raises: it becomes a record with its reason, for an officer."""
        try:
            result = parse_message(raw, offices=self.offices, own_address=self.own_address, limits=self.limits,
                                   received_at=parse_instant(mail["received_at"]), size=size)
        except Exception as exc:  # noqa: BLE001 - whatever the bytes provoke, the poll goes on
            failure = f"{type(exc).__name__}: {exc}"
            return Reading(unreadable(mail, f"could not be read: {failure}"), failure=failure)
        letter = result.letter
        verdict = authentication_verdict(raw, self.authserv_id, self.trusted_received, domain_of(letter.sender))
        record = registration(
            mail, kind=result.kind, source=result.source, fields=result.fields, missing=list(result.missing),
            problems=list(result.problems), sender=letter.sender, sender_name=letter.sender_name,
            reply_to=list(letter.reply_to), subject=letter.subject, in_reply_to=letter.in_reply_to or "",
            references=list(letter.references), fax_sender=letter.fax_sender, auto_generated=letter.auto_generated,
            attachments=[{"filename": a.filename, "content_type": a.content_type, "size": a.size,
                          "sha256": hashlib.sha256(a.data).hexdigest()} for a in letter.attachments],
            authentication=verdict)
        return Reading(record, tuple((a.data, a.filename or "") for a in letter.attachments))


def unreadable(mail: dict[str, Any], problem: str) -> Registration:
    """The record of a message nothing could be read from: not a request, for an officer, with the reason."""
    return registration(mail, kind="not_a_request", source="body", problems=[problem])


def registration(mail: dict[str, Any], *, kind: str, source: str, fields: dict[str, Any] | None = None,
                 missing: list[str] | None = None, problems: list[str] | None = None, sender: str = "",
                 sender_name: str = "", reply_to: list[str] | None = None, subject: str = "",
                 in_reply_to: str = "", references: list[str] | None = None, fax_sender: str | None = None,
                 auto_generated: str | None = None, attachments: list[Attachment] | None = None,
                 authentication: Authentication | None = None) -> Registration:
    """The one place the registration record is built (its keys in the order the ledger has always held
    them, so the bytes written stay the same); what was not read from the message is empty, and a message
    without our server's authentication verdict has no ``authentication`` key at all."""
    record: Registration = {
        "mail_sha256": mail["sha256"], "message_id": mail.get("message_id") or "",
        "received_at": mail["received_at"], "kind": kind, "source": source, "fields": fields or {},
        "missing": missing or [], "problems": problems or [], "sender": sender, "sender_name": sender_name,
        "reply_to": reply_to or [], "subject": subject, "in_reply_to": in_reply_to,
        "references": references or [], "fax_sender": fax_sender, "auto_generated": auto_generated,
        "attachments": attachments or []}
    if authentication is not None:
        record["authentication"] = authentication
    return record


def reading_worker(reader: Reader) -> BatchWorker | None:
    """A worker that reads messages as ``reader`` does, starting now (None: they are read in line)."""
    return start_worker("reading", reader.read)


class ReadAhead:
    """Reads received messages on another core ahead of their registration: from the moment the poll has
    fetched them (``add``, while it fetches the rest) and then in the order they are registered (``follow``).

    ``reading(mail)`` returns what a message says: the worker's reading when it has one, else read in line.
    One batch is at the worker at a time; while it is read, the main process fetches, or registers and
    decides, the messages before. ``bytes_of(mail)`` gives the bytes to read (the main process's archive).
    Use as a context manager: leaving it stops the worker."""

    def __init__(self, reader: Reader, bytes_of: Callable[[dict[str, Any]], tuple[bytes, int | None]],
                 worker: BatchWorker | None = None) -> None:
        """``worker``: one started for ``reader`` (``reading_worker``), or None: all is read in line. It is
        closed when this ends."""
        self.reader = reader
        self.bytes_of = bytes_of
        self.worker = worker
        self.waiting: dict[str, dict[str, Any]] = {}   # sha256 -> mail: to hand to the worker, in this order
        self.at_worker: list[dict[str, Any]] = []      # the batch the worker is reading
        self.read: dict[str, Reading] = {}             # what it read, not asked for yet
        self.held = 0                                  # the bytes of the messages in ``read``
        self.read_here = 0                             # messages read in line
        self.asked = 0                                 # readings asked for
        self.closed = False

    def __enter__(self) -> "ReadAhead":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.worker is not None and not self.closed:
            self.closed = True
            self.worker.close()
            log.info("%d of %d messages read on the other core", self.asked - self.read_here, self.asked)

    def add(self, mail: dict[str, Any]) -> None:
        """A message just fetched: read it ahead when the worker is free (never waits)."""
        if self.worker is not None:
            self.waiting[mail["sha256"]] = mail
            self.pump()

    def follow(self, mails: Sequence[dict[str, Any]]) -> None:
        """The order the messages will be asked for: what is not read or being read goes to the worker in it."""
        if self.worker is not None:
            busy = {mail["sha256"] for mail in self.at_worker}
            self.waiting = {mail["sha256"]: mail for mail in mails
                            if mail["sha256"] not in self.read and mail["sha256"] not in busy}
            self.pump()

    def pump(self) -> None:
        """Take the worker's batch if it is read, and hand it the next one if it is free (never waits)."""
        if self.at_worker and self.worker is not None and self.worker.done():
            self._collect()
        if not self.at_worker and self.worker is not None and self.worker.ready():
            self._hand()

    def reading(self, mail: dict[str, Any]) -> Reading:
        self.asked += 1
        sha = mail["sha256"]
        if any(m["sha256"] == sha for m in self.at_worker):
            self._collect()
        found = self.read.pop(sha, None)
        if found is not None:
            self.held -= mail.get("size") or 0
            self.pump()
            return found
        self.waiting.pop(sha, None)
        self.pump()
        self.read_here += 1
        return self.reader.read(*self.bytes_of(mail), mail)

    def _collect(self) -> None:
        """Take the batch the worker read (waiting for it), and hand it the next one."""
        batch, self.at_worker = self.at_worker, []
        readings = self.worker.results() if self.worker is not None else None
        if readings is None or len(readings) != len(batch):
            return  # the worker failed: the batch is read in line
        for mail, found in zip(batch, readings):
            self.read[mail["sha256"]] = found
            self.held += mail.get("size") or 0
        self._hand()

    def _hand(self) -> None:
        """Send the worker the next waiting messages: small ones only (a large one is read in line), and none
        while what it read and nobody asked for yet holds ``AHEAD_HELD_BYTES`` (a long fetch reads no further)."""
        batch, size = [], 0
        while (self.waiting and len(batch) < AHEAD_BATCH and size < AHEAD_BATCH_BYTES
               and self.held + size < AHEAD_HELD_BYTES):
            sha = next(iter(self.waiting))
            mail = self.waiting.pop(sha)
            mail_size = mail.get("size")
            if isinstance(mail_size, int) and mail_size <= AHEAD_MAX_BYTES:
                batch.append(mail)
                size += mail_size
        if batch and self.worker is not None and self.worker.send([(*self.bytes_of(m), m) for m in batch]):
            self.at_worker = batch
