"""A real SMTP server on loopback (aiosmtpd) that records what it accepts and can defer or refuse on cue, and a
tarpit that never finishes its greeting.

Used by the end-to-end tests, which run `itpc` as a subprocess against it: what the server holds is exactly
what recipients would get.
"""
from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.helpers import free_port


@dataclass
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SMTPRecorder:
    """Keeps every accepted message; answers 451 to the first ``defer_data`` DATA commands and refuses the
    recipients in ``refuse_rcpt`` (address -> reply line); keeps the first ``drop_after_data`` messages but drops the
    connection before answering."""
    defer_data: int = 0
    drop_after_data: int = 0
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    rcpt_attempts: Counter = field(default_factory=Counter)
    data_attempts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self._lock:
            self.rcpt_attempts[address.lower()] += 1
        if address.lower() in self.refuse_rcpt:
            return self.refuse_rcpt[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.data_attempts += 1
            if self.data_attempts <= self.drop_after_data:
                # The message arrived; the connection is lost before the answer (RFC 1047's ambiguity).
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                self.deliveries.append(Delivery(envelope.mail_from, [r.lower() for r in envelope.rcpt_tos], message))
                server.transport.close()
                return "250 2.0.0 Ok: never heard"
            if self.data_attempts <= self.defer_data:
                return "451 4.3.0 Temporary failure, try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.deliveries.append(Delivery(envelope.mail_from, [r.lower() for r in envelope.rcpt_tos], message))
            return f"250 2.0.0 Ok: queued as Q{len(self.deliveries)}"

    def to(self, address: str) -> list[EmailMessage]:
        return [d.message for d in self.deliveries if address.lower() in d.rcpt_tos]

    def recipients(self) -> set[str]:
        return {r for d in self.deliveries for r in d.rcpt_tos}

    def per_message_id(self) -> Counter:
        return Counter(d.message["Message-ID"] for d in self.deliveries)


class SMTPServer:
    """``with SMTPServer(recorder) as server: ... server.url``"""

    def __init__(self, recorder: SMTPRecorder):
        self.recorder = recorder
        self.controller = Controller(recorder, hostname="127.0.0.1", port=free_port())

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"

    def __enter__(self) -> "SMTPServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class Tarpit:
    """A TCP server on loopback that greets forever, one continuation line of "220-" every 0.2 s."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.listener.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            while not self.stop.wait(0.2):
                try:
                    conn.sendall(b"220-please wait\r\n")
                except OSError:
                    return

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
