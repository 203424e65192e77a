"""A full disk and a read-only file system, for real (a small tmpfs mounted for the test; needs root): one
line naming the file and the cause, no temp files left behind, and `itpc run` goes on once space is back."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import CORPUS, ITPC, ROOT, itpc, itpc_env, make_config

pytestmark = pytest.mark.slow  # real mounts and a running service

MAILS = sorted((CORPUS / "mail").glob("c0[1-4]*.eml"))


@pytest.fixture
def volume(tmp_path):
    """A 2 MiB tmpfs at tmp_path/var, unmounted afterwards."""
    target = tmp_path / "var"
    target.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(target)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root?)")
    yield target
    subprocess.run(["umount", "-l", str(target)], check=True)


def fill(volume: Path) -> Path:
    """Use up every free byte of the volume; returns the filler file (delete it to free the space)."""
    filler = volume / "filler"
    with open(filler, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    return filler


def configured(tmp_path: Path, volume: Path) -> Path:
    config = make_config(tmp_path, outbox={"url": f"maildir://{volume / 'outbox'}"},
                         ledger={"path": str(volume / "ledger")}, mailbox={"idle_seconds": 0.2})
    for mail in MAILS:
        shutil.copy(mail, tmp_path / "inbox" / "new" / mail.name)
    return config


def leftovers(volume: Path) -> list[str]:
    return [str(p) for p in volume.rglob("*") if p.name.endswith(".tmp")]


def test_a_full_disk_is_one_line_naming_the_file_and_leaves_nothing_behind(tmp_path, volume):
    config = configured(tmp_path, volume)
    itpc(config, "ledger", "verify", check=False)  # the ledger folder exists before the disk fills
    fill(volume)
    result = itpc(config, "poll", "--once", now="2026-11-23T10:00", check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(f"itpc: {volume}") and "No space left on device" in lines[-1]
    assert "free some disk space" in lines[-1] and "Traceback" not in result.stderr
    assert leftovers(volume) == []


def test_a_read_only_ledger_is_one_line_and_the_inbox_keeps_the_mail(tmp_path, volume):
    config = configured(tmp_path, volume)
    itpc(config, "poll", "--once", now="2026-11-23T10:00")
    shutil.copy(CORPUS / "mail" / "c16-ascii.eml", tmp_path / "inbox" / "new" / "late.eml")
    subprocess.run(["mount", "-o", "remount,ro", str(volume)], check=True)
    result = itpc(config, "poll", "--once", now="2026-11-23T11:00", check=False)
    assert result.returncode == 1
    assert "Read-only file system" in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert (tmp_path / "inbox" / "new" / "late.eml").exists()  # not acknowledged: fetched again later


def test_run_waits_out_a_full_disk_and_catches_up_when_space_is_freed(tmp_path, volume):
    config = configured(tmp_path, volume)
    filler = fill(volume)
    proc = subprocess.Popen(ITPC + ["--config", str(config), "run"], cwd=ROOT, env=itpc_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        filler.unlink()
        deadline = time.monotonic() + 90
        registered = 0
        while time.monotonic() < deadline and registered < len(MAILS):
            time.sleep(0.5)
            path = volume / "ledger" / "ledger.jsonl"
            text = path.read_text(encoding="utf-8") if path.exists() else ""
            lines = text[: text.rfind("\n") + 1].splitlines()
            registered = sum(1 for line in lines if json.loads(line)["type"] == "request.registered")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    assert registered == len(MAILS)
    assert "No space left on device" in stderr and "retrying" in stderr
    assert proc.returncode == 0 and "Traceback" not in stderr
    assert itpc(config, "ledger", "verify").returncode == 0
