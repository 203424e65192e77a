"""Shared test helpers: a throwaway configuration and the `itpc` command run as a user would.

``itpc(...)`` runs the command in this process through click's ``CliRunner`` (fast, and the same code path as
the installed command); ``itpc_process(...)`` runs it as a real process, for the few tests that need one
(exit codes seen by a shell, signals, crashes, several processes at once).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from config import load_settings
from ingest.receipt import receipt_time
from itpc.app import App
from itpc.cli import cli
from itpc.officers import process_login
from itpc.service import Runner
from ledger.clock import Clock

ROOT = Path(__file__).resolve().parents[1]
# The shared folder (corpus, rules, scorer) lies beside the project's root, for developers and for CI.
SHARED = Path(os.environ.get("ITPC_SHARED") or ROOT.parent / "shared")
CORPUS = SHARED / "corpus"
ITPC = [sys.executable, "-m", "itpc"]
OUR_MAIL_SERVERS = ("mail.lrmuitine.lt",)  # the shipped [mailbox] trusted_received: the corpus came through it

# The officers directory every test configuration gets (``make_config``): the user the tests run as is an officer
# (so officer commands work without sudo), and so are two colleagues a test acts as with ``as_officer``
# (SUDO_USER, as `sudo -u itpc itpc …` sets it). DUTY signs automatic letters and Sutikimas documents.
ME = process_login()
DUTY = "jjonaitis"
OFFICER = "rzemaitiene"
TEST_OFFICERS = {
    ME: ("Aušra Testuotoja", "Vyresnioji specialistė", "ausra.testuotoja@lrmuitine.lt"),
    OFFICER: ("Rūta Žemaitienė", "Vyriausioji specialistė", "ruta.zemaitiene@lrmuitine.lt"),
    DUTY: ("Jonas Jonaitis", "Vyresnysis specialistas", "jonas.jonaitis@lrmuitine.lt"),
}


def as_officer(login: str = OFFICER) -> dict[str, str]:
    """The environment `sudo -u itpc` gives a command that ``login`` runs (for ``itpc(..., env=...)``)."""
    return {"SUDO_USER": login}


def write_officers(path: Path, officers: dict[str, tuple[str, str, str]] = TEST_OFFICERS) -> Path:
    path.write_text("".join(f"[[officer]]\nlogin = {json.dumps(login)}\nname = {json.dumps(name)}\n"
                            f"position = {json.dumps(position)}\nemail = {json.dumps(email)}\n\n"
                            for login, (name, position, email) in officers.items()), encoding="utf-8")
    return path


def corpus_receipt(raw: bytes) -> datetime | None:
    """When a corpus message reached ITPC: the date on the Received: line our mail server put on top of it
    (what the corpus scorer names its Maildir files after)."""
    return receipt_time(raw, OUR_MAIL_SERVERS)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now (for the test servers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_config(tmp: Path, **sections: dict) -> Path:
    """A config with a Maildir inbox/outbox and a ledger under ``tmp``; extra keys per section."""
    for box in ("inbox", "outbox"):
        for sub in ("new", "cur", "tmp"):
            (tmp / box / sub).mkdir(parents=True, exist_ok=True)
    base = {"mailbox": {"url": f"maildir://{tmp / 'inbox'}"}, "outbox": {"url": f"maildir://{tmp / 'outbox'}"},
            "ledger": {"path": str(tmp / "ledger")},
            "officers": {"directory": str(write_officers(tmp / "officers.toml"))}, "itpc": {"duty_officer": DUTY}}
    for section, values in sections.items():
        base.setdefault(section, {}).update(values)
    lines = []
    for section, values in base.items():
        lines.append(f"[{section}]")
        lines.extend(f"{k} = {json.dumps(v)}" for k, v in values.items())
    path = tmp / "itpc.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def itpc_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without any ITPC_* setting or SUDO_USER (tests must not see the developer's), plus
    ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITPC_") and k != "SUDO_USER"}
    env.update(extra or {})
    return env


def itpc(config: Path, *args: str, now: str | None = None, check: bool = True,
         timeout: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``itpc --config config [--now now] args...`` in this process; ``env`` adds variables (e.g.
    ITPC_IMAP_PASSWORD). The result has a process's ``returncode``, ``stdout`` and ``stderr``."""
    argv = ["--config", str(config)] + (["--now", now] if now else []) + list(args)
    # The developer's ITPC_* settings must not leak in: unset them for the run (None unsets in CliRunner).
    # Nor their sudo: the acting officer is the process user unless ``env`` names one (``as_officer``).
    variables: dict[str, str | None] = {k: None for k in os.environ if k.startswith("ITPC_") or k == "SUDO_USER"}
    variables.update(env or {})
    with contextlib.chdir(ROOT):
        result = CliRunner().invoke(cli, argv, env=variables, prog_name="itpc", catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback here is a bug: the installed command would print one too
    proc = subprocess.CompletedProcess(["itpc", *argv], result.exit_code, result.stdout, result.stderr)
    if check and proc.returncode != 0:
        raise AssertionError(f"itpc {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def itpc_process(config: Path, *args: str, now: str | None = None, check: bool = True,
                 timeout: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``itpc --config config [--now now] args...`` as a separate process (``python -m itpc``)."""
    env = itpc_env(env)
    cmd = ITPC + ["--config", str(config)] + (["--now", now] if now else []) + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"itpc {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def poll_at(config: Path, message: Path, now: datetime) -> None:
    """Deliver one message and poll once with the clock at ``now``, as `itpc --now NOW poll --once` would (in
    process: a subprocess per message would cost a second each). Decisions and letters are dated ``now``."""
    shutil.copy(message, config.parent / "inbox" / "new" / message.name)
    app = App(load_settings(config), Clock(now))
    try:
        Runner(app).poll_once()
    finally:
        app.close()


# The shipped duty address: told at once of every case that enters the officer queue (itpc/answers.py).
DUTY_ADDRESS = load_settings().itpc.duty_address.lower()


def not_to_duty(messages: list) -> list:
    """The messages (parsed e-mails) that went to anyone but the duty officer: what people outside ITPC got."""
    return [m for m in messages if DUTY_ADDRESS not in str(m["To"]).lower()]
