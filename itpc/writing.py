"""Letters written in line, or, while a poll answers many messages, on the machine's other core.

Writing a letter (its template, the Sutikimas, the MIME message) is pure given its ``LetterOrder``; what
follows (the archive, the outbox entry) is the answerer's, and happens in the order the letters were ordered,
whichever way they were written. A letter in flight when the process ends is simply not queued: the decision
that implies it is still unanswered in the ledger, and the next run writes it again.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from config import ItpcError
from itpc.workers import BatchWorker, start_worker
from responders.drafts import LetterOrder, Unwritable, WrittenLetter, write_letter

log = logging.getLogger("itpc.answers")

# What becomes of a written letter (or of why it could not be written): the answerer queues it.
Then = Callable[[WrittenLetter | Unwritable], object]

# Letters handed to the worker at a time.
WRITE_BATCH = 16
# Letters waiting for the worker beyond which this process writes some itself (from the end of the backlog).
BEHIND = 2 * WRITE_BATCH


@dataclass(frozen=True)
class LetterWriter:
    """``write_letter`` with the templates folder, as a picklable callable: an error that makes a letter
    unwritable is its result (the answerer records it), not the worker's failure."""
    templates: Path

    def __call__(self, order: LetterOrder) -> WrittenLetter | Unwritable:
        try:
            return write_letter(order, self.templates)
        except (ItpcError, ValueError) as exc:
            return Unwritable(str(exc))


@dataclass
class _Letter:
    ident: str
    order: LetterOrder
    then: Then
    result: WrittenLetter | Unwritable | None = None


class Writer:
    """Writes each letter it is given and passes the result to its ``then``, in the order given: at once in
    line, or, after ``ahead()``, on another core, the results passed on whenever the caller comes back
    (``write``, ``catch_up``) and all of them by ``finish``. When the worker falls behind, the caller writes
    letters from the end of its backlog itself, so both cores write and the order stays."""

    def __init__(self, templates: Path) -> None:
        self.letter_writer = LetterWriter(Path(templates))
        self.worker: BatchWorker | None = None
        self.letters: deque[_Letter] = deque()  # in the order given, not passed on yet
        self.waiting: list[_Letter] = []        # neither written nor at the worker
        self.at_worker: list[_Letter] = []
        self.given = 0         # letters given while writing ahead
        self.written_here = 0  # of them, written in line

    @property
    def in_flight(self) -> set[str]:
        """The outbox ids of the letters given and not passed on yet."""
        return {letter.ident for letter in self.letters}

    def ahead(self) -> None:
        """From now on, write on another core if this machine has one."""
        if self.worker is None:
            self.worker = start_worker("writing", self.letter_writer)
            self.given = self.written_here = 0

    def write(self, ident: str, order: LetterOrder, then: Then) -> None:
        if self.worker is None:
            then(self.letter_writer(order))
            return
        self.given += 1
        letter = _Letter(ident, order, then)
        self.letters.append(letter)
        self.waiting.append(letter)
        self.catch_up()

    def catch_up(self) -> None:
        """Pass on what is written, and keep the worker busy; write in line what it is too far behind with."""
        if self.worker is None:
            return
        if self.worker.done():
            self._take()
        if self.waiting and self.worker.ready():
            self._hand()
        while len(self.waiting) > BEHIND or (self.waiting and not self.worker.alive):
            self._write_in_line(self.waiting.pop())
        self._pass_on()

    def finish(self) -> None:
        """Pass on every letter: the worker writes its batch while this process writes the rest; then stop it."""
        if self.worker is None:
            return
        given = self.given
        while self.letters:
            if self.waiting and self.worker.ready():
                self._hand()
            if self.waiting:
                self._write_in_line(self.waiting.pop())
            elif self.at_worker:
                self._take()
            self._pass_on()
        self.stop()
        log.info("%d of %d letters written on the other core", given - self.written_here, given)

    def stop(self) -> int:
        """Stop writing ahead, dropping what is still in flight; returns how many letters were dropped."""
        dropped = len(self.letters)
        if self.worker is not None:
            self.worker.close()
            self.worker = None
        self.letters.clear()
        self.waiting, self.at_worker = [], []
        return dropped

    def _hand(self) -> None:
        batch, self.waiting = self.waiting[:WRITE_BATCH], self.waiting[WRITE_BATCH:]
        if self.worker.send([(letter.order,) for letter in batch]):
            self.at_worker = batch
        else:
            self.waiting = batch + self.waiting

    def _take(self) -> None:
        batch, self.at_worker = self.at_worker, []
        results = self.worker.results()
        if results is None or len(results) != len(batch):
            self.worker.close()
            self.waiting = batch + self.waiting  # written again, in line
            return
        for letter, result in zip(batch, results):
            letter.result = result

    def _write_in_line(self, letter: _Letter) -> None:
        self.written_here += 1
        letter.result = self.letter_writer(letter.order)

    def _pass_on(self) -> None:
        while self.letters and self.letters[0].result is not None:
            letter = self.letters.popleft()
            letter.then(letter.result)
