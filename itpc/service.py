"""One pass of the whole line — fetch, register, decide, answer, send — and the loop around it."""
from __future__ import annotations

import logging
import signal
import threading
from functools import cached_property
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

import schedule

from config import ItpcError, LedgerError, Settings
from ingest.mailboxes import open_source
from ingest.sources import Incoming, MailboxError, MailboxSource
from itpc import outbox
from itpc.answers import Answerer
from itpc.app import App
from itpc.failures import os_failure
from itpc.intake import Intake, read_ahead, receive, register_pending
from itpc.judge import Judge
from itpc.reading import AHEAD_FROM, ReadAhead, reading_worker
from itpc.version import version
from ledger.clock import Clock
from ledger.entries import MAIL_ACKNOWLEDGED
from responders.transport import TransientSendError, Transport, open_transport

log = logging.getLogger("itpc.run")

MAX_RETRY_SECONDS = 300.0  # the longest wait between polls that fail one after another
FETCH_BATCH = 50  # messages received and committed together before they are acknowledged
SENDER_WAKE = 10.0  # seconds: the sender also looks for due retries this often when nothing wakes it


class Sender:
    """Sends what the ledger says is pending, in a thread of its own with its own view of the ledger, so a
    slow or stuck mail server never holds up intake and decisions (each letter is bounded by
    ``outbox.send_deadline``). ``wake`` asks it to look now."""

    def __init__(self, settings: Settings, clock: Clock, transport: Transport, stop: threading.Event):
        self.app = App(settings, clock)  # not the poller's: ledger views are not shared between threads
        self.transport = transport
        self.stop = stop
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name="itpc-sender", daemon=True)

    def start(self) -> "Sender":
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.is_set():
            self.wake.clear()
            try:
                outbox.send_pending(self.app, self.transport)
            except Exception:  # a full disk, a damaged ledger: logged, and tried again
                log.exception("sending failed; trying again in %gs", SENDER_WAKE)
            self.wake.wait(SENDER_WAKE)
        self.app.close()

    def join(self) -> None:
        self.wake.set()
        # A letter in flight is bounded by the send deadline; past it the process ends anyway (daemon thread),
        # and the letter, never recorded as sent, goes out on the next start.
        self.thread.join(self.app.settings.outbox.send_deadline + 5)


class Runner:
    def __init__(self, app: App):
        self.app = app
        self.stop = threading.Event()
        self.sender: Sender | None = None  # `run` sends from its own thread; `poll --once` sends in line
        self.intake = Intake(app.ledger, app.state, app.archive, app.settings, app.offices, app.etd)
        self.judge = Judge.from_settings(app.ledger, app.state, app.settings)
        self.answerer = Answerer(app)
        self.ahead: ReadAhead | None = None  # many messages fetched: they are read on the other core meanwhile
        self.workers_tried = False

    @cached_property
    def source(self) -> MailboxSource:
        return open_source(self.app.settings.mailbox.url, self.app.settings.mailbox)

    @cached_property
    def transport(self) -> Transport:
        return open_transport(self.app.settings.outbox.url, self.app.settings.outbox)

    def fetch(self) -> dict[str, int]:
        """Take every message in the inbox, a batch at a time: each batch is received and archived, committed
        (one sync for the batch, ``Ledger.group``), and only then acknowledged in the mailbox."""
        counts = {"new": 0, "seen": 0, "duplicate": 0}
        batch: list[tuple[Incoming, str]] = []
        ledger = self.app.ledger
        with ledger.group():
            for incoming in self.source.fetch():
                status = receive(self.intake, incoming)
                counts[status] += 1
                if counts["new"] == AHEAD_FROM:
                    self.start_workers()
                elif status == "new" and self.ahead is not None:
                    self.ahead.add(self.app.state.mails[incoming.sha256])
                batch.append((incoming, status))
                if len(batch) >= FETCH_BATCH or self.stop.is_set():
                    self.acknowledge(batch)
                    batch = []
                if self.stop.is_set():
                    break
            self.acknowledge(batch)
        return counts

    def acknowledge(self, batch: list[tuple[Incoming, str]]) -> None:
        """Commit what the batch received, then acknowledge each message (and record that it was)."""
        ledger = self.app.ledger
        ledger.commit()
        self.source.acknowledge_all([incoming for incoming, _ in batch])
        for incoming, status in batch:
            if incoming.sha256 not in self.app.state.acknowledged:
                ledger.append(MAIL_ACKNOWLEDGED, {"sha256": incoming.sha256, "ref": incoming.ref})
            if status != "new":
                log.info("message %s already registered (%s); moved out of the inbox", incoming.ref, status)

    def respond(self) -> None:
        """Decide what is undecided, queue the answers decisions imply (committed together; written on the
        other core too when the poll started a worker for it), send what is due."""
        with self.app.ledger.group(), self.answerer.writing_ahead():
            self.judge.decide_pending()
            self.answerer.answer_pending()
        self.flush()

    def flush(self) -> dict[str, int]:
        """Send what is pending (one sender at a time, see ``outbox.send_pending``); under `run`, ask the
        sender thread to, and return at once."""
        if self.sender is not None:
            self.sender.wake.set()
            return {"sent": 0, "failed": 0, "held": 0}
        return outbox.send_pending(self.app, self.transport)

    def poll_once(self) -> None:
        try:
            counts = self.fetch()
            if self.stop.is_set():
                # Asked to stop: what was received is durable and is registered by the next start.
                return
            if len(self.app.state.unregistered) >= AHEAD_FROM:
                self.start_workers()  # many: read them, and write their letters, on the other core too
            with self.app.ledger.group():  # one commit for the stage, whatever the number of messages
                ahead, self.ahead = self.ahead, None
                numbers = register_pending(self.intake, after_each=self.judge.decide_pending, ahead=ahead)
            self.respond()
        finally:
            self.stop_workers()
        log.info("poll: %d new, %d already registered, %d duplicates; %d requests registered",
                 counts["new"], counts["seen"], counts["duplicate"], len(numbers))
        self.app.refresh_view()
        self.app.save_snapshot()  # `run` polls for months: its folds are saved as the ledger grows

    def start_workers(self) -> None:
        """Many messages are coming in: start the workers that read them and write their letters on the other
        core now. The reader reads what is fetched as soon as it is up, while the rest is fetched; the writer is
        ready when answering begins. Once a poll: a worker that could not be started is not tried again until
        the next."""
        if not self.workers_tried:
            self.workers_tried = True
            worker = reading_worker(self.intake.reader)
            if worker is not None:
                self.ahead = read_ahead(self.intake, worker)
                self.ahead.follow(self.app.state.unregistered_mails())
            self.answerer.writer.ahead()

    def stop_workers(self) -> None:
        if self.ahead is not None:
            self.ahead.close()
            self.ahead = None
        self.answerer.writer.stop()  # idle by now: `writing_ahead` has passed on or dropped its letters
        self.workers_tried = False

    def tick(self, work: Callable[[App], object]) -> None:
        """Scheduled work (``itpc.tick.run_tick``), computed from the ledger and the clock, then send what it
        queued. A failing tick is logged and retried a minute later: it must not stop the intake of mail."""
        try:
            work(self.app)
            self.flush()
        except Exception:
            log.exception("tick failed; retried at the next one")
        self.app.refresh_view()

    def log_start(self) -> None:
        """One line saying what this process runs on, so a log shows which version touched which ledger."""
        settings, ledger = self.app.settings, self.app.ledger
        log.info("itpc %s starting: mailbox %s, outbox %s, ledger %s (%d entries, head %s)", version(),
                 without_password(settings.mailbox.url), without_password(settings.outbox.url), ledger.directory,
                 len(ledger), ledger.head)

    def run_forever(self, *, tick: Callable[[App], object] | None = None) -> None:
        """Poll until SIGTERM/SIGINT (the current message is finished first); given the scheduled work
        (``tick``, `itpc run` gives ``itpc.tick.run_tick``), run it at start and every minute. `schedule` is only
        the trigger: each tick derives what is due from the ledger, so work missed while the process was down is
        done by the first tick. The tick is handed in, so that a poll never loads what only a tick uses."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop.set())
        self.log_start()
        self.sender = Sender(self.app.settings, self.app.clock, self.transport, self.stop).start()
        interval = self.app.settings.mailbox.idle_seconds
        scheduler = schedule.Scheduler()
        if tick is not None:
            scheduler.every(1).minutes.do(self.tick, tick)
            self.tick(tick)
        failures = 0
        while not self.stop.is_set():
            scheduler.run_pending()
            try:
                self.poll_once()
                failures = 0
                if self.stop.is_set():
                    break
                # Wake for the next tick even when the mailbox stays quiet.
                wait = interval if tick is None else max(0.0, min(interval, scheduler.idle_seconds or 0.0))
                self.source.wait(wait, self.stop)
            except (MailboxError, TransientSendError, LedgerError, OSError) as exc:
                # A server away, a full disk, a file system remounted read-only: someone fixes it, and the
                # service must then go on by itself. Nothing was lost: what was not recorded is fetched again.
                failures += 1
                delay = min(interval * 2 ** (failures - 1), MAX_RETRY_SECONDS)
                reason = os_failure(exc) if isinstance(exc, OSError) and not isinstance(exc, ItpcError) else exc
                log.error("poll failed (%d in a row), retrying in %gs: %s", failures, delay, reason)
                self.stop.wait(delay)
        self.sender.join()
        log.info("stopped cleanly")



def without_password(url: str) -> str:
    """``url`` fit for a log: a password in it (the configuration refuses one, but a log must never show it)
    is replaced by ***."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
