"""A rehearsal of a command (`--dry-run`): the real ledger and archive, read as usual, with every append and
every stored file kept in memory only, so the command runs its own code to the end and the files on disk are
left byte for byte as they were.

``RehearsalLedger.rehearsed`` holds the entries the command would have appended, in order; folds subscribed to
the ledger see them as they would see real ones. ``RehearsalArchive`` keeps what would have been stored (the
letters' bytes) and reads everything else from the real archive.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import datetime
from typing import Any, Iterable, Iterator, Mapping

from config.errors import LedgerError
from ledger.archive import RawArchive
from ledger.store import Entry, Ledger, entry_hash, thaw, utc_iso


class RehearsalLedger(Ledger):
    def __init__(self, *args: Any, **kwargs: Any):
        self.rehearsed: list[Entry] = []
        super().__init__(*args, **kwargs)

    @contextlib.contextmanager
    def writing(self) -> Iterator["Ledger"]:
        """No writer lock (nothing is written); entries other processes append are folded in until the
        rehearsal's first own entry, after which the chain in memory is this process's alone."""
        with self._thread_lock:
            self._depth += 1
            try:
                if self._depth == 1 and not self.rehearsed:
                    self._fold_new()
                    self.require_intact()
                yield self
            finally:
                self._depth -= 1

    def append(self, type_: str, data: Mapping[str, Any], *, ts: datetime | None = None) -> Entry:
        """The entry the real ledger would append, chained and hashed alike, kept in memory."""
        plain = json.loads(json.dumps(thaw(data)))
        with self.writing():
            seq, prev, stamp = self._seq + 1, self._head, utc_iso(ts or self.clock())
            entry = self._accept({"seq": seq, "ts": stamp, "type": type_, "data": plain, "prev": prev,
                                  "hash": entry_hash(seq, stamp, type_, plain, prev)}, seq)
            self.rehearsed.append(entry)
            return entry

    def refresh(self) -> None:
        if not self.rehearsed:
            super().refresh()

    def _recover_torn_tail(self, torn: bytes) -> None:
        raise LedgerError(f"{self.path}: the last line is torn (a crash mid-append); run a command without "
                          "--dry-run first, which sets it aside")


class RehearsalArchive(RawArchive):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.kept: dict[str, bytes] = {}

    def put(self, raw: bytes) -> str:
        digest = hashlib.sha256(raw).hexdigest()
        self.kept[digest] = bytes(raw)
        return digest

    def put_stream(self, chunks: Iterable[bytes]) -> str:
        return self.put(b"".join(chunks))

    def adopt(self, *args: Any, **kwargs: Any) -> bool:
        return False  # a link would add a name to the real archive: the caller keeps a copy (``put``) instead

    def put_attachment(self, data: bytes, filename: str = "") -> str:
        return self.put(data)

    def get(self, sha256: str) -> bytes:
        return self.kept[sha256] if sha256 in self.kept else super().get(sha256)

    def __contains__(self, sha256: str) -> bool:
        return sha256 in self.kept or super().__contains__(sha256)
