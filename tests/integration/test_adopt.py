"""A Maildir message is archived as the delivered file itself (a link, not a copy) when nobody but the service's
user can change that file and nothing else names it; otherwise it is copied, as any fetched message is."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from ingest.maildir import MaildirSource
from ledger import files
from ledger.archive import RawArchive
from ledger.rehearsal import RehearsalArchive
from tests.helpers import CORPUS, ITPC, ROOT, itpc_env

RAW = b"From: a@example.lt\r\nSubject: test\r\n\r\nLaba diena\r\n"


def delivered(folder: Path, raw: bytes = RAW, mode: int = 0o600) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "1732950000.M1P2.mx"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(raw)
    os.chmod(path, mode)  # exactly, whatever the umask
    return path


def same_file(a: Path, b: Path) -> bool:
    return (a.stat().st_dev, a.stat().st_ino) == (b.stat().st_dev, b.stat().st_ino)


def test_a_private_delivered_file_is_kept_as_it_is_and_outlives_the_mailbox(tmp_path):
    path = delivered(tmp_path / "new")
    archive = RawArchive(tmp_path / "archive")
    sha = hashlib.sha256(RAW).hexdigest()
    with open(path, "rb") as fh:
        assert archive.adopt(path, fh, sha, len(RAW))
        assert archive.adopt(path, fh, sha, len(RAW)) is False  # linked once: now it has two names
    assert same_file(path, archive.path_for(sha))
    path.unlink()  # the mailbox lets go of it: the archive's copy is still whole
    assert archive.get(sha) == RAW and archive.digest(sha) == sha and sha in archive


def replaced(path: Path) -> None:
    os.rename(path, path.with_name("moved"))
    delivered(path.parent)


def linked_twice(path: Path) -> None:
    os.link(path, path.with_name("other"))


def symlinked(path: Path) -> None:
    target = path.with_name("target")
    os.rename(path, target)
    os.symlink(target, path)


def given_away(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    os.chown(path, 65534, -1)


@pytest.mark.parametrize("change", [
    pytest.param(lambda p: os.chmod(p, 0o660), id="group-writable"),
    pytest.param(lambda p: os.chmod(p, 0o644), id="readable by anyone"),
    pytest.param(lambda p: p.write_bytes(RAW + b"more"), id="changed since it was read"),
    pytest.param(linked_twice, id="named elsewhere too"),
    pytest.param(symlinked, id="named through a symbolic link"),
    pytest.param(replaced, id="its name now another file's"),
    pytest.param(lambda p: p.unlink(), id="gone from the mailbox"),
    pytest.param(given_away, id="another user's"),
])
def test_a_file_others_could_change_or_that_is_not_the_one_read_is_not_kept(tmp_path, change):
    path = delivered(tmp_path / "new")
    archive = RawArchive(tmp_path / "archive")
    sha = hashlib.sha256(RAW).hexdigest()
    with open(path, "rb") as fh:
        assert fh.read() == RAW
        change(path)
        assert archive.adopt(path, fh, sha, len(RAW)) is False
    assert sha not in archive


def test_a_rehearsal_links_nothing_into_the_real_archive(tmp_path):
    path = delivered(tmp_path / "new")
    rehearsal = RehearsalArchive(tmp_path / "archive")
    sha = hashlib.sha256(RAW).hexdigest()
    with open(path, "rb") as fh:
        assert rehearsal.adopt(path, fh, sha, len(RAW)) is False
    assert not (tmp_path / "archive").exists() and path.stat().st_nlink == 1


def test_a_file_on_another_file_system_is_not_kept(tmp_path):
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second file system here")
    folder = Path(tempfile.mkdtemp(dir=shm))
    try:
        path = delivered(folder / "new")
        archive = RawArchive(tmp_path / "archive")
        sha = hashlib.sha256(RAW).hexdigest()
        with open(path, "rb") as fh:
            assert archive.adopt(path, fh, sha, len(RAW)) is False
        assert sha not in archive
    finally:
        shutil.rmtree(folder)


def test_a_kept_file_and_its_folder_are_synced_by_the_commit(tmp_path, monkeypatch):
    path = delivered(tmp_path / "new")
    archive = RawArchive(tmp_path / "archive")
    sha = hashlib.sha256(RAW).hexdigest()
    monkeypatch.setattr(files, "_LIBC", SimpleNamespace(syncfs=lambda fd: 0))
    real_fsync, synced = os.fsync, []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append((os.fstat(fd).st_dev, os.fstat(fd).st_ino))
                        or real_fsync(fd))
    with files.deferred_syncs():
        with open(path, "rb") as fh:
            assert archive.adopt(path, fh, sha, len(RAW))
        assert synced == []  # left to the commit
    identity = [(p.stat().st_dev, p.stat().st_ino) for p in (archive.path_for(sha), archive.path_for(sha).parent)]
    assert set(identity) <= set(synced)


def test_the_maildir_hands_on_the_file_it_read_open_and_closes_it_after(tmp_path):
    inbox = tmp_path / "inbox"
    for sub in ("tmp", "cur"):
        (inbox / sub).mkdir(parents=True)
    path = delivered(inbox / "new")
    seen = []
    for incoming in MaildirSource(inbox).fetch():
        assert incoming.local.path == path and os.fstat(incoming.local.file.fileno()).st_ino == path.stat().st_ino
        seen.append(incoming)
    assert len(seen) == 1 and seen[0].local.file.closed


def test_a_poll_archives_a_private_delivery_as_the_file_itself_and_copies_any_other(tmp_path):
    inbox = tmp_path / "inbox"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True)
    mails = sorted((CORPUS / "mail").glob("c0*.eml"))[:2]
    for number, (mail, mode) in enumerate(zip(mails, (0o600, 0o644))):
        target = inbox / "new" / f"173295000{number}.M{number}P1.mx"
        shutil.copy(mail, target)
        os.chmod(target, mode)
    config = tmp_path / "itpc.toml"
    config.write_text("\n".join([
        "[mailbox]", f"url = {json.dumps('maildir://' + str(inbox))}",
        "[outbox]", f"url = {json.dumps('maildir://' + str(tmp_path / 'outbox'))}",
        "[ledger]", f"path = {json.dumps(str(tmp_path / 'ledger'))}", ""]), encoding="utf-8")
    for args in (["--now", "2026-11-23T08:00:00+02:00", "poll", "--once"], ["ledger", "verify"]):
        subprocess.run([*ITPC, "--config", str(config), *args], cwd=ROOT, env=itpc_env(), check=True,
                       capture_output=True, timeout=300)

    archive = RawArchive(tmp_path / "ledger" / "archive")
    acknowledged = sorted((inbox / "cur").iterdir())
    assert len(acknowledged) == 2 and not list((inbox / "new").iterdir())
    inbox_file = {p.stat().st_mode & 0o777: p for p in acknowledged}
    kept = {mode: archive.path_for(hashlib.sha256(p.read_bytes()).hexdigest()) for mode, p in inbox_file.items()}
    assert same_file(kept[0o600], inbox_file[0o600])
    assert not same_file(kept[0o644], inbox_file[0o644])
    assert kept[0o644].stat().st_mode & 0o777 == files.FILE_MODE
