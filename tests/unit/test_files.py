"""Durable files: under group commit what is written between two commits is synced by the second; each way a
file is placed (an unnamed file linked, or a temp file) leaves only the whole file, and finds a removed folder again."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from ledger import files
from ledger.archive import RawArchive


@pytest.fixture(params=["unnamed file", "temp file"])
def placement(request, monkeypatch):
    """Each way a durable write may take: an unnamed file linked in place, or (where the system refuses
    unnamed files) a temp file linked and removed."""
    if request.param == "temp file":
        monkeypatch.setattr(files, "_tmpfile_usable", False)
    return request.param


def test_a_small_commit_syncs_each_file_and_folder_written_and_nothing_else(tmp_path, monkeypatch, placement):
    synced_fs: list[int] = []
    monkeypatch.setattr(files, "_LIBC", SimpleNamespace(syncfs=lambda fd: synced_fs.append(fd) or 0))
    real_fsync, synced = os.fsync, []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append((os.fstat(fd).st_dev, os.fstat(fd).st_ino))
                        or real_fsync(fd))

    def identity(path: Path) -> tuple[int, int]:
        return path.stat().st_dev, path.stat().st_ino

    with files.deferred_syncs():
        files.durable_write(tmp_path / "ab" / "a.eml", b"first")
        files.durable_write(tmp_path / "ab" / "b.eml", b"second")
        assert synced == []   # deferred to the commit
        files.sync_deferred()
        assert set(synced) == {identity(tmp_path / "ab" / "a.eml"), identity(tmp_path / "ab" / "b.eml"),
                               identity(tmp_path / "ab"), identity(tmp_path)}   # its new folder's entry too
        synced.clear()
        files.sync_deferred()  # nothing written since: nothing to sync
    assert synced == [] and synced_fs == []


def test_each_large_commit_syncs_the_file_systems_written_since_the_last_one(tmp_path, monkeypatch):
    synced: list[int] = []
    monkeypatch.setattr(files, "SMALL_COMMIT", 1)
    monkeypatch.setattr(files, "_LIBC", SimpleNamespace(syncfs=lambda fd: synced.append(fd) or 0))
    with files.deferred_syncs():
        files.durable_write(tmp_path / "a.eml", b"first")
        files.sync_deferred()  # a commit inside the group
        assert len(synced) == 1
        files.sync_deferred()  # nothing written since: nothing to sync
        assert len(synced) == 1
        files.durable_write(tmp_path / "b.eml", b"second")  # the same folder, after the commit
        files.sync_deferred()
        assert len(synced) == 2
    assert len(synced) == 2  # leaving the group: nothing was left pending
    assert (tmp_path / "b.eml").read_bytes() == b"second"


def stored(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_a_durable_write_leaves_only_the_file_whatever_way_it_is_placed(tmp_path, monkeypatch):
    # An unnamed file linked in place where the system allows it; a temp file linked and removed where not.
    written = files.durable_write(tmp_path / "a" / "x.eml", b"first")
    monkeypatch.setattr(files, "_link_descriptor", lambda fd, path: (_ for _ in ()).throw(OSError(18, "EXDEV")))
    written_aside = files.durable_write(tmp_path / "a" / "y.eml", b"second")
    again = files.durable_write(tmp_path / "a" / "x.eml", b"other bytes")
    assert (written, written_aside, again) == (True, True, False)
    assert stored(tmp_path) == ["x.eml", "y.eml"]  # no temp file left either way
    assert (tmp_path / "a" / "x.eml").read_bytes() == b"first"  # never overwritten
    assert (tmp_path / "a" / "y.eml").read_bytes() == b"second"
    assert {(tmp_path / "a" / name).stat().st_mode & 0o777 for name in stored(tmp_path)} == {files.FILE_MODE}


def test_a_folder_removed_behind_our_back_is_made_again(tmp_path, placement):
    for round_ in range(2):
        assert files.durable_write(tmp_path / "archive" / "ab" / f"{round_}.eml", b"x")
        shutil.rmtree(tmp_path / "archive")  # the process still knows the folder as made
    assert files.durable_write(tmp_path / "archive" / "ab" / "2.eml", b"y", overwrite=True)
    assert stored(tmp_path) == ["2.eml"]


def test_a_failed_write_leaves_nothing_under_the_name(tmp_path, monkeypatch, placement):
    def full(fd, data):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(files.os, "write", full)
    try:
        files.durable_write(tmp_path / "x.eml", b"data")
    except OSError as exc:
        assert exc.errno == 28 and exc.filename == str(tmp_path / "x.eml")
    else:
        raise AssertionError("the write did not fail")
    assert stored(tmp_path) == []


def test_a_streamed_message_finds_its_archive_folder_again(tmp_path):
    archive = RawArchive(tmp_path / "archive")
    archive.put_stream(iter([b"first ", b"message"]))
    shutil.rmtree(tmp_path / "archive")
    sha = archive.put_stream(iter([b"second ", b"message"]))
    assert archive.get(sha) == b"second message"
    assert [p.name for p in (tmp_path / "archive").iterdir() if p.is_file()] == []  # no temp file left
