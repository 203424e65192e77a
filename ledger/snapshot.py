"""Saved folds: every view folded from the ledger, saved at a ledger position, so a command folds only what follows.

A writer command (decide, tick, poll, requeue, outage, afis) needs the whole folded state, and folding the whole
ledger grows with its history. ``state.snapshot`` beside the ledger holds each fold (``State``, the AFIS view,
the archive paths checkpoints digest, any fold the app subscribes) pickled as it stood after one entry, with
that entry's ``Position`` (seq, byte offset, hash, and the first entry's hash). Opening it costs unpickling the
folds and re-hashing the entries written since.

It is a cache, never trusted blindly: it is used only when

- its header and every fold's bytes hold the SHA-256 the header gives (a cut or edited file is ignored),
- it was written by the same fold code (a fingerprint of the ``ledger`` package's source and the Python
  version: a code change rebuilds it), and
- the ledger line ending at its offset is still the entry it names, and the first line is still the first
  entry (``Ledger.at_position``; a ledger rewritten there, cut short or replaced is folded afresh).

Entries before the position are not re-hashed when it is used, as an open of a vouched-for prefix does not
re-hash them (``verified.json``): an edit there is what ``itpc ledger verify`` and the signed checkpoints find.
Unpickling is restricted to the classes of this package and a few built-in containers, so a planted file can
make a fold wrong but cannot run code. Anything wrong with it: it is logged, ignored, and written anew.
"""
from __future__ import annotations

import hashlib
import importlib
import io
import json
import logging
import pickle
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from ledger.files import durable_place, ensure_folder, temp_name, write_private_chunks
from ledger.store import Position

log = logging.getLogger("itpc.ledger")

SNAPSHOT_FILE = "state.snapshot"
FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent
_BUILTINS = frozenset({"set", "frozenset", "dict", "list", "tuple", "bytes", "bytearray", "str", "int"})


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


@dataclass
class Snapshot:
    """A snapshot file read and checked: its position, and each fold's pickled bytes (unpickled on demand)."""
    position: Position
    blobs: dict[str, bytes]

    def restore(self, name: str) -> Any | None:
        """The fold ``name`` as it stood at ``position``, or None if the snapshot has none (or it fails)."""
        blob = self.blobs.get(name)
        if blob is None:
            return None
        try:
            fold = _Restricted(io.BytesIO(blob)).load()
        except Exception as exc:  # noqa: BLE001 - a cache: whatever is wrong with it, fold afresh
            log.warning("saved fold %s not used (%s); folding the ledger afresh", name, exc)
            return None
        return fold if fold_name(type(fold)) == name else None


def read_snapshot(directory: Path) -> Snapshot | None:
    """The snapshot beside the ledger in ``directory`` if it holds (see the module's doc), else None."""
    path = Path(directory) / SNAPSHOT_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("%s not read (%s); folding the ledger afresh", path, exc.strerror)
        return None
    why, snapshot = _parse(raw)
    if why:
        log.warning("%s not used: %s; folding the ledger afresh", path, why)
    return snapshot


def _parse(raw: bytes) -> tuple[str, Snapshot | None]:
    end = raw.find(b"\n")
    try:
        header = json.loads(raw[:end])
        check = header.pop("check")
        if hashlib.sha256(_canonical(header)).hexdigest() != check:
            return "its header does not match its checksum", None
        if header["format"] != FORMAT or header["fingerprint"] != fingerprint():
            return "written by other code", None
        position = Position(**header["position"])
        blobs, start = {}, end + 1
        for name, (length, digest) in header["folds"].items():
            blob = raw[start:start + length]
            if len(blob) != length or hashlib.sha256(blob).hexdigest() != digest:
                return f"the fold {name} does not match its checksum (the file was cut or changed)", None
            blobs[name] = blob
            start += length
    except (ValueError, KeyError, TypeError, AttributeError):
        return "it is not a snapshot", None
    return "", Snapshot(position, blobs)


def write_snapshot(directory: Path, position: Position, folds: Iterable[Any]) -> None:
    """Save ``folds`` (each as it stands after ``position``) atomically: the old snapshot or the new, whole."""
    named = sorted((fold_name(type(fold)), fold) for fold in folds)  # in the header's (sorted) order
    blobs = {name: pickle.dumps(fold, protocol=pickle.HIGHEST_PROTOCOL) for name, fold in named}
    header: dict[str, Any] = {
        "format": FORMAT, "fingerprint": fingerprint(),
        "position": {"seq": position.seq, "offset": position.offset, "head": position.head, "first": position.first},
        "folds": {name: [len(blob), hashlib.sha256(blob).hexdigest()] for name, blob in blobs.items()}}
    header["check"] = hashlib.sha256(_canonical(header)).hexdigest()
    path = Path(directory) / SNAPSHOT_FILE
    ensure_folder(path.parent)
    tmp = temp_name(path)
    write_private_chunks(tmp, [_canonical(header) + b"\n", *blobs.values()], name=path)
    durable_place(tmp, path, overwrite=True)


def _canonical(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
