"""A Maildir inbox (the embedded default): new mail in new/, registered mail moved to cur/ with the S flag.

The inbox is every file in new/ plus every file in cur/ not yet flagged S ("seen"), taken in order of receipt:
the receipt time of its headers (`receipt_time`), else the file's mtime, then the file name. A message is
identified by the unique part of its file name (before ":2,"), which survives the move to cur/.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ingest.receipt import HEADER_LIMIT, receipt_time
from ingest.sources import Incoming, MailboxError
from ledger.files import make_folders

log = logging.getLogger("itpc.ingest.maildir")

INFO_SEP = ":2,"      # Maildir "info" suffix: the flags follow, in ASCII order
SEEN = "S"
POLL_SECONDS = 1.0    # how often `wait` looks at new/


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


def flags_of(name: str) -> str:
    return name.split(INFO_SEP, 1)[1] if INFO_SEP in name else ""


class MaildirSource:
    def __init__(self, path: Path):
        self.path = Path(path)
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
            try:
                raw = (self.path / item.folder / item.name).read_bytes()
            except FileNotFoundError:
                # Taken between listing and reading (another poller, a person): nothing to do here.
                log.info("maildir %s: %s/%s vanished before it was read; skipped", self.path, item.folder,
                         item.name)
                continue
            yield Incoming(ref=item.unique, raw=raw, received_at=item.received_at,
                           origin={"maildir": str(self.path), "file": item.name, "folder": item.folder})

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
        """Receipt time from the headers, else the file's mtime (UTC); None if the file is gone."""
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
        moment = receipt_time(head)
        if moment is None:
            moment = datetime.fromtimestamp(mtime, timezone.utc)
        return moment.astimezone(timezone.utc)

    # -- acknowledging ----------------------------------------------------------------------------------
    def acknowledge(self, incoming: Incoming) -> None:
        """Move the message to cur/ with the S flag (other flags kept); a second call does nothing."""
        unique = unique_name(incoming.ref)
        for folder in ("new", "cur"):
            for name in self._names(folder):
                if unique_name(name) != unique:
                    continue
                flags = flags_of(name)
                if folder == "cur" and SEEN in flags:
                    return
                target = self.path / "cur" / f"{unique}{INFO_SEP}{''.join(sorted(set(flags + SEEN)))}"
                try:
                    os.rename(self.path / folder / name, target)
                except FileNotFoundError:
                    continue  # moved by someone else a moment ago; look again in cur/
                return
        log.info("maildir %s: %s is no longer in the inbox; nothing to acknowledge", self.path, unique)

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
