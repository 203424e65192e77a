"""Saved folds: every view folded from the ledger, saved at a ledger position, so a command folds only what follows.

A writer command (decide, tick, poll, requeue, outage, afis) needs the folded state, and folding the whole ledger
grows with its history. ``state.sqlite3`` beside the ledger holds each fold (``State``, the AFIS view, the
archive paths checkpoints digest, any fold the app subscribes) as it stood after one entry, with that entry's
``Position`` (seq, byte offset, hash, and the first entry's hash). A fold's small parts are one pickle; the large
maps it names in ``SAVED_MAPS`` (requests, mails, outbox...) are kept one row per key and read back only when a
key is asked for (``SavedMap``), so opening costs the same whatever the history, and a save writes only the keys
the process touched. All folds are saved at one position, in one SQLite transaction.

It is a cache, never trusted blindly: it is used only when

- its header holds the SHA-256 it gives, and each fold and each row the digest stored beside it (a row edited
  or cut is found when it is read: the command stops, the file is removed, and the next command folds afresh),
- it was written by the same fold code (a fingerprint of the ``ledger`` package's source and the Python
  version: a code change rebuilds it), and
- the ledger line ending at its offset is still the entry it names, and the first line is still the first
  entry (``Ledger.at_position``; a ledger rewritten there, cut short or replaced is folded afresh).

Entries before the position are not re-hashed when it is used, as an open of a vouched-for prefix does not
re-hash them (``verified.json``): an edit there is what ``itpc ledger verify`` and the signed checkpoints find.
Unpickling is restricted to the classes of this package and a few built-in containers, so a planted file can
make a fold wrong but cannot run code.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import io
import json
import logging
import os
import pickle
import sqlite3
import sys
from collections.abc import MutableMapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Mapping

from config.errors import LedgerError
from ledger.files import FILE_MODE, make_folders
from ledger.store import Position

log = logging.getLogger("itpc.ledger")

SNAPSHOT_FILE = "state.sqlite3"
FORMAT = 2
_PACKAGE = Path(__file__).resolve().parent
_BUILTINS = frozenset({"set", "frozenset", "dict", "list", "tuple", "bytes", "bytearray", "str", "int"})
_SCHEMA = """
CREATE TABLE IF NOT EXISTS header (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folds (name TEXT PRIMARY KEY, body BLOB NOT NULL, digest BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS rows (fold TEXT NOT NULL, map TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
                                 digest BLOB NOT NULL, PRIMARY KEY (fold, map, key)) WITHOUT ROWID;
"""


class DamagedSnapshot(LedgerError):
    """A saved row no longer holds its digest: the saved state is removed; running the command again folds afresh."""


def fold_name(kind: type) -> str:
    """A fold's name in the snapshot: its class's module and name."""
    return f"{kind.__module__}:{kind.__qualname__}"


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """SHA-256 of the fold code (every source file of the ``ledger`` package) and the Python version."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(_PACKAGE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _digest(*parts: bytes) -> bytes:
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big") + part)
    return hasher.digest()


class _Restricted(pickle.Unpickler):
    """Only the ledger package's classes and plain containers: a planted snapshot cannot name anything else."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in _BUILTINS:
            return super().find_class(module, name)
        if module.split(".")[0] == "ledger" and "." not in name:
            found = getattr(importlib.import_module(module), name, None)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"a snapshot may not hold {module}.{name}")


def _loads(blob: bytes) -> Any:
    return _Restricted(io.BytesIO(blob)).load()


def _dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class SavedMap(MutableMapping):
    """A fold's map whose entries stay in the snapshot until asked for. Every entry read is kept, and saved again
    (a fold may have changed it in place); iterating reads them all (a reader's scan, never a writer's)."""

    def __init__(self, store: "SnapshotStore", fold: str, name: str, length: int):
        self._store, self._fold, self._name, self._len = store, fold, name, length
        self._cache: dict[Any, Any] = {}
        self._absent: set[Any] = set()   # keys known not to be there (saved or not)
        self._deleted: set[Any] = set()  # saved keys removed since
        self._complete = False

    def _load(self, key: Any) -> bool:
        if key in self._cache:
            return True
        if self._complete or key in self._absent:
            return False
        found = self._store.row(self._fold, self._name, key)
        if found is None:
            self._absent.add(key)
            return False
        self._cache[key] = found
        return True

    def __getitem__(self, key: Any) -> Any:
        if not self._load(key):
            raise KeyError(key)
        return self._cache[key]

    def __contains__(self, key: object) -> bool:
        return self._load(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        if not self._load(key):
            self._len += 1
        self._cache[key] = value
        self._absent.discard(key)

    def __delitem__(self, key: Any) -> None:
        if not self._load(key):
            raise KeyError(key)
        del self._cache[key]
        self._deleted.add(key)
        self._absent.add(key)
        self._len -= 1

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Any]:
        if not self._complete:
            for key, value in self._store.rows(self._fold, self._name):
                if key not in self._cache and key not in self._absent:
                    self._cache[key] = value
            self._complete = True
        return iter(list(self._cache))

    def key_list(self) -> list[Any]:
        """The keys, without reading their values."""
        if self._complete:
            return list(self._cache)
        saved = [key for key in self._store.keys(self._fold, self._name) if key not in self._absent]
        return [*saved, *(key for key in self._cache if key not in set(saved))]

    def peek(self, key: Any) -> Any:
        """The value, read without being kept (one not kept is not saved again either): a scan of them all
        holds one at a time."""
        if key in self._cache:
            return self._cache[key]
        found = None if key in self._absent else self._store.row(self._fold, self._name, key)
        if found is None:
            raise KeyError(key)
        return found

    def changes(self) -> tuple[dict[Any, Any], set[Any]]:
        """The entries to write again (every one read or set) and the keys to remove."""
        return self._cache, self._deleted


class SnapshotStore:
    """The snapshot file, open: its position (None if it holds none that can be used), its folds on demand."""

    def __init__(self, directory: Path):
        self.path = Path(directory) / SNAPSHOT_FILE
        self.position: Position | None = None
        self._folds: dict[str, int] = {}
        make_folders(self.path.parent)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._read_header()
        except sqlite3.DatabaseError as exc:
            self._discard(f"it is not a snapshot ({exc})")

    def _read_header(self) -> None:
        row = self._db.execute("SELECT body FROM header WHERE id = 1").fetchone()
        if row is None:
            return
        try:
            header = json.loads(row[0])
            check = header.pop("check")
            if hashlib.sha256(_canonical(header)).hexdigest() != check:
                return self._discard("its header does not match its checksum")
            if header["format"] != FORMAT or header["fingerprint"] != fingerprint():
                log.info("%s was written by other code; folding the ledger afresh", self.path)
                return None
            self.position = Position(**header["position"])
            self._folds = dict(header["folds"])
        except (ValueError, KeyError, TypeError, AttributeError):
            return self._discard("its header is not a snapshot's")
        return None

    def _discard(self, why: str) -> None:
        log.warning("%s not used: %s; folding the ledger afresh", self.path, why)
        self.position, self._folds = None, {}
        with contextlib.suppress(sqlite3.DatabaseError):
            self._db.close()
        self.path.unlink(missing_ok=True)
        for suffix in ("-journal", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    @property
    def names(self) -> list[str]:
        """The folds the snapshot holds."""
        return list(self._folds) if self.position is not None else []

    # -- reading ---------------------------------------------------------------------------------------------
    def restore(self, kind: type) -> Any | None:
        """The fold ``kind`` as it stood at ``position``, or None if the snapshot has none (or it does not hold)."""
        name = fold_name(kind)
        if self.position is None or name not in self._folds:
            return None
        row = self._db.execute("SELECT body, digest FROM folds WHERE name = ?", (name,)).fetchone()
        try:
            if row is None or _digest(name.encode(), row[0]) != row[1]:
                raise ValueError("it does not match its digest")
            body = _loads(row[0])
            fold = kind.__new__(kind)
            attributes = body["attributes"]
            for attribute, length in body["maps"].items():
                attributes[attribute] = SavedMap(self, name, attribute, length)
            if hasattr(fold, "__setstate__"):
                fold.__setstate__(attributes)
            else:
                fold.__dict__.update(attributes)
        except Exception as exc:  # noqa: BLE001 - a cache: whatever is wrong with it, fold afresh
            log.warning("saved fold %s not used (%s); folding the ledger afresh", name, exc)
            return None
        return fold

    def row(self, fold: str, name: str, key: Any) -> Any | None:
        blob = _dumps(key)
        with self._damage(fold, name):
            found = self._db.execute("SELECT value, digest FROM rows WHERE fold = ? AND map = ? AND key = ?",
                                     (fold, name, blob)).fetchone()
            return None if found is None else self._checked(fold, name, blob, *found)

    def rows(self, fold: str, name: str) -> Iterator[tuple[Any, Any]]:
        with self._damage(fold, name):
            found = self._db.execute("SELECT key, value, digest FROM rows WHERE fold = ? AND map = ?",
                                     (fold, name)).fetchall()
            return iter([(_loads(key), self._checked(fold, name, key, value, digest))
                         for key, value, digest in found])

    def keys(self, fold: str, name: str) -> list[Any]:
        with self._damage(fold, name):
            return [_loads(key) for (key,) in self._db.execute("SELECT key FROM rows WHERE fold = ? AND map = ?",
                                                               (fold, name))]

    def _checked(self, fold: str, name: str, key: bytes, value: bytes, digest: bytes) -> Any:
        if _digest(fold.encode(), name.encode(), key, value) != digest:
            raise ValueError("it does not match its digest")
        return _loads(value)

    @contextlib.contextmanager
    def _damage(self, fold: str, name: str) -> Iterator[None]:
        """A saved entry that does not hold stops the command (what it would act on is not known): the file is
        removed, so the next command folds afresh."""
        try:
            yield
        except (sqlite3.DatabaseError, ValueError, pickle.UnpicklingError, EOFError) as exc:
            self._discard(f"a saved entry of {fold} {name} does not hold ({exc})")
            raise DamagedSnapshot(f"the saved state {self.path} was damaged ({exc}) and is removed; "
                                  "nothing was done: run the command again") from None

    # -- writing -------------------------------------------------------------------------------------------
    def save(self, position: Position, folds: Mapping[str, Any], *, since: Position | None) -> bool:
        """Save ``folds`` as they stand at ``position``, in one transaction. Restored folds write only what they
        touched, so the file must still be at ``since``, where they were restored from (else another process
        saved meanwhile and this save is skipped); a fold folded afresh is written whole."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT body FROM header WHERE id = 1").fetchone()
            current = Position(**json.loads(row[0])["position"]) if row else None
            if since is not None and current != since:
                self._db.execute("ROLLBACK")
                return False
            saved = {name: self._save_fold(name, fold, whole=since is None) for name, fold in folds.items()}
            if since is None:
                keep = list(saved)
                marks = ",".join("?" * len(keep))
                self._db.execute(f"DELETE FROM folds WHERE name NOT IN ({marks})", keep)
                self._db.execute(f"DELETE FROM rows WHERE fold NOT IN ({marks})", keep)
            header: dict[str, Any] = {
                "format": FORMAT, "fingerprint": fingerprint(), "folds": saved,
                "position": dataclasses.asdict(position)}
            header["check"] = hashlib.sha256(_canonical(header)).hexdigest()
            self._db.execute("INSERT OR REPLACE INTO header (id, body) VALUES (1, ?)", (_canonical(header).decode(),))
            self._db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        self.position, self._folds = position, saved
        return True

    def _save_fold(self, name: str, fold: Any, *, whole: bool) -> int:
        custom = type(fold).__getstate__ is not object.__getstate__
        attributes = dict(fold.__getstate__() if custom else vars(fold))
        saved_maps = getattr(type(fold), "SAVED_MAPS", ())
        # A fold folded afresh (its maps are not the snapshot's) replaces every row it had.
        whole = whole or not all(isinstance(attributes[a], SavedMap) for a in saved_maps)
        maps: dict[str, int] = {}
        if whole:
            self._db.execute("DELETE FROM rows WHERE fold = ?", (name,))
        for attribute in saved_maps:
            mapping = attributes.pop(attribute)
            maps[attribute] = len(mapping)
            if isinstance(mapping, SavedMap) and not whole:
                changed, deleted = mapping.changes()
            else:
                changed, deleted = dict(mapping), set()
            self._db.executemany("DELETE FROM rows WHERE fold = ? AND map = ? AND key = ?",
                                 [(name, attribute, _dumps(key)) for key in deleted])
            self._db.executemany("INSERT OR REPLACE INTO rows (fold, map, key, value, digest) VALUES (?, ?, ?, ?, ?)",
                                 (self._row(name, attribute, key, value) for key, value in changed.items()))
        body = _dumps({"attributes": attributes, "maps": maps})
        self._db.execute("INSERT OR REPLACE INTO folds (name, body, digest) VALUES (?, ?, ?)",
                         (name, body, _digest(name.encode(), body)))
        return len(body)

    @staticmethod
    def _row(fold: str, name: str, key: Any, value: Any) -> tuple[str, str, bytes, bytes, bytes]:
        key_blob, value_blob = _dumps(key), _dumps(value)
        return fold, name, key_blob, value_blob, _digest(fold.encode(), name.encode(), key_blob, value_blob)

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()


def _canonical(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
