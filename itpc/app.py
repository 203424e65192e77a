"""The imperative shell's wiring: settings, clock, ledger, folded state and archive, opened once per command."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from config import Settings
from ingest.offices import OfficeDirectory
from ledger.archive import RawArchive
from ledger.checkpoints import Checkpointer, load_private_key
from ledger.clock import Clock
from ledger.rehearsal import RehearsalArchive, RehearsalLedger
from ledger.etd_views import EtdView
from ledger.request_index import RequestIndex
from ledger.store import LEDGER_FILE, Ledger, check_file
from ledger.views import State

log = logging.getLogger("itpc")

ARCHIVE_DIR = "archive"


@dataclass
class App:
    settings: Settings
    clock: Clock
    _ledger: Ledger | None = field(default=None, init=False)
    _index: "RequestIndex | None" = field(default=None, init=False)
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
        kind = RehearsalLedger if self.rehearsal else Ledger
        self._ledger = kind(self.ledger_dir, lock_timeout=self.settings.ledger.lock_timeout, clock=self.clock)
        if self._ledger.damage is not None:
            log.warning("the ledger does not verify (%s): what is shown may not be what was recorded; "
                        "run `itpc ledger verify`", self._ledger.damage)
        return self._ledger

    @cached_property
    def checkpointer(self) -> Checkpointer:
        """Signs and publishes checkpoints of ``ledger`` every ``checkpoint_every`` entries it appends."""
        options = self.settings.ledger
        key = load_private_key(options.signing_key, self.ledger_dir) if options.signing_key else None
        return Checkpointer(self.ledger, key=key, every=options.checkpoint_every,
                            publish_to=options.checkpoint_file).attach()

    def writable_ledger(self) -> Ledger:
        """The ledger for a command that acts on it (sends, decides, appends): refused in one line if an entry
        no longer holds, and checkpointed as it grows."""
        self.ledger.require_intact()
        if not self.rehearsal:  # a rehearsal signs and publishes nothing
            self.checkpointer
        return self.ledger

    @cached_property
    def state(self) -> State:
        state = State()
        self.ledger.subscribe(state.apply)
        return state

    @cached_property
    def etd(self) -> EtdView:
        """The ETD authorisation files (1B-1052), folded like ``state``."""
        view = EtdView()
        self.ledger.subscribe(view.apply)
        return view

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
        if self._ledger is not None:
            self._ledger.close()
        if self._index is not None:
            self._index.close()
