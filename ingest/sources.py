"""Mailbox sources: where requests come from (an IMAP folder or a Maildir), behind one small interface.

A source is stateless about what was registered: `fetch` lists what is still in the inbox, the poller
registers each message in the ledger (which dedupes by SHA-256 and Message-ID) and only then calls
`acknowledge`, which takes the message out of the inbox. A crash between the two re-fetches the message,
which the ledger turns into a no-op.

    source = open_source(settings.mailbox.url, settings.mailbox)
    for incoming in source.fetch():
        register(incoming)            # durable first
        source.acknowledge(incoming)  # then off the inbox
    source.wait(60, stop_event)       # IMAP IDLE or a poll of the Maildir
    source.close()
"""
from __future__ import annotations

import hashlib
import ipaddress
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO, Iterator, NamedTuple, Protocol, Sequence
from urllib.parse import unquote, urlsplit

from config.errors import MailboxError

PASSWORD_ENV = "ITPC_IMAP_PASSWORD"
CAFILE_ENV = "ITPC_IMAP_CAFILE"


SPOOL_CHUNK = 1 << 20  # bytes read at a time from a spooled message


class LocalFile(NamedTuple):
    """The file on this machine a message was read from, still open: the very file read, whatever its name
    becomes meanwhile."""
    path: Path
    file: BinaryIO


@dataclass(frozen=True)
class Incoming:
    """One message as fetched: its bytes, when it reached us, and where it lies (JSON-ready).

    A message over ``[mailbox] max_message_bytes`` is not held in memory: ``spool`` is an open file holding it
    (the Maildir file itself, or an anonymous temporary file for IMAP), ``raw`` is empty, and the message is
    read through ``head`` (a bounded prefix, for its headers), ``chunks`` (to archive it) and ``sha256``.
    A message read whole from a file on this machine (a Maildir's) keeps that file open (``local``): the
    archive may keep the file itself rather than a copy (``ledger.archive.RawArchive.adopt``)."""
    ref: str                 # stable within the mailbox: Maildir file name, or f"{uidvalidity}:{uid}"
    raw: bytes               # the whole message; b"" when ``spool`` holds it
    received_at: datetime    # aware, UTC
    origin: dict[str, Any]
    spool: BinaryIO | None = None
    local: LocalFile | None = None

    def __repr__(self) -> str:  # the bytes would flood any log line
        return f"Incoming(ref={self.ref!r}, {self.size} bytes, received_at={self.received_at.isoformat()})"

    @property
    def size(self) -> int:
        return os.fstat(self.spool.fileno()).st_size if self.spool is not None else len(self.raw)

    def head(self, limit: int) -> bytes:
        """The first ``limit`` bytes of the message (all of it when it is shorter)."""
        if self.spool is None:
            return self.raw[:limit]
        return os.pread(self.spool.fileno(), limit, 0)

    def chunks(self) -> Iterator[bytes]:
        """The message's bytes in order, at most ``SPOOL_CHUNK`` at a time from a spool."""
        if self.spool is None:
            yield self.raw
            return
        offset = 0
        while chunk := os.pread(self.spool.fileno(), SPOOL_CHUNK, offset):
            yield chunk
            offset += len(chunk)

    @cached_property
    def sha256(self) -> str:
        """The SHA-256 of the message's bytes (hex): its identity in the ledger and the archive."""
        digest = hashlib.sha256()
        for chunk in self.chunks():
            digest.update(chunk)
        return digest.hexdigest()

    def close(self) -> None:
        """Let go of the spool (a temporary one disappears) and of the local file; the message's bytes are no
        longer readable."""
        if self.spool is not None:
            self.spool.close()
        if self.local is not None:
            self.local.file.close()


class MailboxSource(Protocol):
    def fetch(self) -> Iterator[Incoming]:
        """Messages still in the inbox, in order of receipt."""

    def acknowledge(self, incoming: Incoming) -> None:
        """Take a registered message out of the inbox (Maildir: new/ → cur/ with S; IMAP: to Processed).
        Idempotent: acknowledging twice, or a message already gone, does nothing."""

    def acknowledge_all(self, incomings: Sequence[Incoming]) -> None:
        """``acknowledge`` each of ``incomings`` (a committed batch), in as few server round trips as it can."""

    def wait(self, seconds: float, stop: threading.Event | None = None) -> None:
        """Block up to ``seconds``; return early on new mail (where the source can tell) or when ``stop`` is set."""

    def close(self) -> None:
        ...


@dataclass(frozen=True)
class ImapEndpoint:
    """Where and how to reach an IMAP folder; parsed from the mailbox URL and the environment."""
    host: str
    port: int
    user: str
    folder: str
    security: str            # "tls" (imaps), "starttls", or "plain" (loopback only)
    password: str = ""
    cafile: str | None = None

    def __repr__(self) -> str:  # never the password
        return f"ImapEndpoint({self.label})"

    @property
    def label(self) -> str:
        scheme = {"tls": "imaps", "starttls": "imap+starttls", "plain": "imap"}[self.security]
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


def maildir_path(url: str) -> Path:
    """The folder of a maildir:// URL; a relative one ("maildir://var/inbox") is taken from the current folder."""
    rest = unquote(url.split("://", 1)[1])
    if not rest:
        raise MailboxError(f"mailbox URL {url!r}: no Maildir path")
    return Path(rest).expanduser().resolve()


def imap_endpoint(url: str, environ: dict[str, str] | os._Environ) -> ImapEndpoint:
    """Parse an IMAP mailbox URL; the password comes from ITPC_IMAP_PASSWORD, a private CA from ITPC_IMAP_CAFILE."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    security = {"imaps": "tls", "imap+starttls": "starttls", "imap": "plain"}[scheme]
    try:
        port = parts.port
    except ValueError:
        raise MailboxError(f"mailbox URL {url!r}: the port is not a number") from None
    host = parts.hostname
    if not host:
        raise MailboxError(f"mailbox URL {url!r}: no host")
    user = unquote(parts.username or "")
    if not user:
        raise MailboxError(f"mailbox URL {url!r}: no user (imaps://user@host/INBOX)")
    if parts.password:
        raise MailboxError(f"mailbox URL: the password belongs in {PASSWORD_ENV}, never in the URL")
    if security == "plain" and not _is_loopback(host):
        raise MailboxError(f"mailbox URL {scheme}://{host}: plain IMAP would send the password in clear; "
                           "use imaps:// or imap+starttls://")
    password = environ.get(PASSWORD_ENV, "")
    if not password:
        raise MailboxError(f"IMAP mailbox {user}@{host}: set the password in {PASSWORD_ENV}")
    cafile = environ.get(CAFILE_ENV) or None
    if cafile and not Path(cafile).is_file():
        raise MailboxError(f"{CAFILE_ENV}: no such file {cafile}")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapEndpoint(host=host, port=port or (993 if security == "tls" else 143), user=user, folder=folder,
                        security=security, password=password, cafile=cafile)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
