"""The outbox: every outgoing message is first `mail.queued` (its bytes archived), then sent, then recorded.

A failed send is recorded (`mail.failed`) and retried with exponential backoff; a permanent failure or a
recipient past the daily cap of automatic mail is held for an officer (`mail.held`). The transport is keyed
by the outbox id, so the embedded Maildir outbox never holds a message twice; with SMTP, the only window for
a repeat is a crash between the server's "250" and our `mail.sent` append.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

from itpc.app import App
from ledger.archive import RawArchive
from ledger.clock import parse_instant, to_utc_iso
from ledger.entries import MAIL_FAILED, MAIL_HELD, MAIL_QUEUED, MAIL_SENT
from ledger.files import FILE_MODE
from ledger.store import Ledger, flock_within
from ledger.views import OutboxItem, State
from responders.transport import PermanentSendError, TransientSendError, Transport

SEND_LOCK = "outbox.lock"   # beside the ledger: one process at a time sends what the ledger says is pending

log = logging.getLogger("itpc.outbox")


@dataclass(frozen=True)
class Outgoing:
    id: str               # stable: the same decision always yields the same ids
    request: str | None
    purpose: str          # answer, office_notice, alert, ...
    to: tuple[str, ...]
    subject: str
    raw: bytes
    date: datetime
    automatic: bool = True
    # Notices the rules require (customs offices, 1B-1029:11) must not be silenced by the cap, which guards
    # against loops with outside mailboxes; such messages are still automatic (RFC 3834 headers) but uncapped.
    capped: bool = True


def message_id(ident: str, sender: str) -> str:
    """The Message-ID of the outgoing message with outbox id ``ident``: made from the id, so a message
    rebuilt after a crash has the same one, and recorded, so a reply finds its case."""
    return f"<{re.sub(r'[^A-Za-z0-9.-]', '.', ident)}@{sender.rsplit('@', 1)[-1]}>"


def queue(ledger: Ledger, state: State, archive: RawArchive, outgoing: Outgoing, *, daily_cap: int) -> bool:
    """Record one outgoing message (once per id); hold it when a recipient is past the daily cap."""
    if outgoing.id in state.outbox:
        return False
    sha = archive.put(outgoing.raw)
    with ledger.writing():
        if outgoing.id in state.outbox:
            return False
        over = [r for r in outgoing.to if outgoing.automatic and outgoing.capped
                and automatic_count(state, r, outgoing.date) >= daily_cap]
        ledger.append(MAIL_QUEUED, {"id": outgoing.id, "request": outgoing.request, "purpose": outgoing.purpose,
                                    "to": list(outgoing.to), "subject": outgoing.subject, "sha256": sha,
                                    "date": to_utc_iso(outgoing.date), "automatic": outgoing.automatic})
        if over:
            ledger.append(MAIL_HELD, {"id": outgoing.id, "reason": f"daily cap of {daily_cap} automatic messages "
                                                                   f"reached for {', '.join(over)}"})
            log.warning("%s held: daily cap reached for %s", outgoing.id, ", ".join(over))
    return True


def automatic_count(state: State, recipient: str, moment: datetime) -> int:
    """Automatic messages already queued (not held) for a recipient on the same Vilnius calendar day."""
    return state.automatic_count(recipient, moment)


def backoff(failures: int, retry_seconds: float, max_retry_seconds: float) -> timedelta:
    """The wait after the ``failures``-th failure in a row: ``retry_seconds`` doubled each time, never longer
    than ``max_retry_seconds``."""
    exponent = min(max(failures - 1, 0), 62)  # 2 ** 63 seconds would overflow a timedelta long before the cap
    return timedelta(seconds=min(retry_seconds * 2 ** exponent, max_retry_seconds))


def due(item: OutboxItem, now: datetime, max_retry_seconds: float) -> bool:
    """Never tried, released by an officer since its last failure, or past its retry time. A retry time
    further ahead than the longest backoff was set by a clock that has since been put back: due now."""
    if not item.recent_failures:
        return True
    retry_at = item.recent_failures[-1].get("retry_at")
    if retry_at is None:
        return True
    retry_at = parse_instant(retry_at)
    return retry_at <= now or retry_at > now + timedelta(seconds=max_retry_seconds)


def flush(ledger: Ledger, state: State, archive: RawArchive, transport: Transport, *, sender: str,
          now: Callable[[], datetime], retry_seconds: float, max_retry_seconds: float) -> dict[str, int]:
    """Send every pending, due message once; record each outcome. One letter's failure is its own."""
    counts = {"sent": 0, "failed": 0, "held": 0}
    for item in sorted(state.pending_outbox(), key=lambda i: i.id):
        if not due(item, now(), max_retry_seconds):
            continue
        sha = item.queued["sha256"]
        outcome = _attempt(transport, archive.get(sha), archive.path_for(sha), sender, item)
        attempt = len(item.failures) + 1
        if isinstance(outcome, PermanentSendError):
            with ledger.writing():
                ledger.append(MAIL_FAILED, {"id": item.id, "error": str(outcome), "permanent": True,
                                            "attempt": attempt, "retry_at": None, "uncertain": False})
                ledger.append(MAIL_HELD, {"id": item.id, "reason": f"refused permanently: {outcome}"})
            counts["held"] += 1
            log.warning("%s refused permanently, held for an officer: %s", item.id, outcome)
        elif isinstance(outcome, Exception):
            # the backoff doubles with each failure since the letter was last released by an officer
            retry_at = now() + backoff(len(item.recent_failures) + 1, retry_seconds, max_retry_seconds)
            ledger.append(MAIL_FAILED, {"id": item.id, "error": str(outcome), "permanent": False,
                                        "attempt": attempt, "retry_at": to_utc_iso(retry_at),
                                        "uncertain": bool(getattr(outcome, "uncertain", False))})
            counts["failed"] += 1
            log.warning("%s not sent (attempt %d), retry at %s: %s", item.id, attempt, retry_at.isoformat(), outcome)
        else:
            ledger.append(MAIL_SENT, {"id": item.id, "answer": outcome, "at": to_utc_iso(now())})
            counts["sent"] += 1
            log.info("%s sent to %s: %s", item.id, ", ".join(item.queued["to"]), outcome)
    return counts


def _attempt(transport: Transport, raw: bytes, stored: Path, sender: str, item: OutboxItem) -> str | Exception:
    """The server's answer, or the failure: transient (retry later) or permanent (hold for an officer)."""
    try:
        return transport.send(raw, sender=sender, recipients=item.queued["to"], key=item.id, stored=stored)
    except (PermanentSendError, TransientSendError) as exc:
        return exc
    except OSError as exc:
        return TransientSendError(str(exc))
    except Exception as exc:  # a bug met by one letter must not keep every other letter from going out
        log.exception("%s: the transport failed unexpectedly", item.id)
        return PermanentSendError(f"{type(exc).__name__}: {exc}")


def send_pending(app: App, transport: Transport) -> dict[str, int]:
    """Send what is pending. Sending and recording `mail.sent` are two steps, so two processes flushing
    at once would both send what both see pending (twice over SMTP): one flusher at a time, and the next
    reads the ledger again once it holds the lock, so it finds the other's messages sent."""
    settings = app.settings
    wait = settings.ledger.lock_timeout
    with _exclusive(app.ledger_dir / SEND_LOCK, wait) as held:
        if not held:
            log.warning("another process has been sending for over %gs; what is pending is left to it "
                        "and to the next poll", wait)
            return {"sent": 0, "failed": 0, "held": 0}
        app.ledger.refresh()
        app.writable_ledger()  # never send what a pending entry says if it no longer matches its hash
        with app.ledger.group():  # the outcomes, and the Maildir outbox's files, committed once for the batch
            return flush(app.ledger, app.state, app.archive, transport, sender=settings.outbox.sender,
                         now=app.clock, retry_seconds=settings.outbox.retry_seconds,
                         max_retry_seconds=settings.outbox.max_retry_seconds)


@contextlib.contextmanager
def _exclusive(path: Path, wait: float) -> Iterator[bool]:
    """An OS file lock held for the block; yields False if another process kept it for ``wait`` seconds."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        held = flock_within(fd, wait)
        try:
            yield held
        finally:
            if held:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
