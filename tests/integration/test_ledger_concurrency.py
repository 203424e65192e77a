"""Several real processes appending to one ledger, the writer lock's bounded wait, and a writer killed
mid-append."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ledger.store import LEDGER_FILE, Ledger, LedgerLocked
from ledger.verify import verify_file

pytestmark = pytest.mark.slow  # real servers or processes

ROOT = Path(__file__).resolve().parents[2]


def start(script: str, *args: str) -> subprocess.Popen:
    """A separate Python process running ``script`` (with ``sys.argv[1:] == args``)."""
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 60) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return out


def wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.005)


WRITER = """
    import sys, time
    from pathlib import Path
    from ledger.store import Ledger
    directory, writer, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    with Ledger(directory, lock_timeout=30) as ledger:   # opened before the others write: a stale view
        (directory / f"ready-{writer}").touch()
        while not (directory / "go").exists():
            time.sleep(0.001)
        for n in range(count):
            ledger.append("test.concurrent", {"writer": writer, "n": n, "text": "įrašas " * (n % 7)})
            time.sleep(0.001)  # let the others in: a flock waiter polls, so a tight loop would run alone
"""


@pytest.mark.parametrize("writers, count", [(2, 60), (4, 40)])
def test_processes_appending_at_once_lose_nothing_and_keep_one_chain(tmp_path, writers, count):
    names = [f"w{k}" for k in range(writers)]
    procs = [start(WRITER, str(tmp_path), name, str(count)) for name in names]
    for name in names:
        wait_for(tmp_path / f"ready-{name}")
    (tmp_path / "go").touch()
    for proc in procs:
        finish(proc)

    raw_lines = (tmp_path / LEDGER_FILE).read_bytes().split(b"\n")
    assert raw_lines[-1] == b""  # ends with a newline: nothing torn
    entries = [json.loads(line) for line in raw_lines[:-1]]  # every line is whole JSON: no interleaving
    total = writers * count
    assert [e["seq"] for e in entries] == list(range(1, total + 1))
    verdict = verify_file(tmp_path / LEDGER_FILE)
    assert verdict.ok and verdict.entries == total, verdict
    for name in names:
        mine = [e["data"]["n"] for e in entries if e["data"]["writer"] == name]
        assert mine == list(range(count))  # all present, in the order that process wrote them
    # the writes really overlapped: the processes' entries alternate rather than lie in one block each
    switches = sum(1 for a, b in zip(entries, entries[1:]) if a["data"]["writer"] != b["data"]["writer"])
    assert switches > writers


HOLDER = """
    import sys, time
    from pathlib import Path
    from ledger.store import Ledger
    directory = Path(sys.argv[1])
    with Ledger(directory) as ledger:
        with ledger.writing():
            ledger.append("test.held", {"by": "holder"})
            (directory / "held").touch()
            while not (directory / "release").exists():
                time.sleep(0.005)
"""


def test_a_held_writer_lock_makes_another_process_wait_then_give_up_clearly(tmp_path):
    holder = start(HOLDER, str(tmp_path))
    try:
        wait_for(tmp_path / "held")
        with Ledger(tmp_path, lock_timeout=0.3) as ledger:
            started = time.monotonic()
            with pytest.raises(LedgerLocked) as caught:
                ledger.append("test.waiting", {"by": "parent"})
            waited = time.monotonic() - started
            assert 0.3 <= waited < 3
            message = str(caught.value)
            assert "ledger.lock" in message and "0.3 s" in message and "another" in message
            assert [e.type for e in ledger] == ["test.held"]  # read without the lock; nothing added
            assert (tmp_path / LEDGER_FILE).read_bytes().count(b"\n") == 1

            (tmp_path / "release").touch()
            finish(holder)
            entry = ledger.append("test.waiting", {"by": "parent"})
            assert entry.seq == 2 and ledger.entries[0].data["by"] == "holder"
    finally:
        (tmp_path / "release").touch()
        holder.wait(timeout=30)
    assert verify_file(tmp_path / LEDGER_FILE).entries == 2


def test_a_writer_waits_for_a_short_hold_instead_of_failing(tmp_path):
    holder = start(HOLDER, str(tmp_path))
    try:
        wait_for(tmp_path / "held")
        with Ledger(tmp_path, lock_timeout=20) as ledger:
            releaser = start("import sys, time, pathlib; time.sleep(0.3); pathlib.Path(sys.argv[1]).touch()",
                             str(tmp_path / "release"))
            entry = ledger.append("test.waiting", {})
            assert entry.seq == 2
            finish(releaser)
    finally:
        (tmp_path / "release").touch()
        finish(holder)


KILLED_MID_APPEND = """
    import os, signal, sys
    from pathlib import Path
    from ledger.store import Ledger
    directory = Path(sys.argv[1])
    with Ledger(directory) as ledger:
        ledger.append("test.before", {"n": 1})
        with ledger.writing():
            os.write(os.open(directory / "ledger.jsonl", os.O_WRONLY | os.O_APPEND), b'{"seq":2,"ts":"2025-')
            os.kill(os.getpid(), signal.SIGKILL)  # dies holding the lock, half a line on disk
"""


def test_a_writer_killed_mid_append_leaves_a_ledger_the_next_one_recovers(tmp_path):
    proc = start(KILLED_MID_APPEND, str(tmp_path))
    proc.communicate(timeout=60)
    assert proc.returncode == -9
    with Ledger(tmp_path, lock_timeout=2) as ledger:  # the kernel released the dead process's lock
        assert [e.type for e in ledger] == ["test.before", "ledger.recovered"]
        assert ledger.entries[-1].data["torn_bytes"] == len(b'{"seq":2,"ts":"2025-')
        ledger.append("test.after", {})
    verdict = verify_file(tmp_path / LEDGER_FILE)
    assert verdict.ok and verdict.entries == 3


def test_a_reader_sees_entries_appended_by_another_process(tmp_path):
    with Ledger(tmp_path) as reader:
        proc = start(WRITER, str(tmp_path), "other", "5")
        wait_for(tmp_path / "ready-other")
        (tmp_path / "go").touch()
        finish(proc)
        assert len(reader) == 0
        reader.refresh()
        assert [e.data["n"] for e in reader] == [0, 1, 2, 3, 4]
        assert reader.append("t", {}).seq == 6
    assert os.path.getsize(tmp_path / LEDGER_FILE) > 0 and verify_file(tmp_path / LEDGER_FILE).ok
