"""An IMAP inbox: TLS always (imaps or STARTTLS), timeouts always, reconnection with bounded backoff.

`fetch` lists the folder's UIDs, orders them by INTERNALDATE (the receipt time; our own server sets it) and
fetches ``BODY.PEEK[]`` (so nothing is marked \\Seen behind our back) in batches. A message whose RFC822.SIZE
is over the cap is fetched on its own, in partial fetches (``BODY.PEEK[]<offset.length>``) written to an
anonymous temporary file, and handed on as that file (`Incoming.spool`), never whole in memory. UIDs only
mean something within one UIDVALIDITY; when the server hands out a new one (a recreated mailbox) the folder
is simply listed again — the ledger recognises what it already holds by SHA-256. `acknowledge` moves a
registered message to the Processed folder: MOVE where the server has it, else COPY + \\Deleted + UID EXPUNGE
(UIDPLUS).
"""
from __future__ import annotations

import imaplib
import logging
import os
import ssl
import tempfile
import threading
import time
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

from imapclient import DELETED, IMAPClient
from imapclient.exceptions import LoginError
from imapclient.imapclient import SocketTimeout

from ingest.receipt import HEADER_LIMIT, receipt_time
from ingest.sources import ImapEndpoint, Incoming, MailboxError

log = logging.getLogger("itpc.ingest.imap")

T = TypeVar("T")

# A dropped or stalled connection: worth reconnecting. (ssl.SSLError and socket timeouts are OSErrors.)
TRANSIENT = (OSError, imaplib.IMAP4.abort, EOFError)
LIST_CHUNK = 500            # UIDs per INTERNALDATE listing command, to keep command lines short
IDLE_RENEW_SECONDS = 20 * 60  # RFC 2177: re-issue IDLE well before servers' 30-minute inactivity cut-off
IDLE_CHECK_SECONDS = 0.5    # how often an IDLE wait looks at the stop event
MAX_RESCANS = 3             # UIDVALIDITY changes tolerated within one fetch
SPOOL_FETCH = 8 << 20       # bytes per partial fetch of a message over the cap


class ImapSource:
    def __init__(self, endpoint: ImapEndpoint, *, processed_folder: str = "Processed", batch: int = 50,
                 timeout: float = 30.0, retries: int = 5, backoff: float = 0.5,
                 without_capabilities: Iterable[str] = (), connect: bool = True,
                 trusted_received: Iterable[str] = (), max_message_bytes: int | None = None):
        """``retries`` reconnections, waiting ``backoff`` seconds doubled each time, before a MailboxError.
        ``without_capabilities`` are ignored even if the server announces them (e.g. "MOVE", "IDLE").
        ``trusted_received`` (our own mail servers) dates a message the server gives no INTERNALDATE;
        a message over ``max_message_bytes`` is spooled to a temporary file (None: every message in memory)."""
        if batch < 1 or timeout <= 0:
            raise MailboxError(f"{endpoint.label}: batch and timeout must be positive")
        self.endpoint = endpoint
        self.processed_folder = processed_folder
        self.batch = batch
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.hidden = {c.upper() for c in without_capabilities}
        self.trusted_received = tuple(trusted_received)
        self.max_message_bytes = max_message_bytes
        self.capabilities: frozenset[str] = frozenset()
        self.uidvalidity: int | None = None
        self.reconnects = 0            # how many times a dropped connection was re-established
        self._tls = _tls_context(endpoint)
        self._client: IMAPClient | None = None
        self._highest_uid_listed = 0
        if connect:
            # No retries here: a wrong host, port or password is reported at once, not after a backoff.
            self._call("login", lambda client: None, retries=0)

    def __repr__(self) -> str:
        return f"ImapSource({self.endpoint.label})"

    def __enter__(self) -> "ImapSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- connection -------------------------------------------------------------------------------------
    def check(self) -> str:
        """Log in, select the folder read-only and log out, changing nothing on the server (`itpc check`; a
        missing Processed folder is only reported). Returns what was seen; a MailboxError names what failed."""
        ep = self.endpoint

        def look(client: IMAPClient) -> str:
            selected = client.select_folder(ep.folder, readonly=True)
            seen = f"{ep.label}: logged in, {int(selected.get(b'EXISTS', 0))} messages in {ep.folder}"
            if not client.folder_exists(self.processed_folder):
                seen += f"; {self.processed_folder} is made at the first poll"
            return seen
        try:
            return self._call(f"selecting {ep.folder}", look, retries=0, connect=self._login)
        finally:
            self.close()

    def _login(self) -> IMAPClient:
        """One attempt: connect, secure, log in."""
        ep = self.endpoint
        client = IMAPClient(ep.host, port=ep.port, ssl=ep.security == "tls", ssl_context=self._tls,
                            timeout=SocketTimeout(connect=self.timeout, read=self.timeout))
        try:
            if ep.security == "starttls":
                client.starttls(self._tls)
            client.login(ep.user, ep.password)
        except BaseException:
            _shutdown(client)
            raise
        return client

    def _connect(self) -> IMAPClient:
        """One attempt: connect, secure, log in, make sure Processed exists, select the folder."""
        ep = self.endpoint
        client = self._login()
        try:
            client.normalise_times = False  # INTERNALDATE with its zone, not the host's local time
            caps = {c.decode("ascii", "replace").upper() for c in client.capabilities()}
            if not client.folder_exists(self.processed_folder):
                client.create_folder(self.processed_folder)
                log.info("%s: created the %s folder", ep.label, self.processed_folder)
            selected = client.select_folder(ep.folder)
        except BaseException:
            _shutdown(client)
            raise
        validity = int(selected[b"UIDVALIDITY"])
        if self.uidvalidity is not None and validity != self.uidvalidity:
            log.warning("%s: UIDVALIDITY changed from %s to %s; the folder will be listed again",
                        ep.label, self.uidvalidity, validity)
        self.uidvalidity = validity
        self.capabilities = frozenset(caps - self.hidden)
        return client

    def _call(self, what: str, op: Callable[[IMAPClient], T], retries: int | None = None,
              connect: Callable[[], IMAPClient] | None = None) -> T:
        """Run ``op`` on a live connection, reconnecting with exponential backoff when the connection drops;
        ``connect`` opens one (default: logged in, the folder selected)."""
        label = self.endpoint.label
        connect = connect or self._connect
        retries = self.retries if retries is None else retries
        for attempt in range(retries + 1):
            connecting = self._client is None
            try:
                if self._client is None:
                    self._client = connect()
                    if attempt:
                        self.reconnects += 1
                connecting = False
                return op(self._client)
            except LoginError as exc:
                self._drop()
                raise MailboxError(f"{label}: login refused ({_text(exc)})") from None
            except ssl.SSLCertVerificationError as exc:
                self._drop()
                raise MailboxError(f"{label}: the server's TLS certificate is not trusted ({exc.verify_message}); "
                                   "set ITPC_IMAP_CAFILE for a private CA") from None
            except TRANSIENT as exc:
                self._drop()
                if attempt == retries:
                    doing = "cannot connect" if connecting else f"connection lost during {what}"
                    raise MailboxError(f"{label}: {doing} ({type(exc).__name__}: {_text(exc)}); "
                                       f"{attempt + 1} tries") from None
                delay = self.backoff * (2 ** attempt)
                log.warning("%s: connection lost during %s (%s); reconnecting in %.1fs", label, what,
                            _text(exc) or type(exc).__name__, delay)
                time.sleep(delay)
            except imaplib.IMAP4.error as exc:  # a NO or BAD answer: retrying would get the same answer
                raise MailboxError(f"{label}: {what} refused by the server ({_text(exc)})") from None
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        if self._client is not None:
            _shutdown(self._client)
            self._client = None

    # -- fetching ---------------------------------------------------------------------------------------
    def fetch(self) -> Iterator[Incoming]:
        """Every message in the folder (not flagged \\Deleted), in order of receipt, fetched in batches; a
        message over the cap is fetched alone, in pieces, into a temporary file closed once it is handled."""
        for _rescan in range(MAX_RESCANS + 1):
            validity, plan = self._call("listing", self._plan)
            if (yield from self._fetch_plan(validity, plan)):
                return
        raise MailboxError(f"{self.endpoint.label}: UIDVALIDITY keeps changing; giving up this fetch")

    def _fetch_plan(self, validity: int, plan: list[tuple[int, int]]) -> Iterator[Incoming]:
        """Yield the planned messages; returns False when a new UIDVALIDITY made the plan meaningless."""
        for start in range(0, len(plan), self.batch):
            chunk = plan[start:start + self.batch]
            small = [uid for uid, size in chunk if not self._too_large(size)]
            fetched = self._call("fetch", lambda client: self._fetch_batch(client, validity, small))
            if fetched is None:
                return False  # a new UIDVALIDITY: the planned UIDs mean nothing now, list again
            for uid, size in chunk:
                if not self._too_large(size):
                    if uid in fetched:  # a UID missing from the answer was expunged meanwhile
                        yield fetched[uid]
                    continue
                if self.uidvalidity != validity:
                    return False
                incoming = self._call("fetch", lambda client: self._fetch_spooled(client, validity, uid))
                if incoming is None:
                    continue
                try:
                    yield incoming
                finally:
                    incoming.close()
        return True

    def _too_large(self, size: int) -> bool:
        return self.max_message_bytes is not None and size > self.max_message_bytes

    def _plan(self, client: IMAPClient) -> tuple[int, list[tuple[int, int]]]:
        """(UIDVALIDITY, [(uid, RFC822.SIZE)] in order of INTERNALDATE)."""
        # A server updates a session's view of the folder between commands; NOOP makes sure the listing sees
        # what other sessions did since our last command (new mail, messages flagged or moved).
        client.noop()
        uids = sorted(client.search(["NOT", "DELETED"]))
        dated: list[tuple[datetime, int, int]] = []
        for start in range(0, len(uids), LIST_CHUNK):
            data = client.fetch(uids[start:start + LIST_CHUNK], [b"INTERNALDATE", b"RFC822.SIZE"])
            for uid, items in data.items():
                when = items.get(b"INTERNALDATE")
                size = items.get(b"RFC822.SIZE")
                dated.append((_utc(when) if isinstance(when, datetime) else _EPOCH, uid,
                              int(size) if isinstance(size, int) else 0))
        dated.sort()
        self._highest_uid_listed = max(uids, default=self._highest_uid_listed)
        assert self.uidvalidity is not None
        return self.uidvalidity, [(uid, size) for _when, uid, size in dated]

    def _fetch_batch(self, client: IMAPClient, validity: int, uids: list[int]) -> dict[int, Incoming] | None:
        if self.uidvalidity != validity:
            return None
        if not uids:
            return {}
        data = client.fetch(uids, [b"BODY.PEEK[]", b"INTERNALDATE"])
        out = {}
        for uid in uids:
            items = data.get(uid) or {}
            raw = items.get(b"BODY[]")
            if raw is None:
                continue
            out[uid] = Incoming(ref=f"{validity}:{uid}", raw=bytes(raw),
                                received_at=self._received(items.get(b"INTERNALDATE"), raw),
                                origin={"mailbox": self.endpoint.label, "uidvalidity": validity, "uid": uid})
        return out

    def _fetch_spooled(self, client: IMAPClient, validity: int, uid: int) -> Incoming | None:
        """One message over the cap, fetched ``SPOOL_FETCH`` bytes at a time into an anonymous temporary file;
        None when it was expunged meanwhile."""
        spool = tempfile.TemporaryFile()
        try:
            when = None
            offset = 0
            while True:
                items = client.fetch([uid], [f"BODY.PEEK[]<{offset}.{SPOOL_FETCH}>".encode(), b"INTERNALDATE"])
                items = items.get(uid)
                if items is None:
                    spool.close()
                    return None
                when = items.get(b"INTERNALDATE", when)
                piece = next((v for k, v in items.items() if k.startswith(b"BODY[")), None) or b""
                spool.write(piece)
                offset += len(piece)
                if len(piece) < SPOOL_FETCH:
                    break
            spool.flush()
            head = os.pread(spool.fileno(), HEADER_LIMIT, 0)
            return Incoming(ref=f"{validity}:{uid}", raw=b"", received_at=self._received(when, head),
                            origin={"mailbox": self.endpoint.label, "uidvalidity": validity, "uid": uid}, spool=spool)
        except BaseException:
            spool.close()
            raise

    def _received(self, internaldate: object, head: bytes) -> datetime:
        """INTERNALDATE (our server's); without one, our own servers' Received: date, else now: never the
        sender's own headers."""
        if isinstance(internaldate, datetime):
            return _utc(internaldate)
        return _utc(receipt_time(head, self.trusted_received) or _now())

    # -- acknowledging ----------------------------------------------------------------------------------
    def acknowledge(self, incoming: Incoming) -> None:
        """Move the message to the Processed folder; nothing happens if it is no longer in the folder."""
        self.acknowledge_all([incoming])

    def acknowledge_all(self, incomings: Sequence[Incoming]) -> None:
        """Move the messages to the Processed folder with one FETCH FLAGS and one MOVE (or COPY, STORE and
        UID EXPUNGE) for the batch, not a round trip or two per message; those no longer there are left alone."""
        by_validity: dict[int, list[int]] = {}
        for incoming in incomings:
            validity, uid = _uid_of(incoming)
            by_validity.setdefault(validity, []).append(uid)
        for validity, uids in by_validity.items():
            self._call("acknowledge", lambda client: self._move(client, validity, uids))

    def _move(self, client: IMAPClient, validity: int, uids: list[int]) -> None:
        if validity != self.uidvalidity:
            # Their UIDs belong to a mailbox that no longer exists; the messages, if still there, have new
            # UIDs and come back on the next fetch (the ledger knows them), to be acknowledged then.
            log.info("%s: UIDs %s of UIDVALIDITY %s are stale; not moved", self.endpoint.label,
                     ",".join(map(str, uids)), validity)
            return
        flags = client.fetch(uids, [b"FLAGS"])
        present = [uid for uid in uids if uid in flags]  # the others were moved already (a retry, another client)
        if not present:
            return
        if "MOVE" in self.capabilities:
            client.move(present, self.processed_folder)
            return
        # COPY, then \Deleted: a message already flagged was copied by an earlier, interrupted attempt.
        unflagged = [uid for uid in present if DELETED not in (flags[uid].get(b"FLAGS") or ())]
        if unflagged:
            client.copy(unflagged, self.processed_folder)
            client.add_flags(unflagged, [DELETED], silent=True)
        if "UIDPLUS" in self.capabilities:
            client.uid_expunge(present)
        # Without UIDPLUS a plain EXPUNGE would also remove messages someone else flagged \Deleted; the
        # flagged messages stay until then, and `fetch` does not list them.

    # -- waiting ----------------------------------------------------------------------------------------
    def wait(self, seconds: float, stop: threading.Event | None = None) -> None:
        """IMAP IDLE up to ``seconds`` (returns early on new mail or ``stop``); a plain sleep without IDLE."""
        stop = stop or threading.Event()
        deadline = time.monotonic() + max(0.0, seconds)
        try:
            if self._call("wait", self._has_unlisted):
                return
            if "IDLE" not in self.capabilities:
                stop.wait(max(0.0, deadline - time.monotonic()))
                return
            while not stop.is_set() and time.monotonic() < deadline:
                if self._idle(deadline, stop):
                    return
        except (MailboxError, *TRANSIENT) as exc:
            # The next fetch reconnects (or reports the failure); waiting must not spin meanwhile.
            log.warning("%s: waiting without IDLE (%s)", self.endpoint.label, exc)
            self._drop()
            stop.wait(max(0.0, deadline - time.monotonic()))

    def _has_unlisted(self, client: IMAPClient) -> bool:
        """Did mail arrive after the last listing? (IDLE only reports what arrives once it has begun.)"""
        client.noop()  # bring the session's view of the folder up to date first
        found = client.search(["UID", f"{self._highest_uid_listed + 1}:*"])
        return any(uid > self._highest_uid_listed for uid in found)

    def _idle(self, deadline: float, stop: threading.Event) -> bool:
        """One IDLE command, renewed by the caller; True when the server reported new mail."""
        client = self._client
        assert client is not None
        renew_at = time.monotonic() + IDLE_RENEW_SECONDS
        client.idle()
        arrived = False
        try:
            while not stop.is_set():
                now = time.monotonic()
                if now >= deadline or now >= renew_at:
                    break
                responses = client.idle_check(timeout=min(IDLE_CHECK_SECONDS, deadline - now))
                if any(isinstance(r, tuple) and b"EXISTS" in r for r in responses):
                    arrived = True
                    break
        finally:
            client.idle_done()
        return arrived

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.logout()
            except Exception:  # already gone: closing must not fail
                pass
            self._drop()


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _tls_context(endpoint: ImapEndpoint) -> ssl.SSLContext | None:
    """Certificate and host name always checked; against ITPC_IMAP_CAFILE when a private CA is in use."""
    if endpoint.security == "plain":
        return None
    try:
        return ssl.create_default_context(cafile=endpoint.cafile)
    except (OSError, ssl.SSLError) as exc:
        raise MailboxError(f"{endpoint.label}: cannot use the CA file {endpoint.cafile} ({exc})") from None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # imapclient gives aware datetimes with normalise_times off; be safe anyway
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _uid_of(incoming: Incoming) -> tuple[int, int]:
    origin = incoming.origin or {}
    try:
        if "uid" in origin and "uidvalidity" in origin:
            return int(origin["uidvalidity"]), int(origin["uid"])
        validity, uid = incoming.ref.split(":", 1)
        return int(validity), int(uid)
    except (ValueError, TypeError):
        raise MailboxError(f"not an IMAP message reference: {incoming.ref!r}") from None


def _text(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text.removeprefix("b'").removesuffix("'") if text.startswith("b'") else text


def _shutdown(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except Exception:  # the socket may already be dead
        pass
