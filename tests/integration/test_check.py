"""`itpc --version`, `itpc check` against a real Dovecot and a real SMTP server, and `itpc run`'s start line."""
from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from itpc.version import version
from ledger.entries import MAIL_ACKNOWLEDGED
from ledger.store import Ledger
from tests.dovecot import Dovecot
from tests.helpers import ITPC, ROOT, free_port, itpc, itpc_env, itpc_process, make_config
from tests.smtp_server import SMTPRecorder, SMTPServer


def test_version_prints_the_package_version():
    done = itpc_process(Path("/nonexistent"), "--version")
    assert done.stdout.strip() == f"itpc {version()}"
    assert version()[0].isdigit()


def test_check_of_the_embedded_setup_is_all_ok(tmp_path):
    done = itpc(make_config(tmp_path), "check")
    lines = done.stdout.splitlines()
    assert all(line.startswith("ok    ") for line in lines), done.stdout
    for what in ("configuration", "offices directory", "templates", "institutions directory",
                 "officers directory", "common transit directory", "ledger folder writable", "archive folder writable", "outage page folder writable", "mailbox",
                 "outbox"):
        assert any(line.startswith(f"ok    {what}: ") for line in lines), (what, done.stdout)


def test_a_broken_common_transit_directory_is_a_fail_line(tmp_path):
    broken = tmp_path / "common_transit.toml"
    broken.write_text('home = { code = "LT" }\n[[common_transit]]\ncode = "CH"\n', encoding="utf-8")
    done = itpc(make_config(tmp_path, etd={"common_transit": str(broken)}), "check", check=False)
    assert done.returncode == 1
    [line] = [line for line in done.stdout.splitlines() if "common transit directory" in line]
    assert line.startswith("FAIL  common transit directory: ") and "common_transit.toml" in line


def test_a_broken_template_is_a_fail_line(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    for source in (ROOT / "config" / "templates").glob("*.txt"):
        (templates / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (templates / "refusal.txt").write_text("Tema: {{ request_no }}\n{% if %}\n", encoding="utf-8")
    done = itpc(make_config(tmp_path, templates={"directory": str(templates)}), "check", check=False)
    assert done.returncode == 1
    assert any(line.startswith("FAIL  templates: ") and "refusal" in line for line in done.stdout.splitlines())


@pytest.mark.slow  # real servers
class TestAgainstRealServers:
    @pytest.fixture
    def servers(self, dovecot: Dovecot, tmp_path):
        recorder = SMTPRecorder()
        with SMTPServer(recorder) as smtp:
            imap = f"imaps://{dovecot.user}@{dovecot.host}:{dovecot.port}/INBOX"
            config = make_config(tmp_path, mailbox={"url": imap}, outbox={"url": smtp.url, "timeout": 5})
            env = {"ITPC_IMAP_PASSWORD": dovecot.password, "ITPC_IMAP_CAFILE": dovecot.cafile}
            yield config, env, recorder

    def test_all_ok_exits_0_and_sends_nothing(self, servers):
        config, env, recorder = servers
        done = itpc(config, "check", env=env)
        lines = done.stdout.splitlines()
        assert all(line.startswith("ok    ") for line in lines), done.stdout
        assert any(line.startswith("ok    mailbox: imaps://") and "INBOX" in line for line in lines), done.stdout
        assert any(line.startswith("ok    outbox: smtp://127.0.0.1:") for line in lines), done.stdout
        assert recorder.deliveries == [] and recorder.data_attempts == 0 and not recorder.rcpt_attempts

    def test_a_wrong_imap_password_fails_naming_the_login(self, servers):
        config, env, _ = servers
        done = itpc(config, "check", env={**env, "ITPC_IMAP_PASSWORD": "Neteisingas-1"}, check=False)
        assert done.returncode == 1
        fails = [line for line in done.stdout.splitlines() if line.startswith("FAIL  ")]
        assert len(fails) == 1 and fails[0].startswith("FAIL  mailbox: ") and "login refused" in fails[0], done.stdout

    def test_a_closed_smtp_port_fails_naming_the_server(self, servers, tmp_path):
        _, env, _ = servers
        port = free_port()  # nothing listens there
        config = make_config(tmp_path / "closed", outbox={"url": f"smtp://127.0.0.1:{port}", "timeout": 5})
        done = itpc(config, "check", env=env, check=False)
        assert done.returncode == 1
        fails = [line for line in done.stdout.splitlines() if line.startswith("FAIL  ")]
        assert len(fails) == 1 and fails[0].startswith(f"FAIL  outbox: 127.0.0.1:{port}: "), done.stdout
        assert "refused" in fails[0].lower(), done.stdout


def test_an_outbox_folder_that_is_a_file_fails_naming_the_folder(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder", encoding="utf-8")  # root ignores permission bits, not file types
    done = itpc(make_config(tmp_path, outbox={"url": f"maildir://{blocked}"}), "check", check=False)
    assert done.returncode == 1
    fails = [line for line in done.stdout.splitlines() if line.startswith("FAIL  ")]
    assert fails == [f"FAIL  outbox: maildir {blocked}: Not a directory"], done.stdout


@pytest.mark.slow  # a real process
def test_run_logs_one_start_line_with_version_mailbox_outbox_and_ledger_head(tmp_path):
    config = make_config(tmp_path, mailbox={"idle_seconds": 0.2})
    with Ledger(tmp_path / "ledger") as ledger:
        ledger.append(MAIL_ACKNOWLEDGED, {"sha256": "0" * 64, "ref": "earlier"})
        head = ledger.head
    proc = subprocess.Popen(ITPC + ["--config", str(config), "run"], cwd=ROOT, env=itpc_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    starts = [line for line in stderr.splitlines() if " starting: " in line]
    assert len(starts) == 1, stderr
    assert (f"itpc {version()} starting: mailbox maildir://{tmp_path / 'inbox'}, outbox maildir://"
            f"{tmp_path / 'outbox'}, ledger {tmp_path / 'ledger'} (1 entries, head {head})") in starts[0]
