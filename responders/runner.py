"""One pass of the whole line — fetch, register, decide, answer, send — and the loop around it."""
from __future__ import annotations

import hashlib
import logging
import signal
import threading
from functools import cached_property

from ingest.register import Intake, receive, register_pending
from ingest.sources import MailboxSource, open_source
from ledger.app import App
from ledger.views import MAIL_ACKNOWLEDGED

from . import outbox
from .answers import Answerer
from .decide import Judge
from .transport import Transport, open_transport

log = logging.getLogger("itpc.run")


class Runner:
    def __init__(self, app: App):
        self.app = app
        self.stop = threading.Event()
        self.intake = Intake(app.ledger, app.state, app.archive, app.settings, app.offices)
        self.judge = Judge.from_settings(app.ledger, app.state, app.settings)
        self.answerer = Answerer.from_settings(app)

    @cached_property
    def source(self) -> MailboxSource:
        return open_source(self.app.settings.get("mailbox", "url"), self.app.settings)

    @cached_property
    def transport(self) -> Transport:
        return open_transport(self.app.settings.get("outbox", "url"), self.app.settings)

    def fetch(self) -> dict[str, int]:
        """Take every message in the inbox; each is acknowledged only once its ledger entry is durable."""
        counts = {"new": 0, "seen": 0, "duplicate": 0}
        for incoming in self.source.fetch():
            status = receive(self.intake, incoming)
            counts[status] += 1
            sha = hashlib.sha256(incoming.raw).hexdigest()
            self.source.acknowledge(incoming)
            if sha not in self.app.state.acknowledged:
                self.app.ledger.append(MAIL_ACKNOWLEDGED, {"sha256": sha, "ref": incoming.ref})
            if status != "new":
                log.info("message %s already registered (%s); moved out of the inbox", incoming.ref, status)
            if self.stop.is_set():
                break
        return counts

    def respond(self) -> None:
        """Decide what is undecided, queue the answers decisions imply, send what is due."""
        self.judge.decide_pending()
        self.answerer.answer_pending()
        self.flush()

    def flush(self) -> dict[str, int]:
        settings = self.app.settings
        return outbox.flush(self.app.ledger, self.app.state, self.app.archive, self.transport,
                            sender=settings.get("outbox", "from"), now=self.app.clock,
                            retry_seconds=float(settings.get("outbox", "retry_seconds")))

    def poll_once(self) -> None:
        counts = self.fetch()
        numbers = register_pending(self.intake)
        self.respond()
        log.info("poll: %d new, %d already registered, %d duplicates; %d requests registered",
                 counts["new"], counts["seen"], counts["duplicate"], len(numbers))

    def run_forever(self, *, tick: bool = True) -> None:
        """Poll until SIGTERM/SIGINT; the current message is finished before exiting."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop.set())
        interval = float(self.app.settings.get("mailbox", "idle_seconds"))
        while not self.stop.is_set():
            self.poll_once()
            if tick:
                from .tick import run_tick
                run_tick(self.app)
            self.source.wait(interval, self.stop)
        log.info("stopped cleanly")
