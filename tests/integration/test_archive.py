"""The content-addressed archive of raw messages: stored once under their SHA-256, durable, never rewritten."""
from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from ledger.archive import RawArchive

pytestmark = pytest.mark.slow  # real servers or processes

ROOT = Path(__file__).resolve().parents[2]
RAW = ("From: UAB „Ąžuolas“ <info@azuolas.lt>\r\nSubject: =?utf-8?q?Pra=C5=A1ymas?=\r\n\r\n"
       "Prašome taikyti veiklos tęstinumo procedūrą.\r\n").encode("utf-8")


def stored_files(root: Path) -> list[Path]:
    """Everything under the archive, temp files included (so leftovers show up)."""
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_put_stores_under_the_sha256_and_get_returns_the_same_bytes(tmp_path):
    archive = RawArchive(tmp_path)
    digest = archive.put(RAW)
    assert digest == hashlib.sha256(RAW).hexdigest()
    assert archive.get(digest) == RAW
    assert digest in archive
    assert hashlib.sha256(b"other").hexdigest() not in archive
    assert stored_files(tmp_path) == [tmp_path / digest[:2] / f"{digest}.eml"]


def test_putting_the_same_bytes_again_is_a_no_op(tmp_path):
    archive = RawArchive(tmp_path)
    digest = archive.put(RAW)
    path = archive.path_for(digest)
    before = path.stat()
    time.sleep(0.01)
    assert archive.put(RAW) == digest
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)
    assert stored_files(tmp_path) == [path]


def test_an_existing_file_is_never_overwritten(tmp_path):
    archive = RawArchive(tmp_path)
    digest = archive.put(RAW)
    path = archive.path_for(digest)
    inode = path.stat().st_ino
    path.write_bytes(b"damaged on disk")  # whatever is there (an auditor will see it) stays there
    assert archive.put(RAW) == digest
    assert path.read_bytes() == b"damaged on disk" and path.stat().st_ino == inode


def test_an_archive_reopened_later_still_has_the_message(tmp_path):
    digest = RawArchive(tmp_path / "raw").put(RAW)
    assert RawArchive(tmp_path / "raw").get(digest) == RAW


def test_empty_and_binary_messages_are_archived(tmp_path):
    archive = RawArchive(tmp_path)
    for raw in (b"", bytes(range(256)), b"\x00" * 10_000):
        assert archive.get(archive.put(raw)) == raw


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=2000), min_size=1, max_size=5))
def test_any_messages_round_trip_and_distinct_ones_get_distinct_files(messages):
    with tempfile.TemporaryDirectory() as tmp:
        archive = RawArchive(Path(tmp))
        digests = [archive.put(raw) for raw in messages]
        assert [archive.get(d) for d in digests] == messages
        assert len(stored_files(Path(tmp))) == len(set(messages))


def test_concurrent_puts_of_the_same_bytes_from_threads_store_one_file(tmp_path):
    archive = RawArchive(tmp_path)
    barrier = threading.Barrier(8)
    results: list[str] = []

    def put() -> None:
        barrier.wait()
        results.append(archive.put(RAW))

    threads = [threading.Thread(target=put) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [hashlib.sha256(RAW).hexdigest()] * 8
    assert stored_files(tmp_path) == [archive.path_for(results[0])]
    assert archive.get(results[0]) == RAW


PUTTER = """
    import sys, time
    from pathlib import Path
    from ledger.archive import RawArchive
    root, me = Path(sys.argv[1]), sys.argv[2]
    raw = Path(sys.argv[3]).read_bytes()
    (root.parent / f"ready-{me}").touch()
    while not (root.parent / "go").exists():
        time.sleep(0.001)
    for _ in range(20):
        print(RawArchive(root).put(raw))
"""


def test_concurrent_puts_of_the_same_bytes_from_processes_store_one_intact_file(tmp_path):
    raw = RAW * 5000  # ~0.5 MB: long enough to still be writing while another process starts
    source = tmp_path / "message.eml"
    source.write_bytes(raw)
    root = tmp_path / "raw"
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(PUTTER), str(root), str(k), str(source)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in range(4)]
    deadline = time.monotonic() + 30
    while not all((tmp_path / f"ready-{k}").exists() for k in range(4)):
        assert time.monotonic() < deadline
        time.sleep(0.005)
    (tmp_path / "go").touch()
    digests = set()
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        digests.update(out.split())
    assert digests == {hashlib.sha256(raw).hexdigest()}
    archive = RawArchive(root)
    assert stored_files(root) == [archive.path_for(digests.pop())]  # no temp files left behind
    assert stored_files(root)[0].read_bytes() == raw
