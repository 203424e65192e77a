"""`--dry-run` (issue 13 item 9): what a command would record and the letters it would send, printed; nothing
appended, stored or sent.

A command rehearses by calling ``App.rehearse()`` before it opens the ledger, then runs its own code as usual
(the ledger and archive keep what it writes in memory, ``ledger.rehearsal``) and queues its letters without
sending them; ``rehearsal_report`` then tells what would have been recorded and shows each letter queued: its
recipients, subject, text and the files attached.
"""
from __future__ import annotations

import email
import email.policy
from collections import Counter
from email.message import EmailMessage
from typing import Callable

from itpc.app import App
from ledger.entries import MAIL_QUEUED
from ledger.store import Entry

HEADLINE = "Dry run: nothing was recorded and nothing was sent."


def rehearsal_report(app: App, *, keep: Callable[[Entry], bool] = lambda entry: True) -> str:
    """The rehearsal's entries by type, then each letter queued that ``keep`` accepts (its `mail.queued`)."""
    rehearsed = list(getattr(app.ledger, "rehearsed", ()))
    counts = Counter(entry.type for entry in rehearsed)
    would = ", ".join(f"{kind} ×{n}" if n > 1 else kind for kind, n in counts.items()) or "nothing"
    letters = [entry for entry in rehearsed if entry.type == MAIL_QUEUED and keep(entry)]
    out = [HEADLINE, f"Would record: {would}.", f"Would send {len(letters)} letter{'' if len(letters) == 1 else 's'}."]
    for n, entry in enumerate(letters, 1):
        out += ["", f"--- letter {n} of {len(letters)}: {entry.data['purpose']} ({entry.data['id']})",
                *letter_lines(email.message_from_bytes(app.archive.get(entry.data["sha256"]),
                                                       policy=email.policy.default))]
    return "\n".join(out)


def letter_lines(message: EmailMessage) -> list[str]:
    """A letter as an officer checks it: recipients, subject, attachments by name, then the text."""
    lines = [f"To: {message['To']}"] + ([f"Cc: {message['Cc']}"] if message["Cc"] else [])
    lines.append(f"Subject: {message['Subject']}")
    for part in message.iter_attachments():
        size = len(part.get_payload(decode=True) or b"")
        lines.append(f"Attachment: {part.get_filename()} ({part.get_content_type()}, {size} bytes)")
    text = message.get_body(preferencelist=("plain",))
    lines += ["", text.get_content().replace("\r\n", "\n").rstrip("\n") if text is not None else "(no text part)"]
    return lines
