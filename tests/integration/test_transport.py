"""Transports against real servers: aiosmtpd on loopback (plain, STARTTLS with a self-signed certificate made
here by openssl, implicit TLS, AUTH) and a real Maildir on disk."""
from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import ssl
import subprocess
import threading
from datetime import datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from hypothesis import given, settings as hsettings, strategies as st

from config import load_settings
from ledger.clock import VILNIUS
from responders.compose import compose
from responders.transport import (MaildirTransport, PermanentSendError, TransientSendError, TransportConfigError,
                                  maildir_name, open_transport)
from tests.helpers import make_config
from tests.smtp_server import Tarpit

SENDER = "ITPC@lrmuitine.lt"


def message(n: int = 1, to: tuple[str, ...] = ("deklaracijos@bkl.lt",)) -> bytes:
    return compose(sender=SENDER, to=list(to), subject=f"Sutikimas Nr. VTP-2026-00000{n} – tęstinumas",
                   body="Gerb. Rūta,\n\nSutikimas išduotas.\n", message_id=f"<answer-{n}@lrmuitine.lt>",
                   date=datetime(2026, 11, 23, 8, 41, tzinfo=VILNIUS))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """An SMTP handler that keeps every accepted envelope and can refuse on cue."""

    def __init__(self, *, refuse_rcpt: dict[str, str] | None = None, data_answers: list[str] | None = None):
        self.refuse_rcpt = refuse_rcpt or {}
        self.data_answers = list(data_answers or [])   # answers given to DATA before accepting
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.logins: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        if self.data_answers:
            return self.data_answers.pop(0)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return f"250 2.0.0 Ok: queued as Q{len(self.envelopes)}"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cr\xc4\x97t":
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def serve(handler: Recorder, **kwargs) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def server():
    started: list[Controller] = []

    def start(handler: Recorder, **kwargs) -> Controller:
        controller = serve(handler, **kwargs)
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("openssl CLI not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def server_tls(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture
def settings(tmp_path):
    return load_settings(make_config(tmp_path, outbox={"timeout": 2}))


@pytest.fixture(autouse=True)
def no_smtp_secrets(monkeypatch):
    monkeypatch.delenv("ITPC_SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("ITPC_SMTP_CAFILE", raising=False)


def message_ids(handler: Recorder) -> list[str]:
    return [email.message_from_bytes(content, policy=email.policy.default)["Message-ID"]
            for _, _, content in handler.envelopes]


# ------------------------------------------------------------------------------------------ plain SMTP


def test_plain_smtp_delivers_the_message_to_every_recipient_and_returns_the_servers_answer(server, settings):
    handler = Recorder()
    controller = server(handler)
    transport = open_transport(f"smtp://127.0.0.1:{controller.port}", settings.outbox)
    answer = transport.send(message(to=("a@bkl.lt", "b@lrmuitine.lt")), sender=SENDER,
                            recipients=["a@bkl.lt", "b@lrmuitine.lt"], key="out-1")
    assert answer == "250 2.0.0 Ok: queued as Q1"
    [(mail_from, rcpts, content)] = handler.envelopes
    assert mail_from == SENDER and rcpts == ["a@bkl.lt", "b@lrmuitine.lt"]
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert parsed["Subject"] == "Sutikimas Nr. VTP-2026-000001 – tęstinumas"


def test_a_451_is_retried_by_the_caller_and_the_message_arrives_exactly_once(server, settings):
    handler = Recorder(data_answers=["451 4.3.0 Temporary failure, try again later"])
    controller = server(handler)
    transport = open_transport(f"smtp://127.0.0.1:{controller.port}", settings.outbox)
    attempts, answer = 0, None
    while answer is None and attempts < 5:
        attempts += 1
        try:
            answer = transport.send(message(), sender=SENDER, recipients=["deklaracijos@bkl.lt"], key="out-1")
        except TransientSendError as exc:
            assert "451" in str(exc)
    assert attempts == 2 and answer.startswith("250 ")
    assert message_ids(handler) == ["<answer-1@lrmuitine.lt>"]


def test_a_550_recipient_is_a_permanent_error_and_nothing_is_delivered(server, settings):
    handler = Recorder(refuse_rcpt={"nera@bkl.lt": "550 5.1.1 <nera@bkl.lt>: Recipient address rejected"})
    controller = server(handler)
    transport = open_transport(f"smtp://127.0.0.1:{controller.port}", settings.outbox)
    with pytest.raises(PermanentSendError, match="550 5.1.1"):
        transport.send(message(), sender=SENDER, recipients=["nera@bkl.lt"], key="out-1")
    # All or nothing: one refused recipient stops the message for the accepted one too (a retry or an
    # officer's resend would otherwise give that one a second copy).
    with pytest.raises(PermanentSendError, match="nera@bkl.lt"):
        transport.send(message(), sender=SENDER, recipients=["ok@bkl.lt", "nera@bkl.lt"], key="out-2")
    assert handler.envelopes == []


def test_a_deferred_recipient_makes_the_whole_message_transient(server, settings):
    handler = Recorder(refuse_rcpt={"pilna@bkl.lt": "452 4.2.2 Mailbox full"})
    controller = server(handler)
    transport = open_transport(f"smtp://127.0.0.1:{controller.port}", settings.outbox)
    with pytest.raises(TransientSendError, match="452"):
        transport.send(message(), sender=SENDER, recipients=["ok@bkl.lt", "pilna@bkl.lt"], key="out-1")
    assert handler.envelopes == []


def test_a_554_for_the_message_is_permanent(server, settings):
    handler = Recorder(data_answers=["554 5.7.1 Message rejected as spam"])
    controller = server(handler)
    transport = open_transport(f"smtp://127.0.0.1:{controller.port}", settings.outbox)
    with pytest.raises(PermanentSendError, match="554 5.7.1"):
        transport.send(message(), sender=SENDER, recipients=["a@bkl.lt"], key="out-1")


def test_a_domain_outside_ascii_is_sent_in_idna_in_the_envelope_and_the_header(server, settings):
    handler = Recorder()
    controller = server(handler)
    transport = open_transport(f"smtp://127.0.0.1:{controller.port}", settings.outbox)
    transport.send(message(to=("Rasa <rasa@bkl-ž.lt>",)), sender=SENDER, recipients=["rasa@bkl-ž.lt"], key="idna")
    [(_, rcpts, content)] = handler.envelopes
    assert rcpts == ["rasa@xn--bkl--obb.lt"]
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert parsed["To"].addresses[0].addr_spec == "rasa@xn--bkl--obb.lt"
    assert parsed["To"].addresses[0].display_name == "Rasa"


@pytest.mark.parametrize("smtputf8, delivered", [(False, []), (True, ["jūratė@bkl.lt"])])
def test_a_mailbox_name_outside_ascii_goes_only_where_the_server_offers_smtputf8(server, settings, smtputf8,
                                                                                   delivered):
    handler = Recorder()
    controller = server(handler, enable_SMTPUTF8=smtputf8)
    transport = open_transport(f"smtp://127.0.0.1:{controller.port}", settings.outbox)
    raw = message(to=("a@bkl.lt",))  # headers cannot carry the name without RFC 6532; the envelope can
    if smtputf8:
        transport.send(raw, sender=SENDER, recipients=["jūratė@bkl.lt"], key="utf8")
    else:
        with pytest.raises(PermanentSendError, match="SMTPUTF8"):
            transport.send(raw, sender=SENDER, recipients=["jūratė@bkl.lt"], key="utf8")
    assert [r for _, rcpts, _ in handler.envelopes for r in rcpts] == delivered


def test_connection_refused_is_transient(settings):
    transport = open_transport(f"smtp://127.0.0.1:{free_port()}", settings.outbox)
    with pytest.raises(TransientSendError):
        transport.send(message(), sender=SENDER, recipients=["a@bkl.lt"], key="out-1")


def test_a_server_that_never_answers_times_out_as_transient(tmp_path):
    slow = load_settings(make_config(tmp_path, outbox={"timeout": 0.3}))
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)          # accepts the TCP connection, never says hello
        transport = open_transport(f"smtp://127.0.0.1:{silent.getsockname()[1]}", slow.outbox)
        with pytest.raises(TransientSendError):
            transport.send(message(), sender=SENDER, recipients=["a@bkl.lt"], key="out-1")


# ----------------------------------------------------------------------------------------------- TLS


def test_a_server_that_trickles_its_greeting_costs_one_letter_its_deadline_not_forever(tmp_path):
    tarpit = Tarpit()
    settings = load_settings(make_config(tmp_path, outbox={"timeout": 1, "send_deadline": 2}))
    transport = open_transport(f"smtp://127.0.0.1:{tarpit.port}", settings.outbox)
    outcome: list[BaseException] = []

    def send() -> None:
        try:
            transport.send(message(), sender=SENDER, recipients=["a@bkl.lt"], key="tarpit")
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            outcome.append(exc)

    worker = threading.Thread(target=send, daemon=True)
    worker.start()
    worker.join(60)  # far beyond the deadline: only a transaction with no overall bound is still running
    tarpit.close()
    assert not worker.is_alive()
    [error] = outcome
    assert isinstance(error, TransientSendError) and "send_deadline" in str(error)


def test_a_deadline_shorter_than_the_reply_timeout_is_a_configuration_error(tmp_path):
    settings = load_settings(make_config(tmp_path, outbox={"timeout": 30, "send_deadline": 10}))
    with pytest.raises(TransportConfigError, match="send_deadline"):
        open_transport("smtp://127.0.0.1:2525", settings.outbox)


def test_starttls_with_a_private_ca_and_login_delivers(server, settings, certificate, monkeypatch):
    handler = Recorder()
    controller = server(handler, tls_context=server_tls(certificate), require_starttls=True,
                        authenticator=handler.authenticate, auth_required=True)
    monkeypatch.setenv("ITPC_SMTP_PASSWORD", "s3crėt")
    monkeypatch.setenv("ITPC_SMTP_CAFILE", str(certificate[0]))
    transport = open_transport(f"smtp+starttls://itpc@127.0.0.1:{controller.port}", settings.outbox)
    answer = transport.send(message(), sender=SENDER, recipients=["a@bkl.lt"], key="out-1")
    assert answer.startswith("250 ") and handler.logins == ["itpc"]
    assert message_ids(handler) == ["<answer-1@lrmuitine.lt>"]


def test_starttls_refuses_an_unverified_certificate_rather_than_sending(server, settings, certificate):
    handler = Recorder()
    controller = server(handler, tls_context=server_tls(certificate), require_starttls=True)
    transport = open_transport(f"smtp+starttls://127.0.0.1:{controller.port}", settings.outbox)
    with pytest.raises(TransientSendError, match="TLS"):
        transport.send(message(), sender=SENDER, recipients=["a@bkl.lt"], key="out-1")
    assert handler.envelopes == []


def test_starttls_never_falls_back_to_plain_text(server, settings):
    handler = Recorder()
    controller = server(handler)   # offers no STARTTLS
    transport = open_transport(f"smtp+starttls://127.0.0.1:{controller.port}", settings.outbox)
    with pytest.raises(TransientSendError, match="STARTTLS"):
        transport.send(message(), sender=SENDER, recipients=["a@bkl.lt"], key="out-1")
    assert handler.envelopes == []


def test_a_wrong_password_is_a_clear_transient_error(server, settings, certificate, monkeypatch):
    handler = Recorder()
    controller = server(handler, tls_context=server_tls(certificate), require_starttls=True,
                        authenticator=handler.authenticate, auth_required=True)
    monkeypatch.setenv("ITPC_SMTP_PASSWORD", "wrong")
    monkeypatch.setenv("ITPC_SMTP_CAFILE", str(certificate[0]))
    transport = open_transport(f"smtp+starttls://itpc@127.0.0.1:{controller.port}", settings.outbox)
    with pytest.raises(TransientSendError, match="ITPC_SMTP_PASSWORD"):
        transport.send(message(), sender=SENDER, recipients=["a@bkl.lt"], key="out-1")
    assert handler.envelopes == []


def test_smtps_implicit_tls_delivers(server, settings, certificate, monkeypatch):
    handler = Recorder()
    controller = server(handler, server_hostname="localhost", ssl_context=server_tls(certificate))
    monkeypatch.setenv("ITPC_SMTP_CAFILE", str(certificate[0]))
    transport = open_transport(f"smtps://127.0.0.1:{controller.port}", settings.outbox)
    assert transport.send(message(), sender=SENDER, recipients=["a@bkl.lt"], key="k").startswith("250 ")
    assert message_ids(handler) == ["<answer-1@lrmuitine.lt>"]


# -------------------------------------------------------------------------------------- configuration


def test_the_username_may_come_from_the_settings(tmp_path, monkeypatch):
    configured = load_settings(make_config(tmp_path, outbox={"username": "itpc-relay"}))
    with pytest.raises(TransportConfigError, match="ITPC_SMTP_PASSWORD"):
        open_transport("smtp+starttls://mail.lrmuitine.lt", configured.outbox)
    monkeypatch.setenv("ITPC_SMTP_PASSWORD", "x")
    transport = open_transport("smtp+starttls://mail.lrmuitine.lt", configured.outbox)
    assert (transport.username, transport.port) == ("itpc-relay", 587)


@pytest.mark.parametrize("url, message", [
    ("ftp://host", "unknown scheme"),
    ("mail.lrmuitine.lt", "expected e.g."),
    ("maildir://var/outbox", "absolute"),
    ("smtp+starttls://:587", "no host"),
    ("smtps://itpc:hunter2@mail.lrmuitine.lt", "password in the URL"),
    ("smtp://itpc@mail.lrmuitine.lt", "plain smtp"),
])
def test_unusable_urls_are_named(url, message, settings, monkeypatch):
    monkeypatch.setenv("ITPC_SMTP_PASSWORD", "x")
    with pytest.raises(TransportConfigError, match=message):
        open_transport(url, settings.outbox)


def test_default_ports_follow_the_scheme(settings):
    assert open_transport("smtp://relay.lrmuitine.lt", settings.outbox).port == 25
    assert open_transport("smtp+starttls://relay.lrmuitine.lt", settings.outbox).port == 587
    assert open_transport("smtps://relay.lrmuitine.lt", settings.outbox).port == 465


# --------------------------------------------------------------------------------------------- Maildir


def files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file())


def test_the_configured_maildir_outbox_receives_the_exact_bytes(tmp_path, settings):
    transport = open_transport(settings.outbox.url, settings.outbox)
    raw = message()
    answer = transport.send(raw, sender=SENDER, recipients=["a@bkl.lt"], key="ITPC-2026-000001/answer")
    [stored] = files(tmp_path / "outbox" / "new")
    assert stored.read_bytes() == raw and stored.name in answer and answer.startswith("250 ")
    assert files(tmp_path / "outbox" / "tmp") == []


def test_sending_the_same_key_twice_leaves_one_file_and_the_same_answer(tmp_path):
    transport = MaildirTransport(tmp_path / "box")
    first = transport.send(message(1), sender=SENDER, recipients=["a@bkl.lt"], key="ITPC-2026-000001/answer")
    again = transport.send(message(1), sender=SENDER, recipients=["a@bkl.lt"], key="ITPC-2026-000001/answer")
    assert first == again and len(files(tmp_path / "box" / "new")) == 1
    transport.send(message(2), sender=SENDER, recipients=["a@bkl.lt"], key="ITPC-2026-000002/answer")
    assert len(files(tmp_path / "box" / "new")) == 2


def test_a_message_already_read_into_cur_is_not_written_again(tmp_path):
    transport = MaildirTransport(tmp_path / "box")
    answer = transport.send(message(), sender=SENDER, recipients=["a@bkl.lt"], key="k-1")
    [stored] = files(tmp_path / "box" / "new")
    stored.rename(tmp_path / "box" / "cur" / f"{stored.name}:2,S")   # what a mail reader does
    assert transport.send(message(), sender=SENDER, recipients=["a@bkl.lt"], key="k-1") == answer
    assert files(tmp_path / "box" / "new") == []


def test_an_unwritable_maildir_is_transient(tmp_path):
    blocker = tmp_path / "box"
    blocker.write_text("a file where the outbox should be")
    with pytest.raises(TransientSendError, match="maildir"):
        MaildirTransport(blocker).send(message(), sender=SENDER, recipients=["a@bkl.lt"], key="k")


@hsettings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=200), st.text(min_size=1, max_size=200))
def test_maildir_names_are_safe_and_distinct_for_distinct_keys(a, b):
    for key in (a, b):
        name = maildir_name(key)
        assert "/" not in name and ":" not in name and not name.startswith(".") and os.sep not in name
        assert len(name.encode()) < 255
    if a != b:
        assert maildir_name(a) != maildir_name(b)


def test_an_archived_copy_is_linked_into_the_outbox_not_copied(tmp_path):
    archived = tmp_path / "archive" / "letter.eml"
    archived.parent.mkdir()
    archived.write_bytes(message())
    transport = MaildirTransport(tmp_path / "box")
    answer = transport.send(message(), sender=SENDER, recipients=["a@bkl.lt"], key="k-1", stored=archived)
    [delivered] = files(tmp_path / "box" / "new")
    assert delivered.name in answer and delivered.read_bytes() == message()
    assert os.path.samefile(delivered, archived)  # one copy of the letter on the disk
    assert files(tmp_path / "box" / "tmp") == []


def test_a_missing_archived_copy_is_written_from_the_bytes(tmp_path):
    transport = MaildirTransport(tmp_path / "box")
    transport.send(message(), sender=SENDER, recipients=["a@bkl.lt"], key="k-1", stored=tmp_path / "gone.eml")
    [delivered] = files(tmp_path / "box" / "new")
    assert delivered.read_bytes() == message()


def test_an_outbox_folder_removed_while_running_is_made_again(tmp_path):
    transport = MaildirTransport(tmp_path / "box")
    transport.send(message(1), sender=SENDER, recipients=["a@bkl.lt"], key="k-1")
    shutil.rmtree(tmp_path / "box")
    transport.send(message(2), sender=SENDER, recipients=["a@bkl.lt"], key="k-2")
    [delivered] = files(tmp_path / "box" / "new")
    assert delivered.read_bytes() == message(2)


def test_a_message_a_reader_moved_to_cur_long_ago_or_just_now_is_never_written_again(tmp_path):
    transport = MaildirTransport(tmp_path / "box")
    cur = tmp_path / "box" / "cur"
    for n in (1, 2):
        transport.send(message(n), sender=SENDER, recipients=["a@bkl.lt"], key=f"k-{n}")
    first, second = files(tmp_path / "box" / "new")
    first.rename(cur / f"{first.name}:2,S")
    os.utime(cur, ns=(0, 10**18))   # a listing of cur/ made now is kept: it changed long ago
    assert "k-1" in transport.send(message(1), sender=SENDER, recipients=["a@bkl.lt"], key="k-1")
    second.rename(cur / f"{second.name}:2,S")  # cur/ changes after the kept listing
    transport.send(message(2), sender=SENDER, recipients=["a@bkl.lt"], key="k-2")
    assert files(tmp_path / "box" / "new") == []
