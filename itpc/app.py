"""The imperative shell's wiring: settings, clock, ledger, folded state and archive, opened once per command.

Every view folded from the ledger (``State``, the AFIS users, the archive paths checkpoints digest, any other
fold asked for with ``App.fold``) starts from the saved snapshot (``ledger.snapshot``) when one holds, and
folds only the entries after it; ``close`` saves them again once the ledger has moved ``[ledger]
snapshot_every`` entries past it.
"""
from __future__ import annotations

import contextlib
import importlib
import logging
import sqlite3
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from config import Settings
from config.errors import LedgerError
from ingest.offices import OfficeDirectory
from ledger.archive import RawArchive
from ledger.checkpoints import ArchivePaths, Checkpointer, load_private_key
from ledger.clock import Clock
from ledger.etd_views import EtdView
from ledger.rehearsal import RehearsalArchive, RehearsalLedger
from ledger.request_index import RequestIndex
from ledger.snapshot import SnapshotStore, fold_name
from ledger.store import LEDGER_FILE, Ledger, Position, StalePosition, check_file
from ledger.views import State

log = logging.getLogger("itpc")

ARCHIVE_DIR = "archive"

F = TypeVar("F")


@dataclass
class App:
    settings: Settings
    clock: Clock
    _ledger: Ledger | None = field(default=None, init=False)
    _index: "RequestIndex | None" = field(default=None, init=False)
    _folds: dict[str, Any] = field(default_factory=dict, init=False)  # fold name -> the fold, subscribed
    _restored_at: Position | None = field(default=None, init=False)  # where the snapshot used stands
    _built: bool = field(default=False, init=False)  # a fold was folded from the start: worth saving
    _snapshot: SnapshotStore | None = field(default=None, init=False)
    # `--dry-run`: the ledger and archive are read as usual, and what the command writes is kept in memory.
    rehearsal: bool = field(default=False, init=False)

    def rehearse(self) -> None:
        """Run this command as a rehearsal (`--dry-run`): nothing it appends or stores reaches the disk."""
        if "ledger" in self.__dict__ or "archive" in self.__dict__:
            raise RuntimeError("a rehearsal must begin before the ledger is opened")
        self.rehearsal = True

    @property
    def ledger_dir(self) -> Path:
        return self.settings.ledger.path

    @cached_property
    def ledger(self) -> Ledger:
        """The ledger, opened and verified; a damaged one is warned about once (appending to it is refused)."""
        self._ledger = self._open_ledger()
        if self._ledger.damage is not None:
            log.warning("the ledger does not verify (%s): what is shown may not be what was recorded; "
                        "run `itpc ledger verify`", self._ledger.damage)
        return self._ledger

    def _open_ledger(self) -> Ledger:
        """Opened at the snapshot's position when it still names this ledger's entry, else from the start."""
        options: dict[str, Any] = {"lock_timeout": self.settings.ledger.lock_timeout, "clock": self.clock}
        kind = RehearsalLedger if self.rehearsal else Ledger
        position = self.snapshot.position if self.snapshot is not None else None
        if position is not None:
            try:
                ledger = kind.at_position(self.ledger_dir, position, **options)
            except StalePosition as exc:
                log.warning("saved state not used (%s); folding the ledger afresh", exc)
            else:
                self._restored_at = position
                return ledger
        return kind.streamed(self.ledger_dir, **options)

    @cached_property
    def snapshot(self) -> SnapshotStore | None:
        """The saved folds beside the ledger (None where they cannot be kept: a read-only ledger folder)."""
        if not (self.ledger_dir / LEDGER_FILE).exists():
            return None  # a new ledger: the first save opens it
        return self._open_store()

    def _open_store(self) -> SnapshotStore | None:
        try:
            self._snapshot = SnapshotStore(self.ledger_dir)
        except (OSError, sqlite3.Error) as exc:
            log.warning("saved state not opened: %s", exc)
        return self._snapshot

    def fold(self, kind: type[F]) -> F:
        """The view ``kind`` (a class whose instances fold entries with ``apply``) of this app's ledger, up to
        date and kept so: restored from the snapshot and folded from its position, else folded from the start."""
        name = fold_name(kind)
        found = self._folds.get(name)
        if found is None:
            ledger = self.ledger
            restored = self.snapshot.restore(kind) if self._restored_at is not None and self.snapshot else None
            if isinstance(restored, kind):
                found = restored
                ledger.subscribe(found.apply, since=self._restored_at.seq)
            else:
                found = kind()
                ledger.subscribe(found.apply)
                self._built = True
            self._folds[name] = found
        return found

    def save_snapshot(self, *, every: int | None = None) -> bool:
        """Save every fold (those this process used, and those the snapshot held, brought up to date) at the
        ledger's position, when it has moved ``every`` entries (default ``[ledger] snapshot_every``) past the
        snapshot or a fold had to be folded from the start. A cache: a failure is logged and changes nothing."""
        ledger = self._ledger
        every = self.settings.ledger.snapshot_every if every is None else every
        store = self._snapshot or (self._open_store() if ledger is not None and ledger.first else None)
        if (self.rehearsal or store is None or ledger is None or not self._folds or ledger.damage is not None
                or not ledger.first or every <= 0):  # a rehearsal's entries are in memory only: never saved
            return False
        since = self._restored_at.seq if self._restored_at is not None else 0
        if not self._built and len(ledger) - since < every:
            return False
        try:
            for name in store.names if self._restored_at is not None else ():
                self._carry(name)
            saved = store.save(ledger.position, self._folds, since=self._restored_at)
        except (OSError, sqlite3.Error, LedgerError) as exc:
            log.warning("saved state not written: %s", exc)
            return False
        if saved:
            self._restored_at, self._built = ledger.position, False
        return saved

    def _carry(self, name: str) -> None:
        """Bring a fold the old snapshot held, and this process did not use, into the new one."""
        if name in self._folds:
            return
        module, _, qualname = name.partition(":")
        with contextlib.suppress(ImportError, AttributeError):
            kind = getattr(importlib.import_module(module), qualname)
            if module.split(".")[0] == "ledger" and isinstance(kind, type):
                self.fold(kind)

    @cached_property
    def checkpointer(self) -> Checkpointer:
        """Signs and publishes checkpoints of ``ledger`` every ``checkpoint_every`` entries it appends."""
        options = self.settings.ledger
        key = load_private_key(options.signing_key, self.ledger_dir) if options.signing_key else None
        return Checkpointer(self.ledger, key=key, every=options.checkpoint_every,
                            publish_to=options.checkpoint_file, paths=self.fold(ArchivePaths)).attach()

    def writable_ledger(self) -> Ledger:
        """The ledger for a command that acts on it (sends, decides, appends): refused in one line if an entry
        no longer holds, and checkpointed as it grows."""
        self.ledger.require_intact()
        if not self.rehearsal:  # a rehearsal signs and publishes nothing
            self.checkpointer
        return self.ledger

    @cached_property
    def state(self) -> State:
        return self.fold(State)

    @cached_property
    def etd(self) -> EtdView:
        """The ETD authorisation files (1B-1052), folded like ``state``."""
        return self.fold(EtdView)

    @cached_property
    def index(self) -> "RequestIndex":
        """The officers' view of requests, brought up to date with the ledger file (without loading it)."""
        self._index = RequestIndex.open(self.ledger_dir)
        if self._ledger is None and (self.ledger_dir / LEDGER_FILE).exists():
            damage = check_file(self.ledger_dir)  # the view may hold what an edited entry says
            if damage is not None:
                log.warning("the ledger does not verify (%s): what is shown may not be what was recorded; "
                            "run `itpc ledger verify`", damage)
        return self._index

    def refresh_view(self) -> None:
        """Fold what this process wrote into the request view, so the officers' next command folds nothing.
        The view is only a cache: a failure is logged, and the next command catches up."""
        if self.rehearsal:
            return  # nothing was written; the rehearsal's entries must not reach the view
        try:
            self.index.refresh()
        except Exception as exc:  # noqa: BLE001
            log.warning("request view not brought up to date: %s", exc)

    @cached_property
    def archive(self) -> RawArchive:
        return (RehearsalArchive if self.rehearsal else RawArchive)(self.ledger_dir / ARCHIVE_DIR)

    @cached_property
    def offices(self):
        return OfficeDirectory.load(self.settings.offices.directory)

    def close(self) -> None:
        self.save_snapshot()
        if self._ledger is not None:
            self._ledger.close()
        if self._index is not None:
            self._index.close()
        if self._snapshot is not None:
            self._snapshot.close()
