"""How outgoing mail leaves: an embedded Maildir outbox or an SMTP server (plain, STARTTLS, implicit TLS).

``open_transport(url, outbox)`` picks the transport from the URL (``outbox`` is ``settings.outbox``):

  maildir:///abs/path             the embedded outbox (tmp/ → new/, fsynced; one file per key)
  smtp://host[:25]                plain SMTP (loopback relays and tests); login only to a loopback host
  smtp+starttls://[user@]host[:587]  STARTTLS required (never falls back to plain text)
  smtps://[user@]host[:465]       implicit TLS

SMTP login: the user from the URL, else ``[outbox] username``; the password from ``ITPC_SMTP_PASSWORD``;
an extra CA file from ``ITPC_SMTP_CAFILE``; the timeout from ``[outbox] timeout``.

Errors: ``TransientSendError`` means try again later (4xx, connection refused, timeout, TLS or login
failure — a configuration fix makes the retry work); ``PermanentSendError`` means the server refused the
message or a recipient for good (5xx): do not retry, hold it for an officer. Recipients are checked one by
one before any data is sent and the transaction is abandoned if any is refused, so a message reaches all of
its recipients or none and a retry never duplicates it for some.
"""
from __future__ import annotations

import base64
import errno
import hashlib
import ipaddress
import logging
import os
import re
import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable, Protocol, Sequence
from urllib.parse import unquote, urlsplit

from config.errors import ConfigError, TransportError
from config.sections import OutboxSettings
from ledger.files import ensure_folder, fsync_dir, in_folder, make_folders, write_private
from responders.compose import ascii_domain

log = logging.getLogger("itpc.transport")

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
DEFAULT_TIMEOUT = 30.0
DEFAULT_DEADLINE = 120.0   # seconds for one letter, greeting to QUIT
PASSWORD_ENV = "ITPC_SMTP_PASSWORD"
CAFILE_ENV = "ITPC_SMTP_CAFILE"


class TransientSendError(TransportError):
    """Not sent this time; retry later (4xx, connection refused, timeout). ``uncertain``: the connection was
    lost after the message itself went over, so the server may have accepted it (RFC 1047): a retry may
    deliver it twice, under the same Message-ID, which mail clients merge."""

    def __init__(self, message: str, *, uncertain: bool = False):
        super().__init__(message)
        self.uncertain = uncertain


class PermanentSendError(TransportError):
    """Refused for good (5xx: recipient unknown, message rejected); do not retry, hold for an officer."""


class TransportConfigError(ConfigError, ValueError):
    """The outbox URL or its settings cannot work; the message says which."""


class Transport(Protocol):
    def send(self, raw: bytes, *, sender: str, recipients: Sequence[str], key: str,
             stored: Path | None = None) -> str:
        """Hand ``raw`` over for delivery; return the server's answer, e.g. "250 2.0.0 Ok: queued as ABC".
        ``stored``: a durable file holding exactly ``raw`` (the archived copy), which a transport may link
        instead of writing the bytes again."""
        ...

    def check(self) -> str:
        """Whether a letter could go out now, sending nothing: what was checked, else a TransportError."""
        ...


def open_transport(url: str, outbox: OutboxSettings | None = None) -> Transport:
    """The transport named by ``url``; ``outbox`` is ``load_settings().outbox`` (None: the shipped values)."""
    outbox = outbox or OutboxSettings()
    if not isinstance(url, str) or "://" not in url:
        raise TransportConfigError(f"outbox.url: expected e.g. maildir:///var/outbox or smtp+starttls://host:587, "
                                   f"got {url!r}")
    scheme = url.split("://", 1)[0].lower()
    if scheme == "maildir":
        path = Path(unquote(url[len("maildir://"):]))
        if not path.is_absolute():
            raise TransportConfigError(f"outbox.url: maildir path must be absolute (config.load_settings resolves "
                                       f"relative ones), got {url!r}")
        return MaildirTransport(path)
    if scheme not in DEFAULT_PORTS:
        raise TransportConfigError(f"outbox.url: unknown scheme {scheme!r} (known: maildir, "
                                   f"{', '.join(DEFAULT_PORTS)})")
    parts = urlsplit(url)
    if not parts.hostname:
        raise TransportConfigError(f"outbox.url: no host in {url!r}")
    if parts.password:
        raise TransportConfigError("outbox.url: a password in the URL is not allowed; set ITPC_SMTP_PASSWORD")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise TransportConfigError(f"outbox.url: bad port in {url!r}") from None
    username = unquote(parts.username) if parts.username else outbox.username
    password = os.environ.get(PASSWORD_ENV) or None
    if username and not password:
        raise TransportConfigError(f"outbox: SMTP user {username!r} is configured but {PASSWORD_ENV} is not set")
    if username and scheme == "smtp" and not _loopback(parts.hostname):
        raise TransportConfigError(f"outbox.url: refusing to send a password over plain smtp:// to "
                                   f"{parts.hostname}; use smtp+starttls:// or smtps://")
    cafile = os.environ.get(CAFILE_ENV) or None
    if cafile and not Path(cafile).is_file():
        raise TransportConfigError(f"{CAFILE_ENV}: no such file {cafile}")
    timeout = outbox.timeout
    if timeout <= 0:
        raise TransportConfigError(f"outbox.timeout: must be greater than 0, got {timeout}")
    if outbox.send_deadline < timeout:
        raise TransportConfigError(f"outbox.send_deadline: must be at least outbox.timeout ({timeout:g}), "
                                   f"got {outbox.send_deadline:g}")
    return SMTPTransport(scheme=scheme, host=parts.hostname, port=port, username=username or None,
                         password=password if username else None, timeout=timeout, cafile=cafile,
                         deadline=outbox.send_deadline)


# ------------------------------------------------------------------------------------------------ Maildir


@dataclass(frozen=True)
class MaildirTransport:
    """The embedded outbox: a Maildir a person, a test or a relay picks messages up from.

    The file name is derived from ``key`` (a readable, safe prefix and a hash), so sending the same key again
    finds the message already in new/ or cur/ and returns the same answer without writing a second copy.
    A message whose archived copy is on the same file system is hard-linked into new/ from it (no second copy
    of a letter's bytes on the disk; the archive's files are 0640, so a reader of the outbox cannot change it).
    """
    root: Path

    def send(self, raw: bytes, *, sender: str, recipients: Sequence[str], key: str,
             stored: Path | None = None) -> str:
        if not key:
            raise ValueError("key: required (it names the message in the outbox)")
        name = maildir_name(key)
        answer = f"250 2.0.0 Ok: queued as {name}"
        try:
            # A folder removed since we made it is made again, and the delivery tried once more.
            if not in_folder(self.root, lambda: self._deliver(raw, name, stored)):
                log.info("outbox %s already holds %s; not written again", self.root, name)
        except OSError as exc:
            # A full disk or a permissions problem may be fixed: the outbox retries later.
            raise TransientSendError(f"maildir {self.root}: {exc.strerror or exc}") from exc
        return answer

    def check(self) -> str:
        """The outbox folders exist (or are made) and take a file: one is written to tmp/ and removed."""
        try:
            for sub in ("tmp", "new", "cur"):
                make_folders(self.root / sub)
            probe = self.root / "tmp" / f".itpc-check.{os.getpid()}"
            write_private(probe, b"")
            probe.unlink()
        except OSError as exc:
            raise TransientSendError(f"maildir {self.root}: {exc.strerror or exc}") from exc
        return f"maildir {self.root} writable"

    def _deliver(self, raw: bytes, name: str, stored: Path | None) -> bool:
        """Put the message in new/ unless it is in new/ or cur/ already (then False)."""
        for sub in ("tmp", "new", "cur"):
            ensure_folder(self.root / sub)
        if self._delivered(name):
            return False
        if stored is None or not self._linked(stored, name):
            self._written(raw, name)
        fsync_dir(self.root / "new")
        return True

    @cached_property
    def _cur(self) -> "_Listing":
        return _Listing(self.root / "cur")

    def _linked(self, stored: Path, name: str) -> bool:
        """Link the archived copy into new/ (complete the moment it appears); False where no link can be made
        (another file system, a file system without links): the caller writes a copy."""
        try:
            os.link(stored, self.root / "new" / name)  # never replaces another process's delivery
        except FileExistsError:
            return True
        except FileNotFoundError:
            if stored.exists():
                raise  # new/ is gone: made again by the caller
            return False  # the archived copy is not there to link: the bytes are written
        except OSError as exc:
            if exc.errno in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                return False
            raise
        return True

    def _written(self, raw: bytes, name: str) -> None:
        """Maildir delivery of a copy: written and synced in tmp/, then linked into new/."""
        tmp = self.root / "tmp" / f"{name}.{os.getpid()}"
        write_private(tmp, raw)
        try:
            # link() never replaces: if another process delivered the same key meanwhile, its copy stays.
            os.link(tmp, self.root / "new" / name)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        fsync_dir(self.root / "tmp")

    def _delivered(self, name: str) -> bool:
        if (self.root / "new" / name).exists():
            return True
        # A reader moves a message to cur/ and may append ":2,<flags>" to its name.
        names = self._cur.names()
        return name in names or any(n.startswith(name + ":") for n in names if n.startswith(name))


class _Listing:
    """A folder's names (a Maildir's cur/), listed again only when it changed, so that a send costs a few system
    calls however many messages a reader has moved there."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._kept: tuple[tuple[int, int, int], frozenset[str]] | None = None

    def names(self) -> frozenset[str]:
        """The names now. A listing is kept only while the folder has not changed since: its modification time,
        inode and size say so, and a listing made within a second of a change is not kept (the time's resolution
        is coarse: a rename in the same tick would not show)."""
        info = os.stat(self.folder)
        stamp = (info.st_mtime_ns, info.st_ino, info.st_size)
        if self._kept is not None and self._kept[0] == stamp:
            return self._kept[1]
        names = frozenset(os.listdir(self.folder))
        settled = time.time_ns() - info.st_mtime_ns > 1_000_000_000
        self._kept = (stamp, names) if settled else None
        return names


def maildir_name(key: str) -> str:
    """A Maildir file name for ``key``: safe characters only (no '/' or ':'), unique by a hash of the key."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("._")[:80] or "message"
    return f"{readable}.{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}.eml"


# ------------------------------------------------------------------------------------------------ SMTP


@dataclass(frozen=True)
class SMTPTransport:
    scheme: str            # smtp | smtp+starttls | smtps
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    cafile: str | None = None
    deadline: float = DEFAULT_DEADLINE  # seconds for the whole transaction, however the server trickles

    def send(self, raw: bytes, *, sender: str, recipients: Sequence[str], key: str,
             stored: Path | None = None) -> str:
        """One SMTP transaction on a fresh connection. ``key`` is only logged: SMTP cannot deduplicate; ``stored``
        is not used (the bytes go over the wire)."""
        if not recipients:
            raise PermanentSendError("no recipients")
        return self._session(lambda smtp: self._transaction(smtp, raw, sender, list(recipients)))

    def check(self) -> str:
        """Connect, greet, secure and log in as ``send`` does, then QUIT before any MAIL FROM (`itpc check`):
        nothing is sent. Returns what was checked; raises TransientSendError naming what failed."""
        def noop(smtp: smtplib.SMTP) -> str:
            smtp.ehlo_or_helo_if_needed()
            code, text = smtp.noop()
            if code != 250:
                raise _by_code(code, f"{self.host}: NOOP refused: {_reply(code, text)}")
            login = f", logged in as {self.username}" if self.username else ""
            return f"{self.scheme}://{self.host}:{self.port} answers{login}"
        return self._session(noop)

    def _session(self, work: Callable[[smtplib.SMTP], str]) -> str:
        """Run ``work`` on a fresh, greeted, secured and logged-in connection, within the deadline."""
        smtp = (smtplib.SMTP_SSL(timeout=self.timeout, context=self._context()) if self.scheme == "smtps"
                else smtplib.SMTP(timeout=self.timeout))
        # The timeout bounds each read, so a tarpit answering a byte at a time never trips it: a watchdog cuts
        # the connection once the whole transaction has taken longer than the deadline.
        watchdog = Watchdog(self.deadline, smtp)
        try:
            self._connect(smtp)
            try:
                self._login(smtp)
                return work(smtp)
            finally:
                _close(smtp)
        except (TransientSendError, PermanentSendError):
            raise
        except Exception as exc:
            if watchdog.fired.is_set():
                raise TransientSendError(f"{self.host}:{self.port}: the letter was not accepted within the "
                                         f"{self.deadline:g} s allowed (outbox.send_deadline)") from exc
            meaning = self._meaning(exc)
            if meaning is None:
                raise
            raise meaning from exc
        finally:
            watchdog.cancel()

    def _meaning(self, exc: Exception) -> TransportError | None:
        """What an error met in the transaction means for the letter: retry later, or hold it for an officer."""
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return TransientSendError(f"{self.host}: login as {self.username!r} refused "
                                      f"({_reply(exc.smtp_code, exc.smtp_error)}); check {PASSWORD_ENV}")
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return TransientSendError(f"{self.host}: {exc}")
        if isinstance(exc, smtplib.SMTPResponseException):
            return _by_code(exc.smtp_code, f"{self.host}: {_reply(exc.smtp_code, exc.smtp_error)}")
        if isinstance(exc, ssl.SSLError):  # before ValueError: a certificate error is one
            return TransientSendError(f"{self.host}:{self.port}: TLS failed ({exc.reason or exc}); "
                                      f"for a private CA set {CAFILE_ENV}")
        if isinstance(exc, (UnicodeError, ValueError)):  # an address or text SMTP cannot carry: this letter fails
            return PermanentSendError(f"{self.host}: {exc}")
        if isinstance(exc, (smtplib.SMTPException, OSError)):  # refused, reset, timeout, DNS, disconnected
            return TransientSendError(f"{self.host}:{self.port}: {exc or type(exc).__name__}")
        return None

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.cafile:
            context.load_verify_locations(cafile=self.cafile)
        return context

    def _connect(self, smtp: smtplib.SMTP) -> None:
        # Connecting after construction lets the watchdog see the socket during the greeting; smtplib then
        # needs the name TLS checks the certificate against (it sets it only when given the host up front).
        smtp._host = self.host
        smtp.connect(self.host, self.port)
        if self.scheme == "smtps":
            return
        smtp.ehlo()
        if self.scheme == "smtp+starttls":
            if not smtp.has_extn("starttls"):
                raise TransientSendError(f"{self.host}:{self.port} does not offer STARTTLS; not sending in "
                                         "plain text")
            smtp.starttls(context=self._context())
            smtp.ehlo()

    def _login(self, smtp: smtplib.SMTP) -> None:
        if not self.username:
            return
        user, password = self.username, self.password or ""
        if (user + password).isascii():
            smtp.login(user, password)
            return
        # smtplib encodes credentials as ASCII and would crash on "ė"; AUTH PLAIN is UTF-8 (RFC 4616).
        smtp.ehlo_or_helo_if_needed()
        if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
            raise TransientSendError(f"{self.host}: non-ASCII credentials need AUTH PLAIN, which is not offered")
        token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode("ascii")
        code, text = smtp.docmd("AUTH", "PLAIN " + token)
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, text)

    def _transaction(self, smtp: smtplib.SMTP, raw: bytes, sender: str, recipients: list[str]) -> str:
        smtp.ehlo_or_helo_if_needed()
        utf8 = smtp.has_extn("smtputf8")
        refused: dict[str, tuple[int, str]] = {}
        envelope = {}
        for rcpt in recipients:
            try:
                envelope[rcpt] = envelope_address(rcpt, utf8)
            except ValueError as exc:  # this recipient cannot be reached: the letter fails alone, like a 5xx
                refused[rcpt] = (553, str(exc))
        mail_from = envelope_address(sender, utf8)
        # SMTPUTF8 (RFC 6531) only where an address needs it: smtplib then sends the commands as UTF-8.
        options = ["SMTPUTF8"] if utf8 and not all(a.isascii() for a in [mail_from, *envelope.values()]) else []
        code, text = smtp.mail(mail_from, options)
        if code != 250:
            smtp.rset()
            raise _by_code(code, f"sender {sender} refused: {_reply(code, text)}")
        for rcpt, address in envelope.items():
            code, text = smtp.rcpt(address)
            if code not in (250, 251):
                refused[rcpt] = (code, text)
        if refused:
            smtp.rset()
            detail = "; ".join(f"{r}: {_reply(c, t)}" for r, (c, t) in refused.items())
            # Any temporary refusal makes the whole message worth retrying; all permanent → hold it.
            if any(400 <= c < 500 for c, _ in refused.values()):
                raise TransientSendError(f"recipient(s) deferred: {detail}")
            raise PermanentSendError(f"recipient(s) refused: {detail}")
        # SMTP needs CRLF line ends; a bare LF would be rejected or mangled by some servers.
        try:
            code, text = smtp.data(re.sub(rb"(?<!\r)\n", b"\r\n", raw))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise TransientSendError(f"{self.host}:{self.port}: connection lost during DATA, the server may have "
                                     f"accepted the message ({exc or type(exc).__name__})", uncertain=True) from exc
        if code != 250:
            raise _by_code(code, f"message refused: {_reply(code, text)}")
        return _reply(code, text)


def envelope_address(address: str, smtputf8: bool) -> str:
    """``address`` as an SMTP envelope carries it: the domain in IDNA; a mailbox name outside ASCII only when
    the server offers SMTPUTF8. A ValueError names why it cannot be carried."""
    try:
        address = ascii_domain(address)
    except ValueError as exc:
        raise ValueError(f"{address}: the domain cannot be written in IDNA ({exc})") from None
    if not address.isascii() and not smtputf8:
        raise ValueError(f"{address}: a mailbox name outside ASCII needs SMTPUTF8, which the server does not offer")
    return address


class Watchdog:
    """Cuts an SMTP connection after ``seconds``, unless cancelled first; ``fired`` says it did."""

    def __init__(self, seconds: float, smtp: smtplib.SMTP):
        self.smtp = smtp
        self.fired = threading.Event()
        self.timer = threading.Timer(seconds, self._cut)
        self.timer.daemon = True
        self.timer.start()

    def _cut(self) -> None:
        self.fired.set()
        sock = getattr(self.smtp, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # the blocked read returns at once; close() alone would not
            except OSError:
                pass

    def cancel(self) -> None:
        self.timer.cancel()


def _close(smtp: smtplib.SMTP) -> None:
    """QUIT politely; a failure here must not turn an accepted message into a retry (and a duplicate)."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _by_code(code: int, message: str) -> Exception:
    return PermanentSendError(message) if 500 <= code < 600 else TransientSendError(message)


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


__all__ = ["MaildirTransport", "PermanentSendError", "SMTPTransport", "TransientSendError", "Transport",
           "TransportConfigError", "maildir_name", "open_transport"]
