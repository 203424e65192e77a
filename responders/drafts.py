"""A letter as data, and the pure function that writes it: what the answerer decided to say (a template, its
context, the Sutikimas to attach, files to attach as they are) and how it is addressed and dated become the
message's bytes. Being data, an order can be written in line or on another core (``itpc.writing``), with the
same bytes either way.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from responders.compose import compose
from responders.letters import render_letter
from responders.sutikimas import SutikimasDoc, render_sutikimas

# (file name, MIME type, bytes)
AttachedFile = tuple[str, str, bytes]


@dataclass(frozen=True)
class Draft:
    """What a letter says: template ``letter`` filled with ``context`` (signature included), the Sutikimas
    to attach, if any, and files attached as they are (a copy of the request)."""
    letter: str
    context: dict[str, Any]
    sutikimas: SutikimasDoc | None = None
    files: tuple[AttachedFile, ...] = ()

    def rendered(self, templates: Path) -> tuple[str, str, list[AttachedFile]]:
        """Subject, body and attachments."""
        letter = render_letter(self.letter, self.context, templates_dir=templates)
        attachments = list(self.files)
        if self.sutikimas is not None:
            attachments.append((f"Sutikimas {self.sutikimas.number}.pdf", "application/pdf",
                                render_sutikimas(self.sutikimas)))
        return letter.subject, letter.body, attachments


@dataclass(frozen=True)
class LetterOrder:
    """A draft with its envelope: who sends it to whom, its Message-ID, what it answers, when it is written."""
    draft: Draft
    sender: str
    to: tuple[str, ...]
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    date: datetime


@dataclass(frozen=True)
class WrittenLetter:
    subject: str
    raw: bytes


@dataclass(frozen=True)
class Unwritable:
    """Why a letter could not be written from what it was given (for the record, and an officer)."""
    reason: str

    def __str__(self) -> str:
        return self.reason


def write_letter(order: LetterOrder, templates: Path) -> WrittenLetter:
    """The message ``order`` describes, as bytes. Raises ``ItpcError`` or ``ValueError`` (a template or value
    the letter cannot be written from, a header that would inject) for a letter that cannot be written."""
    subject, body, attachments = order.draft.rendered(templates)
    raw = compose(sender=order.sender, to=order.to, subject=subject, body=body, message_id=order.message_id,
                  in_reply_to=order.in_reply_to, references=order.references, automatic=True,
                  attachments=attachments, date=order.date)
    return WrittenLetter(subject, raw)
