"""Durable files under group commit: what is written between two commits is synced by the second."""
from __future__ import annotations

from types import SimpleNamespace

from ledger import files


def test_each_commit_syncs_the_files_written_since_the_last_one(tmp_path, monkeypatch):
    synced: list[int] = []
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
