"""Ledger, archive and outbox hold personal data: folders 0750, files 0640 or stricter, whatever the umask."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

from tests.helpers import CORPUS, ITPC, ROOT, itpc_env


def modes(root: Path) -> dict[str, int]:
    found = {}
    for path in [root, *root.rglob("*")]:
        found[str(path.relative_to(root.parent))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def test_a_service_started_with_umask_000_keeps_its_files_private(tmp_path):
    inbox = tmp_path / "inbox"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True)
    shutil.copy(CORPUS / "mail" / "c01-labels-plain.eml", inbox / "new" / "1.c01.eml")
    config = tmp_path / "itpc.toml"
    config.write_text("\n".join([
        "[mailbox]", f"url = {json.dumps('maildir://' + str(inbox))}",
        "[outbox]", f"url = {json.dumps('maildir://' + str(tmp_path / 'var' / 'outbox'))}",
        "[ledger]", f"path = {json.dumps(str(tmp_path / 'var' / 'ledger'))}", ""]), encoding="utf-8")
    for args in (["--now", "2026-11-23T08:00:00+02:00", "poll", "--once"], ["requests"]):
        command = " ".join([*ITPC, "--config", str(config), *args])
        subprocess.run(["sh", "-c", f"umask 000 && exec {command}"], cwd=ROOT, env=itpc_env(), check=True,
                       capture_output=True, timeout=300)

    found = modes(tmp_path / "var")
    letters = [name for name in found if "/outbox/new/" in name]
    archived = [name for name in found if "/ledger/" in name and name.endswith(".eml")]
    assert letters and archived, sorted(found)  # the run wrote letters and archived the message
    assert {name: oct(mode) for name, mode in found.items() if os.path.isdir(tmp_path / name)
            and mode != 0o750} == {}
    assert {name: oct(mode) for name, mode in found.items() if os.path.isfile(tmp_path / name)
            and mode & 0o137} == {}
