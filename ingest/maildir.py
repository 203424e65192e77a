"""A Maildir inbox (the embedded default): new mail in new/, registered mail moved to cur/ with the S flag.

The inbox is every file in new/ plus every file in cur/ not yet flagged S ("seen"), taken in order of receipt,
then of file name. The receipt time is the date of the Received: line one of our own servers put on top
(`receipt_time`, ``[mailbox] trusted_received``), else the delivery time: the seconds a standard Maildir
file name begins with ("1732950000.M123P456.host", set by the delivery agent), else the file's mtime. The
sender's own Received: lines and Date: are never used: a backdated message must not leave the 30-day count.
A message is identified by the unique part of its file name (before ":2,"), which survives the move to cur/.
A message over ``max_message_bytes`` is not read into memory: it is handed on as its open file (`Incoming.spool`).
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ingest.receipt import HEADER_LIMIT, receipt_time
from ingest.sources import Incoming, LocalFile, MailboxError
from ledger.files import make_folders

log = logging.getLogger("itpc.ingest.maildir")

INFO_SEP = ":2,"      # Maildir "info" suffix: the flags follow, in ASCII order
SEEN = "S"
POLL_SECONDS = 1.0    # how often `wait` looks at new/
# The delivery time a Maildir file name starts with: 9 or more digits (from 1973 on), then a dot.
_DELIVERY_SECONDS = re.compile(r"^([0-9]{9,11})\.")


@dataclass(frozen=True)
class _Listed:
    name: str            # the file name as it is now
    folder: str          # "new" or "cur"
    received_at: datetime

    @property
    def unique(self) -> str:
        return unique_name(self.name)


def unique_name(name: str) -> str:
    """The part of a Maildir file name that never changes (flags are after ':2,')."""
    return name.split(INFO_SEP, 1)[0]


def delivery_time(name: str) -> datetime | None:
    """The delivery time a standard Maildir file name begins with ("1732950000.M123P456.host"), or None."""
    found = _DELIVERY_SECONDS.match(name)
    if found is None:
        return None
    try:
        return datetime.fromtimestamp(int(found.group(1)), timezone.utc)
    except (OverflowError, OSError, ValueError):  # past what the platform's clock can hold
        return None


def flags_of(name: str) -> str:
    return name.split(INFO_SEP, 1)[1] if INFO_SEP in name else ""


class MaildirSource:
    def __init__(self, path: Path, *, trusted_received: Iterable[str] = (), max_message_bytes: int | None = None):
        """``trusted_received``: our own mail servers' host names; ``max_message_bytes``: above it a message is
        handed on as its open file, never read into memory (None: every message is read)."""
        self.path = Path(path)
        self.trusted_received = tuple(trusted_received)
        self.max_message_bytes = max_message_bytes
        try:
            for sub in ("new", "cur", "tmp"):
                make_folders(self.path / sub)
        except OSError as exc:
            raise MailboxError(f"Maildir {self.path}: cannot create it ({exc.strerror})") from None

    def __repr__(self) -> str:
        return f"MaildirSource({str(self.path)!r})"

    # -- listing ----------------------------------------------------------------------------------------
    def fetch(self) -> Iterator[Incoming]:
        for item in sorted(self._list(), key=lambda i: (i.received_at, i.unique)):
            incoming = self._read(item)
            if incoming is None:
                continue
            try:
                yield incoming
            finally:
                incoming.close()

    def _read(self, item: _Listed) -> Incoming | None:
        origin = {"maildir": str(self.path), "file": item.name, "folder": item.folder}
        path = self.path / item.folder / item.name
        try:
            fh = open(path, "rb")
        except FileNotFoundError:
            # Taken between listing and reading (another poller, a person): nothing to do here.
            log.info("maildir %s: %s/%s vanished before it was read; skipped", self.path, item.folder, item.name)
            return None
        try:
            if self.max_message_bytes is not None and os.fstat(fh.fileno()).st_size > self.max_message_bytes:
                # Too large to hold: the open file goes on (it stays readable even once moved to cur/).
                return Incoming(ref=item.unique, raw=b"", received_at=item.received_at, origin=origin, spool=fh)
            raw = fh.read()
        except BaseException:
            fh.close()
            raise
        return Incoming(ref=item.unique, raw=raw, received_at=item.received_at, origin=origin,
                        local=LocalFile(path, fh))

    def _list(self) -> list[_Listed]:
        listed = []
        for folder in ("new", "cur"):
            for name in self._names(folder):
                if folder == "cur" and SEEN in flags_of(name):
                    continue
                moment = self._receipt(folder, name)
                if moment is not None:
                    listed.append(_Listed(name, folder, moment))
        return listed

    def _names(self, folder: str) -> list[str]:
        try:
            with os.scandir(self.path / folder) as entries:
                # Dot files are editors' and tools' leftovers, never mail (Maildir delivers into tmp/).
                return [e.name for e in entries if not e.name.startswith(".") and e.is_file()]
        except FileNotFoundError:
            raise MailboxError(f"Maildir {self.path}: {folder}/ is missing") from None
        except OSError as exc:
            raise MailboxError(f"Maildir {self.path}: cannot list {folder}/ ({exc.strerror})") from None

    def _receipt(self, folder: str, name: str) -> datetime | None:
        """Our own server's Received: date, else the delivery time of the file name, else the file's mtime
        (UTC); None if the file is gone."""
        path = self.path / folder / name
        try:
            with open(path, "rb") as fh:
                head = fh.read(HEADER_LIMIT)
                mtime = os.fstat(fh.fileno()).st_mtime
        except FileNotFoundError:
            return None
        except OSError as exc:  # unreadable (permissions...): one bad file must not stop the inbox
            log.warning("maildir %s: cannot read %s/%s (%s); left in place", self.path, folder, name, exc.strerror)
            return None
        moment = receipt_time(head, self.trusted_received) or delivery_time(name)
        if moment is None:
            moment = datetime.fromtimestamp(mtime, timezone.utc)
        return moment.astimezone(timezone.utc)

    # -- acknowledging ----------------------------------------------------------------------------------
    def acknowledge(self, incoming: Incoming) -> None:
        """Move the message to cur/ with the S flag (other flags kept); a second call does nothing. The file is
        first looked for where it was read from (no listing: acknowledging a batch costs one rename a message),
        then, if it moved since, in both folders."""
        unique = unique_name(incoming.ref)
        folder, name = incoming.origin.get("folder"), incoming.origin.get("file")
        if folder in ("new", "cur") and name and unique_name(name) == unique and self._move(folder, name):
            return
        for folder in ("new", "cur"):
            for name in self._names(folder):
                if unique_name(name) != unique:
                    continue
                if self._move(folder, name):
                    return
        log.info("maildir %s: %s is no longer in the inbox; nothing to acknowledge", self.path, unique)

    def acknowledge_all(self, incomings: Sequence[Incoming]) -> None:
        for incoming in incomings:  # one rename each: nothing to gain by grouping them
            self.acknowledge(incoming)

    def _move(self, folder: str, name: str) -> bool:
        """Flag ``folder/name`` seen in cur/; False if it is not there (moved by someone else a moment ago)."""
        flags = flags_of(name)
        if folder == "cur" and SEEN in flags:
            return (self.path / folder / name).exists()
        target = self.path / "cur" / f"{unique_name(name)}{INFO_SEP}{''.join(sorted(set(flags + SEEN)))}"
        try:
            os.rename(self.path / folder / name, target)
        except FileNotFoundError:
            return False
        return True

    # -- waiting ----------------------------------------------------------------------------------------
    def wait(self, seconds: float, stop: threading.Event | None = None) -> None:
        """Sleep up to ``seconds``, looking at new/ every second; return as soon as a new file arrives."""
        stop = stop or threading.Event()
        before = set(self._names("new"))
        deadline = time.monotonic() + max(0.0, seconds)
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if stop.wait(min(POLL_SECONDS, remaining)):
                return
            if set(self._names("new")) - before:
                return

    def close(self) -> None:
        pass
