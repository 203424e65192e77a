"""One pass of the whole line — fetch, register, decide, answer, send — and the loop around it."""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import signal
import threading
from functools import cached_property
from pathlib import Path
from typing import Iterator

from ingest.register import Intake, receive, register_pending
from ingest.sources import MailboxError, MailboxSource, open_source
from ledger.app import App
from ledger.store import flock_within
from ledger.views import MAIL_ACKNOWLEDGED

from . import outbox
from .answers import Answerer
from .decide import Judge
from .transport import TransientSendError, Transport, open_transport

log = logging.getLogger("itpc.run")

SEND_LOCK = "outbox.lock"   # beside the ledger: one process at a time sends what the ledger says is pending


class Runner:
    def __init__(self, app: App):
        self.app = app
        self.stop = threading.Event()
        self.intake = Intake(app.ledger, app.state, app.archive, app.settings, app.offices)
        self.judge = Judge.from_settings(app.ledger, app.state, app.settings)
        self.answerer = Answerer(app)

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
        """Send what is pending. Sending and recording `mail.sent` are two steps, so two processes flushing
        at once would both send what both see pending (twice over SMTP): one flusher at a time, and the next
        reads the ledger again once it holds the lock, so it finds the other's messages sent."""
        settings = self.app.settings
        wait = float(settings.get("ledger", "lock_timeout"))
        with _exclusive(self.app.ledger_dir / SEND_LOCK, wait) as held:
            if not held:
                log.warning("another process has been sending for over %gs; what is pending is left to it "
                            "and to the next poll", wait)
                return {"sent": 0, "failed": 0, "held": 0}
            self.app.ledger.refresh()
            return outbox.flush(self.app.ledger, self.app.state, self.app.archive, self.transport,
                                sender=settings.get("outbox", "from"), now=self.app.clock,
                                retry_seconds=float(settings.get("outbox", "retry_seconds")))

    def poll_once(self) -> None:
        counts = self.fetch()
        if self.stop.is_set():
            # Asked to stop: what was received is durable and is registered by the next start.
            return
        numbers = register_pending(self.intake)
        self.respond()
        log.info("poll: %d new, %d already registered, %d duplicates; %d requests registered",
                 counts["new"], counts["seen"], counts["duplicate"], len(numbers))
        self.app.refresh_view()

    def tick(self) -> None:
        """Scheduled work, computed from the ledger and the clock, then send what it queued. A failing tick
        is logged and retried a minute later: it must not stop the intake of mail."""
        from .tick import run_tick
        try:
            run_tick(self.app)
            self.flush()
        except Exception:
            log.exception("tick failed; retried at the next one")
        self.app.refresh_view()

    def run_forever(self, *, tick: bool = True) -> None:
        """Poll until SIGTERM/SIGINT (the current message is finished first); with ``tick``, run the
        scheduled work at start and every minute. `schedule` is only the trigger: each tick derives what is
        due from the ledger, so work missed while the process was down is done by the first tick."""
        import schedule

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop.set())
        interval = float(self.app.settings.get("mailbox", "idle_seconds"))
        scheduler = schedule.Scheduler()
        if tick:
            scheduler.every(1).minutes.do(self.tick)
            self.tick()
        while not self.stop.is_set():
            scheduler.run_pending()
            try:
                self.poll_once()
                if self.stop.is_set():
                    break
                # Wake for the next tick even when the mailbox stays quiet.
                wait = interval if not tick else max(0.0, min(interval, scheduler.idle_seconds or 0.0))
                self.source.wait(wait, self.stop)
            except (MailboxError, TransientSendError) as exc:  # a server away for a while: try again later
                log.warning("mailbox or mail server unavailable, retrying in %gs: %s", interval, exc)
                self.stop.wait(interval)
        log.info("stopped cleanly")


@contextlib.contextmanager
def _exclusive(path: Path, wait: float) -> Iterator[bool]:
    """An OS file lock held for the block; yields False if another process kept it for ``wait`` seconds."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        held = flock_within(fd, wait)
        try:
            yield held
        finally:
            if held:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
