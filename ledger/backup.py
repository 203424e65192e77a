"""A consistent, verified copy of a ledger directory, taken under the writer lock."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from ledger.files import durable_write, fsync_dir, make_folders
from ledger.store import LEDGER_FILE, Ledger, LedgerError
from ledger.verify import Verdict, verify_file

CHECKPOINTS_FILE = "checkpoints.jsonl"


def backup(ledger: Ledger, dest: Path, *, checkpoints: Path | None = None) -> Verdict:
    """Copy the ledger file (as of one instant), every archived file and the published checkpoints
    (``checkpoints``, kept outside the ledger: the backup is one more place a rewrite cannot reach) to
    ``dest``; verify the copy."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise LedgerError(f"backup destination {dest} is not empty; choose a new folder")
    make_folders(dest)
    with ledger.writing():  # no append can land between the copy and the head we compare with
        head, count = ledger.head, len(ledger)
        with open(ledger.path, "rb") as fh:
            durable_write(dest / LEDGER_FILE, fh.read())
        if checkpoints is not None and checkpoints.is_file():
            durable_write(dest / CHECKPOINTS_FILE, checkpoints.read_bytes())
    for sub in ("archive", "torn"):
        _copy_tree(ledger.directory / sub, dest / sub)  # immutable files: safe to copy outside the lock
    verdict = verify_file(dest / LEDGER_FILE)
    if not verdict.ok:
        raise LedgerError(f"the backup does not verify: {verdict}")
    if verdict.head != head or verdict.entries != count:
        raise LedgerError(f"the backup holds {verdict.entries} entries ending {verdict.head[:12]}, "
                          f"expected {count} ending {head[:12]}")
    return verdict


def _copy_tree(src: Path, dest: Path) -> None:
    if not src.is_dir():
        return
    for folder, _dirs, files in os.walk(src):
        target = dest / Path(folder).relative_to(src)
        make_folders(target)
        for name in files:
            if name.startswith("."):
                continue  # temp files of an archive write in progress
            out = target / name
            if not out.exists():
                shutil.copyfile(Path(folder) / name, out)
                with open(out, "rb+") as fh:
                    os.fsync(fh.fileno())
        fsync_dir(target)
