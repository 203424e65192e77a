"""`itpc run` as a supervisor (systemd) sees it: real processes, SIGKILL mid-work, restart, SIGTERM.

Whatever the moment of the crash, the restarted process must catch up so that every message is registered
once, every answer is queued once and sent once, and the ledger still verifies.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import CORPUS as _SHARED_CORPUS, ITPC, ROOT, itpc, itpc_env, make_config
from tests.smtp_server import SMTPRecorder, SMTPServer, Tarpit

pytestmark = pytest.mark.slow  # real servers or processes

CORPUS = sorted((_SHARED_CORPUS / "mail").glob("*.eml"))


def start(config: Path) -> subprocess.Popen:
    return subprocess.Popen(ITPC + ["--config", str(config), "run"], cwd=ROOT, env=itpc_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def ledger_entries(tmp: Path) -> list[dict]:
    path = tmp / "ledger" / "ledger.jsonl"
    if not path.exists():
        return []
    # Only complete lines: the running process may be halfway through an append.
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()]


def count(entries: list[dict], type_: str) -> int:
    return sum(1 for e in entries if e["type"] == type_)


def wait_until(predicate, timeout: float, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise AssertionError(f"itpc run exited {proc.returncode} before {what}:\n{proc.stderr.read()[-3000:]}")
        time.sleep(0.01)
    proc.kill()
    raise AssertionError(f"timed out waiting for {what}:\n{proc.communicate()[1][-3000:]}")


def caught_up(tmp: Path, expected_mails: int, quiet: float = 0.6):
    """A predicate: everything received, registered, decided, answered and sent, and the ledger then quiet
    for ``quiet`` seconds (longer than the poll interval), so no step is still in flight."""
    last = {"size": -1, "since": time.monotonic()}

    def check() -> bool:
        entries = ledger_entries(tmp)
        if len(entries) != last["size"]:
            last.update(size=len(entries), since=time.monotonic())
            return False
        done = {e["data"]["id"] for e in entries if e["type"] in ("mail.sent", "mail.held")}
        queued = {e["data"]["id"] for e in entries if e["type"] == "mail.queued"}
        return (time.monotonic() - last["since"] >= quiet
                and not any((tmp / "inbox" / "new").iterdir())
                and count(entries, "mail.received") + count(entries, "mail.duplicate") >= expected_mails
                and count(entries, "request.registered") + count(entries, "correspondence.attached")
                == count(entries, "mail.received")
                and count(entries, "decision.made") >= count(entries, "request.registered")
                and bool(queued) and queued <= done)
    return check


@pytest.fixture(params=["maildir", "smtp"])
def outbox(request):
    """The embedded Maildir outbox, or a real SMTP server on loopback."""
    if request.param == "maildir":
        yield None, None
        return
    recorder = SMTPRecorder()
    with SMTPServer(recorder) as server:
        yield server.url, recorder


def test_killed_and_restarted_run_loses_nothing_and_repeats_nothing(tmp_path, outbox):
    smtp_url, recorder = outbox
    config = make_config(tmp_path, mailbox={"idle_seconds": 0.2}, **({"outbox": {"url": smtp_url}} if smtp_url else {}))
    first, second = CORPUS[: len(CORPUS) // 2], CORPUS[len(CORPUS) // 2:]
    for path in first:
        shutil.copy(path, tmp_path / "inbox" / "new" / path.name)

    proc = start(config)
    wait_until(lambda: count(ledger_entries(tmp_path), "request.registered") >= 3, 60, proc, "a few registrations")
    proc.send_signal(signal.SIGKILL)   # as a crash would: no clean-up at all
    proc.wait(timeout=10)

    for path in second:                # mail keeps arriving while the service is down
        shutil.copy(path, tmp_path / "inbox" / "new" / path.name)
    proc = start(config)
    wait_until(caught_up(tmp_path, len(CORPUS)), 120, proc, "the restart to catch up")
    proc.send_signal(signal.SIGTERM)
    try:
        _, stderr = proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("itpc run did not stop within 5 s of SIGTERM")
    assert proc.returncode == 0, stderr[-3000:]
    assert "stopped cleanly" in stderr and "tick failed" not in stderr and "Traceback" not in stderr

    entries = [json.loads(line) for line in itpc(config, "ledger", "export", "--json").stdout.splitlines()]
    corpus_shas = {hashlib.sha256(p.read_bytes()).hexdigest() for p in CORPUS}
    received = Counter(e["data"]["sha256"] for e in entries if e["type"] == "mail.received")
    duplicates = {e["data"]["sha256"] for e in entries if e["type"] == "mail.duplicate"}
    assert corpus_shas == set(received) | duplicates, "every corpus message is in the ledger"
    assert max(received.values()) == 1, "no message received twice"
    registered = Counter(e["data"]["mail_sha256"] for e in entries
                         if e["type"] in ("request.registered", "correspondence.attached"))  # a reply joins its case
    assert set(registered) == set(received) and max(registered.values()) == 1, "each registered once"
    numbers = [e["data"]["number"] for e in entries if e["type"] == "request.registered"]
    assert len(numbers) == len(set(numbers))

    queued = Counter(e["data"]["id"] for e in entries if e["type"] == "mail.queued")
    sent = Counter(e["data"]["id"] for e in entries if e["type"] == "mail.sent")
    held = {e["data"]["id"] for e in entries if e["type"] == "mail.held"}
    assert queued and max(queued.values()) == 1, "no duplicate mail.queued ids"
    assert max(sent.values()) == 1 and set(sent) | held == set(queued), "each queued message sent once"
    if recorder is None:
        delivered = [p for p in (tmp_path / "outbox" / "new").iterdir()]
        assert len(delivered) == len(sent), "the outbox Maildir holds each sent message exactly once"
    else:
        per_id = recorder.per_message_id()
        assert len(per_id) == len(sent) and max(per_id.values()) == 1, "the SMTP server got each message once"

    verdict = itpc(config, "ledger", "verify", check=False)
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr


def test_a_stuck_mail_server_holds_up_neither_intake_nor_decisions(tmp_path):
    tarpit = Tarpit()
    try:
        config = make_config(tmp_path, mailbox={"idle_seconds": 0.2},
                             outbox={"url": f"smtp://127.0.0.1:{tarpit.port}", "timeout": 5, "send_deadline": 600})
        first, later = CORPUS[0], CORPUS[1]
        shutil.copy(first, tmp_path / "inbox" / "new" / first.name)
        proc = start(config)
        wait_until(lambda: count(ledger_entries(tmp_path), "mail.queued") >= 1, 60, proc, "the first answer queued")
        # The sender is now stuck in the tarpit's greeting for up to 10 minutes; mail keeps coming in.
        shutil.copy(later, tmp_path / "inbox" / "new" / later.name)
        wait_until(lambda: count(ledger_entries(tmp_path), "decision.made") >= 2, 60, proc,
                   "the second message decided while the first letter is still being sent")
        proc.kill()
        proc.wait(timeout=10)
    finally:
        tarpit.close()
    assert count(ledger_entries(tmp_path), "mail.sent") == 0
