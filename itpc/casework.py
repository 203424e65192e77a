"""Officers' casework from the terminal: answer a case in its thread, take it, close it (ITPC functions 2.3–2.4).

Each action is a ledger entry like any other. A reply is also a letter in the outbox, queued under the same
writer lock as its `case.replied` entry, so the two exist together or not at all; it goes to whoever wrote the
case's last message, as an answer to that message (In-Reply-To, References), with the case's number in the
subject so that the next reply finds the case again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config.errors import RequestError
from ingest.mime import read_message
from itpc import outbox
from itpc.app import App
from itpc.officers import Officer, signature_context
from itpc.outbox import Outgoing
from ledger.clock import parse_instant
from ledger.entries import CASE_CLOSED, CASE_REPLIED, CASE_TAKEN, CaseReplied
from ledger.views import RequestView
from responders.compose import compose, is_message_id
from responders.letters import render_letter
from responders.senders import address_of

# Letters of ours the correspondent received, which a reply's References name (not alerts, not office notices).
THREAD_PURPOSES = ("answer", "acknowledgement", "officer_reply")
REPLY_PURPOSE = "officer_reply"
MAX_REFERENCES = 20  # the first message and the latest ones, as RFC 5322 3.6.4 suggests for long threads
# "Re:", "RE[2]:", "Fwd:", "AW:", "Atsakymas:" and the like, however many, before the subject proper.
REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|sv|ats|atsakymas|pers|persiųsta)\s*(?:\[\d+\])?\s*:\s*)+",
                          re.IGNORECASE)
GREETING = re.compile(r"^\s*laba\s+diena\s*,?\s*\n", re.IGNORECASE)
UNDECIDED = (None, "review")
NEVER_DECIDED = ("not_a_request", "auto_generated")  # kinds with nothing to decide: closed as they are


class CaseError(RequestError):
    """A casework action that cannot be done; the message says why in one line."""


@dataclass(frozen=True)
class Reply:
    number: str
    mail_id: str
    to: tuple[str, ...]
    subject: str
    in_reply_to: str
    status: str               # the letter's state once sending was tried: sent, queued, failed, held


# --- finding the case and its thread --------------------------------------------------------------------------

def case_of(app: App, number: str) -> RequestView:
    """The case ``number`` names (a request, or the request a consent answered); CaseError if none."""
    number = number.strip().upper()
    request = app.state.case_of(number)
    if request is None:
        raise CaseError(f"no request {number}; try `itpc search {number}`")
    return request


def received_messages(request: RequestView) -> list[dict[str, Any]]:
    """The case's messages as received (its own first, then those that joined it), in order of receipt."""
    messages = [request.registered, *request.correspondence]
    return sorted(messages, key=lambda m: parse_instant(m["received_at"]))


def reply_recipients(message: dict[str, Any]) -> tuple[str, ...]:
    """Where an answer to ``message`` goes: its Reply-To addresses, else its sender."""
    named = [address_of(a) for a in message.get("reply_to") or []]
    found = [a for a in named if a] or [address_of(message.get("sender"))]
    return tuple(dict.fromkeys(a for a in found if a))


def reply_subject(subject: str, number: str) -> str:
    """"Re: " and the subject of the message answered, without its own reply prefixes, with the case's number
    (kept, or added once)."""
    base = " ".join(REPLY_PREFIX.sub("", subject or "").split())
    if number.lower() not in base.lower():
        base = f"{base} – {number}" if base else number
    return f"Re: {base}"


def thread(app: App, request: RequestView, parent: dict[str, Any]) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References) of an answer to ``parent``: the thread as its writer's program knew it, then
    every message of the case in and out in time order, ``parent`` last; malformed identifiers left out."""
    sender = app.settings.outbox.sender
    dated: list[tuple[datetime, str]] = [(parse_instant(m["received_at"]), m.get("message_id") or "")
                                         for m in received_messages(request)]
    for mail_id in request.mails:
        item = app.state.outbox.get(mail_id)
        if item is not None and item.queued.get("purpose") in THREAD_PURPOSES:
            dated.append((parse_instant(item.queued["date"]), outbox.message_id(mail_id, sender)))
    parent_id = parent.get("message_id") or ""
    ordered = [*(parent.get("references") or []), *(mid for _, mid in sorted(dated, key=lambda d: d[0]))]
    references = [mid for mid in dict.fromkeys(ordered) if mid != parent_id and is_message_id(mid)]
    if is_message_id(parent_id):
        references.append(parent_id)
    if len(references) > MAX_REFERENCES:
        references = [references[0], *references[-(MAX_REFERENCES - 1):]]
    return (parent_id if is_message_id(parent_id) else None), references


# --- the actions ------------------------------------------------------------------------------------------------

def reply(app: App, number: str, text: str, *, officer: Officer) -> Reply:
    """Queue an officer's answer to the case's last message received and record it; then try to send it."""
    text = GREETING.sub("", text.strip(), count=1).strip()  # the letter greets; the officer need not twice
    if not text:
        raise CaseError("the reply is empty; nothing was sent")
    settings, now = app.settings, app.clock()
    with app.ledger.writing():
        request = case_of(app, number)
        if request.kind == "auto_generated":
            raise CaseError(f"{request.number} is automatic mail ({request.registered.get('auto_generated')}); "
                            "it is never answered")
        parent = received_messages(request)[-1]
        to = reply_recipients(parent)
        if not to:
            raise CaseError(f"{request.number}: its last message names no address to answer")
        in_reply_to, references = thread(app, request, parent)
        mail_id = f"{request.number}/reply/{len(replies_queued(app, request)) + 1}"
        letter = render_letter(REPLY_PURPOSE, {"request_no": request.number, "text": text,
                                               "subject": reply_subject(parent.get("subject") or "", request.number),
                                               **signature_context(officer)},
                               templates_dir=settings.templates.directory)
        raw = compose(sender=settings.outbox.sender, to=to, subject=letter.subject, body=letter.body,
                      message_id=outbox.message_id(mail_id, settings.outbox.sender), in_reply_to=in_reply_to,
                      references=references, automatic=False, date=now)
        # A person's letter: neither marked automatic nor counted by the daily cap of automatic mail.
        outbox.queue(app.ledger, app.state, app.archive,
                     Outgoing(id=mail_id, request=request.number, purpose=REPLY_PURPOSE, to=to,
                              subject=letter.subject, raw=raw, date=now, automatic=False, capped=False),
                     daily_cap=settings.outbox.daily_cap)
        record: CaseReplied = {"request": request.number, "mail": mail_id, "to": list(to), "subject": letter.subject,
                               "in_reply_to": in_reply_to or "", "text": text, "by": officer.login,
                               "officer_name": officer.name, "officer_position": officer.position}
        app.ledger.append(CASE_REPLIED, record)
    return Reply(request.number, mail_id, to, letter.subject, in_reply_to or "", "queued")


def take(app: App, number: str, *, officer: str) -> str:
    """Claim a case; returns what was done, in a line ("taken", or "taken over from …", or already yours)."""
    with app.ledger.writing():
        request = case_of(app, number)
        if request.closed is not None:
            raise CaseError(f"{request.number} is closed ({request.closed.get('reason')}); a new message about it "
                            "reopens it")
        previous = request.taken_by
        if previous == officer:
            return f"{request.number}: already taken by {officer}"
        app.ledger.append(CASE_TAKEN, {"request": request.number, "by": officer, "previous": previous})
    return f"{request.number}: taken by {officer}" + (f" (over from {previous})" if previous else "")


def close(app: App, number: str, *, reason: str, officer: str) -> str:
    """Close an inquiry or a conversation: it leaves the officer queue until a new message about it comes.
    A request still waiting for its decision is not closed: deciding it is what answers it."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise CaseError("close needs --reason (why the case needs nothing more)")
    with app.ledger.writing():
        request = case_of(app, number)
        if request.closed is not None:
            raise CaseError(f"{request.number} is already closed (by {request.closed.get('by')}: "
                            f"{request.closed.get('reason')})")
        outcome = (request.decision or {}).get("outcome")
        if request.kind not in NEVER_DECIDED and outcome in UNDECIDED:
            raise CaseError(f"{request.number} is a {request.kind} request not decided yet ({outcome or 'open'}); "
                            f"decide it first: itpc decide {request.number} …")
        app.ledger.append(CASE_CLOSED, {"request": request.number, "reason": reason, "by": officer})
    return f"{request.number}: closed by {officer}"


def replies_queued(app: App, request: RequestView) -> list[str]:
    """The outbox ids of the officers' replies queued for the case (counted from the outbox, not from the
    `case.replied` entries, so a reply whose entry a crash kept from being written is not numbered twice)."""
    return [m for m in request.mails if m in app.state.outbox
            and app.state.outbox[m].queued.get("purpose") == REPLY_PURPOSE]


def first_lines(app: App, sha256: str, count: int = 3, width: int = 100) -> list[str]:
    """The first non-empty lines a received message says (its own text, without the quoted history), read from
    the archive, for an officer who scans a conversation; none when the copy is missing or unreadable."""
    path = app.archive.path_for(sha256) if sha256 else None
    limits = app.settings.mailbox
    try:
        if path is None or path.stat().st_size > limits.max_message_bytes:
            return []
        letter = read_message(app.archive.get(sha256), max_attachment_bytes=limits.max_attachment_bytes,
                              max_message_bytes=limits.max_message_bytes, own_address=app.settings.outbox.sender)
    except Exception:  # noqa: BLE001 — a message that cannot be read shows no lines; `show` still shows the rest
        return []
    lines = [" ".join(line.split()) for line in letter.text.splitlines() if line.strip()]
    return [line if len(line) <= width else line[:width - 1] + "…" for line in lines[:count]]


def letter_status(app: App, mail_id: str) -> str:
    """Where a queued letter stands: sent, held (with why), failed (will be retried), or queued."""
    app.ledger.refresh()
    item = app.state.outbox.get(mail_id)
    if item is None:
        return "not queued"
    if item.sent is not None:
        return "sent"
    if item.held is not None:
        return f"held: {item.held.get('reason')}"
    if item.failures:
        return f"not sent yet ({item.failures[-1].get('error')}); `itpc run` tries again"
    return "queued"
