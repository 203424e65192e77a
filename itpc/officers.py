"""Who is acting: the officer an `itpc` command runs for, and the officer who signs a letter (DESIGN.md
principle 7; issue 13 item 10).

An officer command records the real person: the login ``sudo`` names (``SUDO_USER``; the README has officers
run ``sudo -u itpc itpc …``, so the process user is the service account), else the user the process runs as,
taken from the system's user database and not from ``$USER``/``$LOGNAME``, which anyone can set. There is
no option to name someone else: an officer cannot act under another's name. ``SUDO_USER`` is honoured as
sudo sets it; whoever can run commands as the ledger's owner without sudo could write the ledger file itself,
so that account is trusted anyway. Only logins in the officers directory (``[officers] directory``) may act.

Letters carry their signer's name and position in their own lines: an officer's decision is signed by that
officer, an automatic one by the duty officer ``[itpc] duty_officer`` names.
"""
from __future__ import annotations

import os
import pwd
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from config import ConfigError, ItpcError, Settings
from config.officers import Officer, Officers, load_officers

__all__ = ["Officer", "NotAnOfficer", "acting_officer", "duty_officer", "signer", "signature_context", "login_of",
           "process_login", "directory"]

AUTO = "auto"  # `decided_by` of the rules engine's decisions


class NotAnOfficer(ItpcError):
    """The person running an officer command is not in the officers directory."""


def directory(settings: Settings) -> Officers:
    """The officers directory as the file holds it now (read again when it changes: `itpc run` runs for weeks)."""
    path = settings.officers.directory
    try:
        stat = path.stat()
    except OSError:
        return load_officers(path)  # the loader names the file and what is wrong with it
    return _loaded(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _loaded(path: Path, _mtime_ns: int, _size: int) -> Officers:
    return load_officers(path)


def process_login() -> str:
    """The login of the user this process runs as, from the user database (never from the environment)."""
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid with no passwd entry (some containers): it is nobody's login
        return str(uid)


def login_of(environ: Mapping[str, str]) -> str:
    """The person behind this process: the user who ran sudo, else the process's own user."""
    return (environ.get("SUDO_USER") or "").strip() or process_login()


def acting_officer(settings: Settings, *, environ: Mapping[str, str] = os.environ) -> Officer:
    """The officer running this command; NotAnOfficer (one line) for anyone the directory does not list."""
    officers = directory(settings)
    login = login_of(environ)
    officer = officers.get(login)
    if officer is None:
        raise NotAnOfficer(f"{login} is not an ITPC officer ({officers.path}); ask the ITPC administrator to add "
                           "you to the officers directory")
    return officer


def duty_officer(settings: Settings) -> Officer:
    """The officer whose name and position automatic letters and Sutikimas documents carry."""
    officers = directory(settings)
    officer = officers.get(settings.itpc.duty_officer)
    if officer is None:
        raise ConfigError(f"itpc.duty_officer: {settings.itpc.duty_officer!r} is not in the officers directory "
                          f"({officers.path})")
    return officer


def signer(settings: Settings, decided_by: str | None) -> Officer:
    """Who signs what follows from a decision: the officer who made it, else (the rules engine, or a login no
    longer listed) the duty officer."""
    if decided_by and decided_by != AUTO:
        officer = directory(settings).get(decided_by)
        if officer is not None:
            return officer
    return duty_officer(settings)


def signature_context(officer: Officer) -> dict[str, Any]:
    """The letter context keys of the signature (``_signature.txt``) and of the Sutikimas' officer slots."""
    return {"signer_name": officer.name, "signer_position": officer.position}
