"""The officers' view of requests, folded from the ledger and kept incrementally in SQLite beside it.

The ledger stays the only source of truth: this file is a cache that can be deleted at any time and is rebuilt
from the ledger. It remembers how far it has read (sequence number, byte offset and hash of the last entry
folded), so each command folds only the entries appended since; if the ledger no longer holds that entry at
that place (restored from a backup, replaced), or the fold's code changed, the view is rebuilt from scratch.

Why SQLite (standard library) and not TinyDB: TinyDB keeps every document in memory and scans for each query,
so answering a question over 100,000 requests would mean reading the whole ledger each time, which is exactly
what this view exists to avoid.

What it stores per request: its record (``request_records``), and where in the ledger file each entry of its
story lies (``seq``, byte offset, length), so `itpc show` reads those lines and nothing else.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from config.errors import LedgerError
from ledger import request_records as rr
from ledger.clock import parse_instant
from ledger.entries import (CASE_CLOSED, CASE_REPLIED, CASE_TAKEN, CONSENT_EXPIRED, CORRESPONDENCE_ATTACHED,
                            DEADLINE_BREACHED, DECISION_MADE, MAIL_ACKNOWLEDGED, MAIL_DUPLICATE, MAIL_FAILED, MAIL_HELD,
                            MAIL_QUEUED, MAIL_RECEIVED, MAIL_REQUEUED, MAIL_SENT, MAIL_UNWRITTEN, OFFICER_NOTE,
                            REQUEST_REGISTERED, REQUEST_REPARSED, REQUEST_REQUEUED)
from ledger.store import GENESIS, LEDGER_FILE, CorruptLedger, Entry, decode_line, entry_hash, freeze
from ledger.text import code_key, fold

log = logging.getLogger("itpc.index")

INDEX_FILE = "views.sqlite3"
FLUSH_EVERY = 100_000  # entries folded between writes of the cached records (bounds memory on a rebuild)
READ_CHUNK = 16 << 20


def _code_version() -> str:
    """The fold's own source: a change to how records are folded makes every stored view stale."""
    digest = hashlib.sha256()
    for module in (rr.__file__, __file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()


VERSION = _code_version()

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    number TEXT PRIMARY KEY, kind TEXT NOT NULL, received REAL NOT NULL, month TEXT NOT NULL,
    outcome TEXT NOT NULL, eori TEXT NOT NULL, search TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS requests_received ON requests (received, number);
CREATE INDEX IF NOT EXISTS requests_outcome ON requests (outcome, received);
CREATE INDEX IF NOT EXISTS requests_month ON requests (month, received);
CREATE INDEX IF NOT EXISTS requests_eori ON requests (eori, received);
CREATE TABLE IF NOT EXISTS story (number TEXT NOT NULL, seq INTEGER NOT NULL, offset INTEGER NOT NULL,
    length INTEGER NOT NULL, PRIMARY KEY (number, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refs (key TEXT PRIMARY KEY, number TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (key TEXT NOT NULL, seq INTEGER NOT NULL, offset INTEGER NOT NULL,
    length INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID;
"""
TABLES = ("meta", "requests", "story", "refs", "pending")


class ViewError(LedgerError):
    """The view cannot be read or brought up to date; the message says why in one line."""


@dataclass(frozen=True)
class Position:
    """How far the view has read: the last folded entry and where the next line starts."""
    seq: int = 0
    hash: str = GENESIS
    line_offset: int = 0   # where the last folded line starts
    offset: int = 0        # where the next line starts


@dataclass(frozen=True)
class Located:
    """One ledger entry as read from the file, with where it lies."""
    entry: Entry
    offset: int
    length: int


class RequestIndex:
    """Records of all requests, current with the ledger file as of the last ``refresh``."""

    def __init__(self, connection: sqlite3.Connection, ledger_path: Path):
        self.db = connection
        self.ledger_path = ledger_path

    # -- opening --------------------------------------------------------------------------------------
    @classmethod
    def open(cls, ledger_dir: Path, *, refresh: bool = True) -> "RequestIndex":
        """Open (or create) the view beside the ledger and fold what is new; a read-only ledger folder
        gets a view in memory, built from the whole ledger."""
        ledger_dir = Path(ledger_dir)
        ledger_path = ledger_dir / LEDGER_FILE
        if not ledger_path.exists():
            return cls(_connect(":memory:"), ledger_path)  # nothing registered yet: an empty view
        try:
            connection = _connect(ledger_dir / INDEX_FILE)
        except (sqlite3.Error, OSError) as exc:
            log.warning("request view %s not writable (%s); building it in memory", ledger_dir / INDEX_FILE, exc)
            connection = _connect(":memory:")
        index = cls(connection, ledger_path)
        if refresh:
            index.refresh()
        return index

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "RequestIndex":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- folding --------------------------------------------------------------------------------------
    def refresh(self) -> int:
        """Fold the entries appended to the ledger since the last refresh; returns how many."""
        if not self.ledger_path.exists():
            return 0
        if self._up_to_date():
            return 0  # nothing new: no write transaction at all
        try:
            self.db.execute("BEGIN IMMEDIATE")  # one folder at a time; readers go on (WAL)
        except sqlite3.OperationalError as exc:
            raise ViewError(f"request view {self.ledger_path.parent / INDEX_FILE}: {exc}") from None
        try:
            position = self._valid_position()
            folder = _Folder(self.db)
            count = 0
            for located in read_entries(self.ledger_path, position):
                folder.fold(located)
                count += 1
                position = Position(located.entry.seq, located.entry.hash, located.offset,
                                    located.offset + located.length)
                if count % FLUSH_EVERY == 0:
                    folder.flush()
            folder.flush()
            self._store_position(position)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        if count:
            log.debug("request view: folded %d entries up to seq %d", count, position.seq)
        return count

    def _up_to_date(self) -> bool:
        """Whether the view has read the whole file as it is now (a cheap check before taking any lock)."""
        return (self._meta("version") == VERSION
                and self.position().offset == self.ledger_path.stat().st_size)

    def _valid_position(self) -> Position:
        """Where to resume: the stored position if the ledger still holds that entry there and the fold's
        code is the same; otherwise nothing (the view is emptied and rebuilt)."""
        position = self.position()
        if self._meta("version") == VERSION and position.seq and _holds(self.ledger_path, position):
            return position
        if position.seq or self._meta("version") not in (None, VERSION):
            log.warning("request view out of step with the ledger (or with this version); rebuilding")
        for table in TABLES:
            self.db.execute(f"DELETE FROM {table}")
        self.db.execute("INSERT INTO meta VALUES ('version', ?)", (VERSION,))
        return Position()

    def position(self) -> Position:
        raw = self._meta("position")
        return Position(**json.loads(raw)) if raw else Position()

    def _store_position(self, position: Position) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('position', ?)", (json.dumps(position.__dict__),))

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # -- questions ------------------------------------------------------------------------------------
    def record(self, number: str) -> rr.Record | None:
        row = self.db.execute("SELECT record FROM requests WHERE number = ?", (number,)).fetchone()
        return json.loads(row[0]) if row else None

    def record_of_consent(self, consent_no: str) -> rr.Record | None:
        """The request a consent (VTP number) was given on."""
        row = self.db.execute("SELECT number FROM refs WHERE key = ?", ("vtp:" + consent_no,)).fetchone()
        return self.record(row[0]) if row else None

    def records(self, *, kind: str | None = None, outcomes: Iterable[str] | None = None, eori: str | None = None,
                since: datetime | None = None, until: datetime | None = None,
                month: str | None = None) -> list[rr.Record]:
        """Records matching every filter given, in order of receipt; ``until`` is exclusive."""
        where, args = [], []
        if kind:
            where.append("kind = ?"), args.append(kind)
        if outcomes is not None:
            outcomes = list(outcomes)
            where.append(f"outcome IN ({','.join('?' * len(outcomes))})"), args.extend(outcomes)
        if eori:
            where.append("eori = ?"), args.append(code_key(eori))
        if since:
            where.append("received >= ?"), args.append(since.timestamp())
        if until:
            where.append("received < ?"), args.append(until.timestamp())
        if month:
            where.append("month = ?"), args.append(month)
        sql = "SELECT record FROM requests" + (" WHERE " + " AND ".join(where) if where else "")
        return [json.loads(r[0]) for r in self.db.execute(sql + " ORDER BY received, number", args)]

    def search(self, text: str) -> list[rr.Record]:
        """Records whose searchable text holds every word of ``text`` (case and diacritics ignored)."""
        words = fold(text).split()
        if not words:
            return []
        where = " AND ".join("instr(search, ?) > 0" for _ in words)
        rows = self.db.execute(f"SELECT record FROM requests WHERE {where} ORDER BY received, number", words)
        return [json.loads(r[0]) for r in rows]

    def story(self, number: str) -> list[Entry]:
        """The ledger entries about one request, read from the ledger file where the view says they are;
        each is re-hashed, so what is shown is what the chain holds."""
        rows = self.db.execute("SELECT seq, offset, length FROM story WHERE number = ? ORDER BY seq",
                               (number,)).fetchall()
        entries = []
        with open(self.ledger_path, "rb") as fh:
            for seq, offset, length in rows:
                raw = os.pread(fh.fileno(), length, offset)
                obj = decode_line(raw.rstrip(b"\n"), seq)
                if obj["seq"] != seq or entry_hash(obj["seq"], obj["ts"], obj["type"], obj["data"],
                                                   obj["prev"]) != obj["hash"]:
                    raise CorruptLedger(f"entry {seq} of {number} is not what the ledger held; run `itpc ledger verify`")
                entries.append(Entry(obj["seq"], obj["ts"], obj["type"], freeze(obj["data"]), obj["prev"],
                                     obj["hash"]))
        return entries

    def numbers(self) -> int:
        return self.db.execute("SELECT count(*) FROM requests").fetchone()[0]


# --- the fold's shell: which record an entry concerns, cached between writes ------------------------------

class _Folder:
    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.records: dict[str, rr.Record] = {}
        self.refs: dict[str, str] = {}
        self.story: list[tuple[str, int, int, int]] = []
        self.pending: dict[str, list[tuple[int, int, int]]] = {}
        # Entries of messages not yet registered may wait in the table from an earlier refresh or flush.
        self.pending_stored = self.db.execute("SELECT EXISTS (SELECT 1 FROM pending)").fetchone()[0] == 1
        self.handlers: dict[str, Callable[[Located], None]] = {
            MAIL_RECEIVED: self._on_mail, MAIL_DUPLICATE: self._on_mail, MAIL_ACKNOWLEDGED: self._on_mail,
            REQUEST_REGISTERED: self._on_registered, CORRESPONDENCE_ATTACHED: self._on_attached,
            REQUEST_REQUEUED: self._on_request(rr.with_requeue),
            REQUEST_REPARSED: self._on_request(rr.with_reparse),
            DECISION_MADE: self._on_decision,
            DEADLINE_BREACHED: self._on_request(rr.with_breach),
            OFFICER_NOTE: self._on_request(rr.with_note),
            CASE_TAKEN: self._on_request(rr.with_taken),
            CASE_REPLIED: self._on_request(rr.with_replied),
            CASE_CLOSED: self._on_request(rr.with_closed),
            CONSENT_EXPIRED: self._on_consent_expired,
            MAIL_QUEUED: self._on_queued,
            MAIL_SENT: self._on_outbox(rr.with_sent), MAIL_FAILED: self._on_outbox(rr.with_failed),
            MAIL_HELD: self._on_outbox(rr.with_held), MAIL_REQUEUED: self._on_outbox(rr.with_released),
            MAIL_UNWRITTEN: self._on_unwritten,
        }

    def fold(self, located: Located) -> None:
        handler = self.handlers.get(located.entry.type)
        if handler is not None:
            handler(located)

    # -- lookups through the cache ----------------------------------------------------------------------
    def record(self, number: str) -> rr.Record | None:
        if number not in self.records:
            row = self.db.execute("SELECT record FROM requests WHERE number = ?", (number,)).fetchone()
            if row is None:
                return None
            self.records[number] = json.loads(row[0])
        return self.records[number]

    def ref(self, key: str) -> str | None:
        if key not in self.refs:
            row = self.db.execute("SELECT number FROM refs WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            self.refs[key] = row[0]
        return self.refs[key]

    def change(self, number: str | None, located: Located, step: Callable[..., rr.Record], *,
               in_story: bool = True) -> None:
        record = self.record(number) if number else None
        if record is None:
            return  # about a request this ledger never registered: nothing to fold it into
        self.records[number] = step(record, located.entry.data, located.entry.ts)
        if in_story:
            self.story.append((number, located.entry.seq, located.offset, located.length))

    # -- handlers ---------------------------------------------------------------------------------------
    def _on_mail(self, located: Located) -> None:
        data = located.entry.data
        if located.entry.type == MAIL_DUPLICATE:
            self.refs["dup:" + data["sha256"]] = data["first_sha256"]  # its acknowledgement names only its own
        sha = data.get("first_sha256") or self.ref("dup:" + data["sha256"]) or data["sha256"]
        number = self.ref("sha:" + sha)
        where = (located.entry.seq, located.offset, located.length)
        if number:
            self.story.append((number, *where))
        else:  # before its request is registered (the usual order): kept until then
            self.pending.setdefault("sha:" + sha, []).append(where)

    def _on_registered(self, located: Located) -> None:
        data = located.entry.data
        number = data["number"]
        self.records[number] = rr.new_record(data, located.entry.ts)
        sha = data.get("mail_sha256") or ""
        if sha:
            self.refs["sha:" + sha] = number
            self._adopt_pending("sha:" + sha, number)
        self.story.append((number, located.entry.seq, located.offset, located.length))
        # The earlier cases it names name it too; another request's registration is no part of their story.
        for link in data.get("links") or []:
            if link["number"] != number:
                self.change(link["number"], located, rr.with_later_request, in_story=False)

    def _on_attached(self, located: Located) -> None:
        """A message joined a case: folded into the case's record, its mail entries into the case's story."""
        data = located.entry.data
        number = data["request"]
        if self.record(number) is None:
            return
        self.change(number, located, rr.with_correspondence)
        sha = data.get("mail_sha256") or ""
        if sha:
            self.refs["sha:" + sha] = number
            self._adopt_pending("sha:" + sha, number)

    def _adopt_pending(self, key: str, number: str) -> None:
        self.story.extend((number, *where) for where in self.pending.pop(key, ()))
        if self.pending_stored:
            rows = self.db.execute("SELECT seq, offset, length FROM pending WHERE key = ?", (key,)).fetchall()
            if rows:
                self.story.extend((number, *row) for row in rows)
                self.db.execute("DELETE FROM pending WHERE key = ?", (key,))

    def _on_request(self, step: Callable[..., rr.Record]) -> Callable[[Located], None]:
        return lambda located: self.change(located.entry.data.get("request"), located, step)

    def _on_decision(self, located: Located) -> None:
        data = located.entry.data
        self.change(data["request"], located, rr.with_decision)
        consent_no = data.get("consent_no")
        if data["outcome"] == "consent" and consent_no:
            self.refs["vtp:" + consent_no] = data["request"]
        elif data["outcome"] == "ended_early" and consent_no:
            holder = self.ref("vtp:" + consent_no)
            if holder and holder != data["request"]:
                self.change(holder, located, rr.with_consent_ended)

    def _on_consent_expired(self, located: Located) -> None:
        self.change(self.ref("vtp:" + located.entry.data["consent_no"]), located, rr.with_consent_expired)

    def _on_queued(self, located: Located) -> None:
        data = located.entry.data
        if data.get("request"):
            self.refs["out:" + data["id"]] = data["request"]
            self.change(data["request"], located, rr.with_queued)

    def _on_unwritten(self, located: Located) -> None:
        data = located.entry.data
        if data.get("request"):
            self.change(data["request"], located, rr.with_unwritten)

    def _on_outbox(self, step: Callable[..., rr.Record]) -> Callable[[Located], None]:
        return lambda located: self.change(self.ref("out:" + located.entry.data["id"]), located, step)

    # -- writing ----------------------------------------------------------------------------------------
    def flush(self) -> None:
        if self.pending:
            self.db.executemany("INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?)",
                                ((key, *where) for key, rows in self.pending.items() for where in rows))
            self.pending, self.pending_stored = {}, True
        self.db.executemany("INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (_row(record) for record in self.records.values()))
        self.db.executemany("INSERT OR REPLACE INTO refs VALUES (?, ?)", self.refs.items())
        self.db.executemany("INSERT OR REPLACE INTO story VALUES (?, ?, ?, ?)", self.story)
        self.records, self.refs, self.story = {}, {}, []


def _row(record: rr.Record) -> tuple:
    return (record["number"], record["kind"], parse_instant(record["received_at"]).timestamp(), record["month"],
            record["outcome"], record["eori"], rr.search_text(record),
            json.dumps(record, ensure_ascii=False, separators=(",", ":")))


# --- reading the ledger file from a position --------------------------------------------------------------

def read_entries(path: Path, start: Position) -> Iterator[Located]:
    """Complete entries after ``start``, checked for sequence and chain (a torn last line is left for the
    writer to recover); entries are hashed by `itpc ledger verify`, not here."""
    seq, prev, offset = start.seq, start.hash, start.offset
    with open(path, "rb") as fh:
        fh.seek(offset)
        carry = b""
        while True:
            chunk = fh.read(READ_CHUNK)
            if not chunk:
                return
            chunk = carry + chunk
            end = chunk.rfind(b"\n") + 1
            carry = chunk[end:]
            position = 0
            for raw in chunk[:end].split(b"\n")[:-1]:
                seq += 1
                obj = decode_line(raw, seq)
                if obj["seq"] != seq or obj["prev"] != prev:
                    raise CorruptLedger(f"line {seq} does not follow the entry before it; run `itpc ledger verify`")
                entry = Entry(obj["seq"], obj["ts"], obj["type"], obj["data"], obj["prev"], obj["hash"])
                yield Located(entry, offset + position, len(raw) + 1)
                position += len(raw) + 1
                prev = obj["hash"]
            offset += end


def _holds(path: Path, position: Position) -> bool:
    """Whether the ledger file still has the entry ``position`` names, at that place."""
    try:
        if path.stat().st_size < position.offset:
            return False
        with open(path, "rb") as fh:
            raw = os.pread(fh.fileno(), position.offset - position.line_offset, position.line_offset)
        obj = decode_line(raw.rstrip(b"\n"), position.seq)
    except (OSError, CorruptLedger):
        return False
    return raw.endswith(b"\n") and obj["seq"] == position.seq and obj["hash"] == position.hash


def _connect(target: Path | str) -> sqlite3.Connection:
    if target != ":memory:" and not Path(target).exists():
        # it holds what the ledger holds (names, addresses): no wider permissions than the ledger's
        os.close(os.open(target, os.O_RDWR | os.O_CREAT, 0o640))
    connection = sqlite3.connect(str(target), timeout=60, isolation_level=None)
    if target != ":memory:":
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")  # a cache: losing its last commit costs a re-fold
    connection.executescript(SCHEMA)
    return connection
