"""Every deliberate error and every failure on our own files reaches the user as one line, exit status 1.

The root group turns any ``ItpcError`` (and ``OSError``: a missing folder, no permission, a full or read-only
disk) into ``itpc: <what> ...; <what to do>``, so an error from a new adapter is never a traceback.
"""
from __future__ import annotations

import errno

import click
import pytest

from config import errors
from itpc import cli as itpc_cli
from tests.helpers import itpc, itpc_process, make_config


def one_line(proc) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("itpc: "), proc.stderr
    return lines[0]


@pytest.mark.parametrize("kind", [errors.ConfigError, errors.LedgerError, errors.MailboxError,
                                  errors.TransportError, errors.DocumentError, errors.RequestError])
def test_every_kind_users_see_is_an_itpc_error(kind):
    assert issubclass(kind, errors.ItpcError)


def test_an_officers_action_the_rules_refuse_is_one_line(tmp_path):
    config = make_config(tmp_path)
    itpc(config, "poll", "--once")
    line = one_line(itpc(config, "decide", "ITPC-2026-999999", "consent", check=False))
    assert "ITPC-2026-999999" in line


def test_a_ledger_folder_that_cannot_be_made_names_the_path_and_what_to_do(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    config = make_config(tmp_path, ledger={"path": str(blocker / "ledger")})
    line = one_line(itpc(config, "poll", "--once", check=False))
    assert str(blocker) in line


@pytest.mark.parametrize("error, words", [
    (PermissionError(errno.EACCES, "Permission denied", "/var/lib/itpc/ledger/ledger.jsonl"),
     ["/var/lib/itpc/ledger/ledger.jsonl", "Permission denied", "permissions"]),
    (OSError(errno.ENOSPC, "No space left on device", "/var/lib/itpc/ledger/ledger.jsonl"),
     ["ledger.jsonl", "No space left", "disk space"]),
    (OSError(errno.EROFS, "Read-only file system", "/var/lib/itpc/ledger/archive"),
     ["archive", "Read-only", "writable"]),
    (errors.MailboxError("imaps://itpc@mail.lrmuitine.lt/INBOX: login refused"), ["login refused"]),
])
def test_an_error_from_any_command_becomes_one_line(tmp_path, monkeypatch, error, words):
    @click.command()
    def failing() -> None:
        """Fails as a new adapter might.

        \b
        Example:
          itpc failing
        """
        raise error

    monkeypatch.setitem(itpc_cli.COMMANDS, "failing", f"{__name__}:FAILING")
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "FAILING", failing, raising=False)
    line = one_line(itpc(make_config(tmp_path), "failing", check=False))
    assert all(word in line for word in words), line


def test_the_installed_command_prints_one_line_and_exits_1(tmp_path):
    config = make_config(tmp_path)
    proc = itpc_process(config, "decide", "ITPC-2026-000001", "consent", check=False)
    assert "Traceback" not in proc.stderr
    one_line(proc)


def test_a_configuration_error_is_one_line_from_the_installed_command(tmp_path):
    config = tmp_path / "itpc.toml"
    config.write_text('[ledger]\nlock_timeout = "long"\n', encoding="utf-8")
    proc = itpc_process(config, "ledger", "tail", check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "itpc: configuration: ledger.lock_timeout: expected a number, found 'long'"]
