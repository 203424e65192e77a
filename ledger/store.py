"""The append-only ledger: JSON Lines on disk, a SHA-256 hash chain, a writer lock; views subscribe to it.

One entry per line: ``{"seq", "ts", "type", "data", "prev", "hash"}``; ``hash`` is the SHA-256 of the
RFC 8785 canonical JSON of the entry without ``hash``, and ``prev`` is the previous entry's hash (64 zeros
for the first). Each append is one ``os.write`` to an ``O_APPEND`` descriptor followed by ``fsync``, under an
OS file lock so that several processes can append without interleaving. Nothing is ever rewritten: the only
change the store makes to existing bytes is moving a torn last line (a crash mid-write) aside, and that is
itself recorded as a ``ledger.recovered`` entry.

Opening also re-hashes every entry this ledger folder has not seen verified before, so that no command acts
on an entry edited in place (an address in a pending letter, a decision): ``verified.json`` beside the file
vouches for a prefix (its length, last seq and the SHA-256 of its bytes, which costs a fraction of reading
it), and only the entries after it are re-hashed. The writer renews it at each checkpoint, so that is at
most a checkpoint interval's worth. A ledger whose entries do not hold refuses every append
(``TamperedLedger``, one line); readers go on and warn. ``verified.json`` is a cache: delete it and the
next open re-hashes everything. It does not stop someone who re-hashes the whole chain; the signed
checkpoints published outside the ledger do (``ledger.checkpoints``, ``itpc ledger verify``).

The TinyDB query layer (``ledger.query.database``) is built on the first query, as a subscriber: the service
and most commands never query, and an open or an append costs the same with or without it.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import rfc8785

from config.errors import LedgerError
from ledger.entries import LEDGER_CHECKPOINT, LEDGER_RECOVERED
from ledger.files import deferred_syncs, durable_write, make_folders, sync_deferred

GENESIS = "0" * 64
LEDGER_FILE = "ledger.jsonl"
LOCK_FILE = "ledger.lock"
TORN_DIR = "torn"
VERIFIED_FILE = "verified.json"
VOUCH_AFTER = 1000  # entries re-hashed in one open before the prefix is vouched for on disk
FIELDS = ("seq", "ts", "type", "data", "prev", "hash")


class LedgerLocked(LedgerError):
    """Another process held the writer lock for longer than the configured bound."""


class CorruptLedger(LedgerError):
    """The file holds a line that is not a valid entry (other than a torn last line)."""


class TamperedLedger(LedgerError):
    """An entry no longer matches its hash (or its place in the chain): nothing may be appended after it."""


class ImmutableEntry(LedgerError):
    """Something tried to change or remove an entry that is already written."""


class StalePosition(LedgerError):
    """A saved position no longer names an entry of this ledger file (it was rewritten, cut or replaced)."""


@dataclass(frozen=True)
class Position:
    """A place in the ledger: after entry ``seq``, whose line ends at byte ``offset`` and whose hash is ``head``;
    ``first`` is the first entry's hash, which tells this ledger file from another; ``checkpoint`` the seq of the
    last `ledger.checkpoint` up to there (0: none)."""
    seq: int
    offset: int
    head: str
    first: str
    checkpoint: int = 0


# --- frozen values: entries handed out can't be changed in place -------------------------------------

class FrozenDict(dict):
    """A dict that refuses mutation, so a caller can't alter an entry held in memory."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise ImmutableEntry("ledger entries are read-only; append a correcting entry instead")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]
    __ior__ = _refuse  # type: ignore[assignment]

    def __reduce__(self):  # deep copies and pickles become plain dicts
        return (dict, (dict(self),))


def freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return FrozenDict((k, freeze(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def _frozen_object(pairs: list[tuple[str, Any]]) -> FrozenDict:
    """json ``object_pairs_hook``: freezes while decoding (nested dicts arrive frozen already), which is
    much cheaper than decoding and then walking the value again with ``freeze`` when opening a big ledger."""
    return FrozenDict([(k, _frozen_list(v) if type(v) is list else v) for k, v in pairs])


def _frozen_list(items: list[Any]) -> tuple[Any, ...]:
    return tuple(_frozen_list(v) if type(v) is list else v for v in items)


# Built once: json.loads with a hook constructs a new decoder per call, a tenth of the cost of opening.
_PLAIN_DECODER = json.JSONDecoder()
_FROZEN_DECODER = json.JSONDecoder(object_pairs_hook=_frozen_object)


# Values of these exact types hold nothing to copy: ``thaw`` skips the call for them (most of an entry's values).
_LEAVES = frozenset({str, int, bool, float, type(None)})


def thaw(value: Any) -> Any:
    """A plain, mutable deep copy of a frozen value (dicts and lists)."""
    if isinstance(value, dict):
        return {k: v if type(v) in _LEAVES else thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _LEAVES else thaw(v) for v in value]
    return value


# --- entries -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    seq: int
    ts: str
    type: str
    data: Mapping[str, Any]
    prev: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "ts": self.ts, "type": self.type, "data": thaw(self.data),
                "prev": self.prev, "hash": self.hash}

    @property
    def at(self) -> datetime:
        return datetime.fromisoformat(self.ts)


# Built once: json.dumps with options constructs an encoder per call (verify encodes every line twice).
_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_CANONICAL_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
_SAFE_INT = 2**53 - 1  # RFC 8785 numbers are IEEE doubles: larger integers are refused, as rfc8785 does
_WIDE_CHAR = re.compile("[\ud800-\U0010ffff]")
_HASH_MEMBER_BYTES = len(',"hash":""\n')  # what a line holds besides its body's members and the hash itself


def _plain_json(value: Any) -> bool:
    """True if ``value`` holds only what ``json.dumps(sort_keys=True)`` already writes canonically:
    str keys, strings, safe integers, bools, None, lists and dicts; no floats (ECMAScript number format)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -_SAFE_INT <= value <= _SAFE_INT
    if kind is dict or kind is FrozenDict:
        return all(type(k) is str and _plain_json(v) for k, v in value.items())
    if kind is list or kind is tuple:
        return all(_plain_json(v) for v in value)
    return False


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON, byte-identical to ``rfc8785.dumps`` (a property test holds them equal).

    rfc8785 is pure Python and was two thirds of the cost of verifying a ledger. For plain values the C
    encoder gives the same bytes: the same escapes (only ``"``, ``\\`` and controls, lower-case hex), and
    sorting by code point equals RFC 8785's UTF-16 order while no character is at or above U+D800.
    Anything else (floats, astral or surrogate characters, big integers) goes through rfc8785 itself.
    """
    if _plain_json(value):
        text = _CANONICAL_ENCODER.encode(value)
        if not _WIDE_CHAR.search(text):
            return text.encode("utf-8")
    return rfc8785.dumps(value)


def entry_hash(seq: int, ts: str, type_: str, data: Any, prev: str) -> str:
    body = {"seq": seq, "ts": ts, "type": type_, "data": data, "prev": prev}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def encode_line(entry: dict[str, Any]) -> bytes:
    return (_LINE_ENCODER.encode(entry) + "\n").encode("utf-8")


# --- an append's bytes ------------------------------------------------------------------------------------

class _NotPlain(Exception):
    """A value outside ``_plain_json``: it takes the general path (a json round trip, rfc8785)."""


def _frozen_plain(value: Any) -> Any:
    """A frozen deep copy of ``value`` if it holds only what ``_plain_json`` accepts and no key holds a character
    at or above U+D800 (where code point and UTF-16 order differ), else ``_NotPlain``.

    For such values it equals ``freeze(json.loads(json.dumps(value)))`` (a property test holds them equal), in
    one walk instead of the round trip's two encodings and the walks of ``thaw`` and ``freeze``.
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if -_SAFE_INT <= value <= _SAFE_INT:
            return value
        raise _NotPlain
    if kind is dict or kind is FrozenDict:
        for key in value:
            # json.dumps would turn a number into a string key: the round trip knows how
            if type(key) is not str or not key.isascii() and _WIDE_CHAR.search(key):
                raise _NotPlain
        return FrozenDict([(key, item if type(item) is str else _frozen_plain(item)) for key, item in value.items()])
    if kind is list or kind is tuple:
        return tuple([item if type(item) is str else _frozen_plain(item) for item in value])
    raise _NotPlain


def _json_only(data: Any) -> tuple[Any, bool]:
    """A frozen deep copy of ``data`` holding JSON values only (a TypeError or ValueError for anything else),
    and whether it is plain (``_plain_line`` may encode it)."""
    try:
        return _frozen_plain(data), True
    except _NotPlain:
        return freeze(json.loads(json.dumps(thaw(data)))), False


def _general_line(seq: int, ts: str, type_: str, data: Any, prev: str) -> tuple[bytes, str]:
    """The line of an entry and its hash, by the definitions: ``encode_line`` and ``entry_hash``."""
    plain = thaw(data)
    digest = entry_hash(seq, ts, type_, plain, prev)
    return encode_line({"seq": seq, "ts": ts, "type": type_, "data": plain, "prev": prev, "hash": digest}), digest


_quote = json.encoder.encode_basestring  # how the C encoders write a string (ensure_ascii=False)


def _plain_line(seq: int, ts: str, type_: str, data: Any, prev: str) -> tuple[bytes, str]:
    """``_general_line`` of ``data`` from ``_frozen_plain``, built from pieces: each string is quoted once and the
    data encoded once in each member order (the line's and the canonical one), instead of the whole entry twice.

    For such data the C encoders write the bytes of the definitions (``canonical_json``): the same escapes, and
    sorting keys by code point is RFC 8785's UTF-16 order since no key holds a character at or above U+D800
    (values may: they are written as they are either way). A lone surrogate, which UTF-8 cannot hold, is left
    to the definitions. A property test holds the bytes, the hash and the errors equal to ``_general_line``'s.
    """
    seq_text, ts_text, type_text, prev_text = str(seq), _quote(ts), _quote(type_), _quote(prev)
    canonical = (f'{{"data":{_CANONICAL_ENCODER.encode(data)},"prev":{prev_text},"seq":{seq_text},'
                 f'"ts":{ts_text},"type":{type_text}}}')
    try:
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    except UnicodeEncodeError:
        return _general_line(seq, ts, type_, data, prev)
    line = (f'{{"seq":{seq_text},"ts":{ts_text},"type":{type_text},"data":{_LINE_ENCODER.encode(data)},'
            f'"prev":{prev_text},"hash":"{digest}"}}\n')
    return line.encode("utf-8"), digest


def decode_line(raw: bytes, lineno: int, *, frozen: bool = False) -> dict[str, Any]:
    """Parse one line into an entry dict (with ``frozen``, a FrozenDict with frozen data)."""
    return _decode_with(_FROZEN_DECODER if frozen else _PLAIN_DECODER, raw, lineno)


def _decode_with(decoder: json.JSONDecoder, raw: bytes, lineno: int) -> dict[str, Any]:
    try:
        # Decode explicitly: json.loads(bytes) guesses UTF-16/32 from NUL bytes and its UnicodeDecodeError
        # has no .msg, so a damaged line would crash here instead of being named.
        obj = decoder.decode(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CorruptLedger(f"line {lineno} is not valid UTF-8 (byte {exc.start})") from None
    except ValueError as exc:
        raise CorruptLedger(f"line {lineno} is not valid JSON ({getattr(exc, 'msg', exc)})") from None
    if not isinstance(obj, dict) or set(obj) != set(FIELDS):
        raise CorruptLedger(f"line {lineno} is not a ledger entry (fields {sorted(obj) if isinstance(obj, dict) else type(obj).__name__})")
    # bool is an int in Python (true == 1): insist on the types the writer produces.
    if (type(obj["seq"]) is not int or type(obj["ts"]) is not str or type(obj["type"]) is not str
            or type(obj["prev"]) is not str or type(obj["hash"]) is not str):
        raise CorruptLedger(f"line {lineno} is not a ledger entry (a field has the wrong type)")
    return obj


class LineHasher:
    """Decodes lines and re-hashes their entries for a full verification, without walking each value.

    ``canonical_json`` walks a value to learn whether the C encoder's bytes are canonical; here the decoder's
    number hooks learn it while parsing (JSON has only str keys): a float, NaN/Infinity or an integer beyond
    RFC 8785's range sends the entry to ``canonical_json``. A property test holds both paths equal to rfc8785.
    """

    def __init__(self) -> None:
        self._odd = False
        self._canonical_bytes = -1  # of the body the last entry_hash encoded with the C encoder (-1: it did not)
        self._decoder = json.JSONDecoder(parse_float=self._float, parse_constant=self._float, parse_int=self._int)

    def _float(self, text: str) -> float:
        self._odd = True
        return float(text)

    def _int(self, text: str) -> int:
        value = int(text)
        if not -_SAFE_INT <= value <= _SAFE_INT:
            self._odd = True
        return value

    def decode(self, raw: bytes, lineno: int) -> dict[str, Any]:
        """``decode_line`` of ``raw``, noting what ``entry_hash`` needs to know of its numbers."""
        self._odd = False
        return _decode_with(self._decoder, raw, lineno)

    def entry_hash(self, obj: Mapping[str, Any]) -> str:
        """``entry_hash`` of the entry the last ``decode`` returned."""
        body = {"seq": obj["seq"], "ts": obj["ts"], "type": obj["type"], "data": obj["data"], "prev": obj["prev"]}
        self._canonical_bytes = -1
        if not self._odd:
            text = _CANONICAL_ENCODER.encode(body)
            if text.isascii() or not _WIDE_CHAR.search(text):  # isascii is O(1) on a str
                canonical = text.encode("utf-8")
                self._canonical_bytes = len(canonical)
                return hashlib.sha256(canonical).hexdigest()
        return hashlib.sha256(canonical_json(body)).hexdigest()

    def written_as(self, raw: bytes, obj: Mapping[str, Any]) -> bool:
        """Whether ``raw`` is byte for byte ``encode_line(obj)``, for the entry ``entry_hash`` just re-hashed.

        Without encoding it again, when the hash took the C encoder's path and ``raw`` holds no \\u escape:
        then the line the writer makes of ``obj`` is the canonical body's bytes in another member order plus the
        hash member, and it is the shortest line that decodes to ``obj``: a string's characters have one spelling
        each without \\u (``\\/`` is longer than ``/``), integers one each (``-0`` is longer than ``0``), and
        whitespace or a repeated key only add bytes. So any other such line is longer. (A \\u escape can differ
        in the case of its hex digits at the same length: those lines are encoded again.)
        """
        if self._canonical_bytes < 0 or b"\\u" in raw:
            return raw == encode_line(obj)
        return len(raw) == self._canonical_bytes + len(obj["hash"]) + _HASH_MEMBER_BYTES


def utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("ledger timestamps must be timezone-aware")
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


# --- the ledger ------------------------------------------------------------------------------------------

Clock = Callable[[], datetime]


def _system_clock() -> datetime:
    return datetime.now(timezone.utc)


class Ledger:
    """An open ledger directory. Use as a context manager or call ``close``."""

    def __init__(self, directory: Path | str, *, lock_timeout: float = 10.0, clock: Clock = _system_clock,
                 at_end: bool = False, at: Position | None = None, streamed: bool = False):
        self.directory = Path(directory)
        make_folders(self.directory)
        self.path = self.directory / LEDGER_FILE
        self.lock_timeout = lock_timeout
        self.clock = clock
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
        self._lock_fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o640)
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._grouped = 0       # inside ``group``: appends are written now, synced at the commit
        self._unsynced = False
        self._offset = 0  # bytes of the file already folded into memory
        # Entries this process has read: all of them, or (``at_end``) only those after the last one at opening,
        # or (``at``) those after the position (the entries before it are read from the file when asked for).
        self._read: list[Entry] = []
        self.at_end = at_end
        self._at = at
        self._start_seq = 0     # opened ``at`` a position: the entries up to here are on disk, not in _read
        self._start_offset = 0
        self._first = ""        # the first entry's hash ("" until known)
        self._seq = 0
        self._head = GENESIS
        self._listeners: list[Callable[[Entry], None]] = []
        self._streamed = streamed
        self._hashing = not (at_end or streamed)  # else the bytes before the end are read, and hashed, on demand
        self._bytes = hashlib.sha256()  # of the file's bytes up to _offset, while _hashing
        self._verified_seq = 0          # entries up to here have been re-hashed or vouched for
        self.damage: str | None = None  # the first entry that does not hold, in one line
        self.last_checkpoint = 0        # seq of the last `ledger.checkpoint` folded (0: none seen)
        # Called after each append, under the writer lock (``ledger.checkpoints`` appends its checkpoints).
        self.after_append: Callable[[Entry], None] | None = None
        try:
            self._load_existing()
        except BaseException:  # a ledger that refuses to open must not leak its descriptors (or its lock)
            self.close()
            raise

    # -- opening ------------------------------------------------------------------------------------
    @classmethod
    def for_appending(cls, directory: Path | str, **options: Any) -> "Ledger":
        """The ledger opened at its end, without reading the entries before: for a command that only appends
        (an officer's note), so that it costs the same on a ledger of ten entries or ten million."""
        return cls(directory, at_end=True, **options)

    @classmethod
    def at_position(cls, directory: Path | str, position: Position, **options: Any) -> "Ledger":
        """The ledger read from ``position`` on (views saved there fold only what follows); ``StalePosition`` if
        the entry there is not the one the position names (the file was cut, edited there, or replaced)."""
        return cls(directory, at=position, **options)

    @classmethod
    def streamed(cls, directory: Path | str, **options: Any) -> "Ledger":
        """The ledger opened at its end, its entries after the prefix last vouched for re-hashed as it streams
        through them; the past is read again from the file, a block at a time, for each view that subscribes (and
        for ``entries``, once): opening a big ledger never holds it in memory."""
        return cls(directory, streamed=True, **options)

    def _load_existing(self) -> None:
        size = os.fstat(self._fd).st_size
        if self._at is not None:
            self._start_at(self._at, size)
        if size and not self._ends_with_newline(size):
            with self.writing():  # repairs the torn tail under the lock, then loads
                pass
        elif (self.at_end or self._streamed) and size and self._at is None:
            self._start_after_last_line(size)
            if self._streamed:
                self._start_seq, self._start_offset = self._seq, self._offset
                self._first = decode_line(self._first_line(), 1)["hash"]
        else:
            self._fold_new()

    def _line_start(self, end: int) -> int:
        """The offset of the line whose newline is at ``end`` (or which ends the file there)."""
        start = end
        while start > 0:
            window = min(start, 1 << 16)
            found = os.pread(self._fd, window, start - window).rfind(b"\n")
            if found >= 0:
                return start - window + found + 1
            start -= window
        return 0

    def _start_at(self, position: Position, size: int) -> None:
        """Take ``position`` as read and verified, after checking that it still names this file's entry: the
        line ending there re-hashes to ``head`` with that seq, and the first line is the entry ``first``."""
        end = position.offset - 1
        if position.seq < 1 or not 0 < position.offset <= size or os.pread(self._fd, 1, end) != b"\n":
            raise StalePosition(f"{self.path} has no line ending at byte {position.offset}")
        start = self._line_start(end)
        try:
            at = decode_line(os.pread(self._fd, end - start, start), position.seq)
            first = at if start == 0 else decode_line(self._first_line(), 1)
        except CorruptLedger as exc:
            raise StalePosition(str(exc)) from None
        if (at["seq"] != position.seq or at["hash"] != position.head or _unsound(at, position.seq)
                or first["seq"] != 1 or first["hash"] != position.first):
            raise StalePosition(f"entry {position.seq} of {self.path} is not the one the saved position names")
        self._seq, self._head, self._offset = position.seq, position.head, position.offset
        self._start_seq, self._start_offset, self._first = position.seq, position.offset, position.first
        self.last_checkpoint = position.checkpoint
        self._hashing = False  # the file's bytes before the position are hashed only if a checkpoint needs them
        self._verified_seq = position.seq

    def _first_line(self) -> bytes:
        line = b""
        while True:
            block = os.pread(self._fd, 1 << 16, len(line))
            found = block.find(b"\n")
            if found >= 0 or not block:
                return line + (block[:found] if found >= 0 else block)
            line += block

    def _start_after_last_line(self, size: int) -> None:
        start = self._line_start(size - 1)
        try:
            last = decode_line(os.pread(self._fd, size - start - 1, start), 0)
        except CorruptLedger as exc:
            raise CorruptLedger(f"the last line of {self.path} is not a ledger entry ({exc})") from None
        self._seq, self._head, self._offset = last["seq"], last["hash"], size
        self._verify_tail_from_voucher()

    def _verify_tail_from_voucher(self) -> None:
        """Opened at its end: re-hash the entries after the prefix last vouched for (all, if none is)."""
        voucher = self._voucher()
        start, seq = 0, 0
        if voucher and 0 < voucher[1] <= self._offset and os.pread(self._fd, 1, voucher[1] - 1) == b"\n":
            start, seq = voucher[1], voucher[0]
        for raw in self._lines(start, self._offset):
            seq += 1
            obj = decode_line(raw, seq)
            self.damage = _unsound(obj, seq) if obj["seq"] == seq else f"entry {seq} is out of place"
            if self.damage:
                break
        self._verified_seq = self._seq

    def _ends_with_newline(self, size: int) -> bool:
        return os.pread(self._fd, 1, size - 1) == b"\n"

    def _fold_new(self) -> None:
        """Fold in complete lines appended (by us or another process) since the last read.

        Under the writer lock no append is in flight, so an unterminated tail is a torn write: recover it.
        """
        size = os.fstat(self._fd).st_size
        if size <= self._offset:
            return
        chunk = os.pread(self._fd, size - self._offset, self._offset)
        end = chunk.rfind(b"\n") + 1
        vouched = self._hash_bytes(chunk, end)
        lineno = self._seq
        # Entries are acyclic, but creating ~10 objects per line triggers full cyclic collections that
        # rescan everything loaded so far: half the time of opening a 100k-entry ledger. Pause them.
        with _gc_paused():
            for raw in chunk[:end].split(b"\n")[:-1]:  # split on \n only, as verify_file and the writer do
                lineno += 1
                self._accept(decode_line(raw, lineno, frozen=True), lineno)
        self._offset += end
        self._check_new(vouched)
        if end < len(chunk) and self._depth > 0:
            self._recover_torn_tail(chunk[end:])

    # -- verifying what was read ----------------------------------------------------------------------
    def _voucher(self) -> tuple[int, int, str] | None:
        """(seq, offset, sha256) of the prefix last verified, from ``verified.json``; None if unreadable."""
        try:
            raw = json.loads((self.directory / VERIFIED_FILE).read_bytes())
            return int(raw["seq"]), int(raw["offset"]), str(raw["sha256"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _hash_bytes(self, chunk: bytes, end: int) -> int:
        """Add ``chunk[:end]`` (the complete lines after ``_offset``) to the running file hash; the seq the
        voucher on disk vouches for if its prefix ends there and holds the bytes and lines it names, else 0."""
        if not self._hashing:
            return 0
        voucher = self._voucher() if self._offset == 0 else None  # after opening, new entries are few
        body, vouched = memoryview(chunk)[:end], 0
        if voucher and self._offset < voucher[1] <= self._offset + end:
            cut = voucher[1] - self._offset
            self._bytes.update(body[:cut])
            if self._bytes.hexdigest() == voucher[2] and self._seq + chunk.count(b"\n", 0, cut) == voucher[0]:
                vouched = voucher[0]
            body = body[cut:]
        self._bytes.update(body)
        return vouched

    def _check_new(self, vouched: int) -> None:
        """Re-hash the entries folded but neither re-hashed nor vouched for yet; the first that fails is
        ``damage``. Vouch for the prefix on disk once enough were re-hashed to be worth not doing again."""
        start = max(self._verified_seq, vouched)
        if self.damage is None and self._read and start < self._seq:
            first = self._read[0].seq
            for entry in self._read[max(start - first + 1, 0):]:
                self.damage = _unsound(entry, entry.seq)
                if self.damage:
                    break
        checked = self._seq - start
        self._verified_seq = self._seq
        if checked >= VOUCH_AFTER:
            self.vouch()

    def vouch(self) -> None:
        """Record on disk that the file up to here was verified (a cache: a failure to write is harmless)."""
        if self.damage is not None or not self._hashing or self._verified_seq != self._seq:
            return
        record = {"seq": self._seq, "offset": self._offset, "sha256": self._bytes.hexdigest()}
        with contextlib.suppress(OSError):
            durable_write(self.directory / VERIFIED_FILE, json.dumps(record).encode(), overwrite=True)

    @property
    def bytes_sha256(self) -> str:
        """SHA-256 of the file's bytes up to the last entry folded (opened at its end: unknown, ""). Opened at a
        position, the bytes before it are hashed now, once (a checkpoint every so many entries asks for it)."""
        if not self._hashing and self._start_offset:
            self._hash_prefix()
        return self._bytes.hexdigest() if self._hashing else ""

    def _hash_prefix(self) -> None:
        digest, offset = hashlib.sha256(), 0
        while offset < self._offset:
            block = os.pread(self._fd, min(1 << 22, self._offset - offset), offset)
            if not block:
                return
            digest.update(block)
            offset += len(block)
        self._bytes, self._hashing = digest, True

    def require_intact(self) -> None:
        """Refuse, in one line, to act on a ledger an entry of which no longer holds."""
        if self.damage is not None:
            raise TamperedLedger(f"{self.path}: {self.damage}; nothing was done. "
                                 "Run `itpc ledger verify` and restore the ledger from a backup")

    def _accept(self, obj: dict[str, Any], lineno: int) -> Entry:
        expected_prev = self._head
        if obj["seq"] != lineno:
            raise CorruptLedger(f"line {lineno} has seq {obj['seq']!r}, expected {lineno}")
        if obj["prev"] != expected_prev:
            raise CorruptLedger(f"line {lineno} (seq {lineno}) does not chain to the entry before it")
        frozen = obj if type(obj) is FrozenDict else freeze(obj)  # decode_line(frozen=True) did it already
        return self._admit(Entry(frozen["seq"], frozen["ts"], frozen["type"], frozen["data"], frozen["prev"],
                                 frozen["hash"]))

    def _admit(self, entry: Entry) -> Entry:
        """Take ``entry`` (the next in the chain, its data frozen) as read, and tell the listeners."""
        self._read.append(entry)
        self._seq, self._head = entry.seq, entry.hash
        if entry.seq == 1:
            self._first = entry.hash
        if entry.type == LEDGER_CHECKPOINT:
            self.last_checkpoint = entry.seq
        for listener in self._listeners:
            listener(entry)
        return entry

    def _recover_torn_tail(self, torn: bytes) -> None:
        """Move an unterminated last line aside (a crash mid-append) and record that we did."""
        if self._depth == 0:
            raise LedgerError("a torn tail can only be recovered under the writer lock")
        digest = hashlib.sha256(torn).hexdigest()
        aside = self.directory / TORN_DIR / f"torn-after-seq-{self._seq}-{digest[:16]}.bin"
        durable_write(aside, torn)
        os.ftruncate(self._fd, self._offset)
        os.fsync(self._fd)
        self.append(LEDGER_RECOVERED, {"torn_bytes": len(torn), "sha256": digest,
                                       "moved_to": str(aside.relative_to(self.directory)),
                                       "after_seq": self._seq})

    # -- locking ------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def writing(self) -> Iterator["Ledger"]:
        """Hold the cross-process writer lock (re-entrant); the view is brought up to date first."""
        with self._thread_lock:
            if self._depth == 0:
                self._acquire_os_lock()
            self._depth += 1
            try:
                if self._depth == 1:
                    self._fold_new()
                    self.require_intact()
                yield self
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _acquire_os_lock(self) -> None:
        if not flock_within(self._lock_fd, self.lock_timeout):
            raise LedgerLocked(f"another process has held the ledger lock {self.directory / LOCK_FILE} "
                               f"for more than {self.lock_timeout:g} s; is another itpc writing?")

    # -- appending ----------------------------------------------------------------------------------
    def append(self, type_: str, data: Mapping[str, Any], *, ts: datetime | None = None) -> Entry:
        """Append one entry durably (written and fsynced before this returns)."""
        if not isinstance(type_, str) or not type_:
            raise ValueError("an entry needs a type")
        frozen, is_plain = _json_only(data)  # fails early on anything but JSON values
        with self.writing():
            seq = self._seq + 1
            prev = self._head
            stamp = utc_iso(ts or self.clock())
            line, digest = (_plain_line if is_plain else _general_line)(seq, stamp, type_, frozen, prev)
            try:
                written = os.write(self._fd, line)
                if written != len(line):
                    raise OSError(errno.ENOSPC, f"short write, {written} of {len(line)} bytes")
                if self._grouped:
                    self._unsynced = True
                else:
                    os.fsync(self._fd)
            except OSError as exc:
                # Not appended: cut what part of the line reached the file, so the next append does not
                # follow a torn line (were the cut to fail too, the next open sets the torn line aside).
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, self._offset)
                raise OSError(exc.errno, exc.strerror, str(self.path)) from None
            self._offset += written
            if self._hashing:
                self._bytes.update(line)
            self._verified_seq = seq  # written here: it holds
            entry = self._admit(Entry(seq, stamp, type_, frozen, prev, digest))
            if self.after_append is not None and type_ != LEDGER_CHECKPOINT:
                self.after_append(entry)
            return entry

    @contextlib.contextmanager
    def group(self) -> Iterator["Ledger"]:
        """Group commit: the entries appended (and the files written durably, ``ledger.files.deferred_syncs``)
        by this thread inside it are synced together by ``commit``, which leaving it calls: one sync of the ledger
        and one of each file system for a whole batch. Nothing done on the strength of an entry outside this
        process (an inbox message acknowledged, a letter sent) may happen before the commit that covers it.
        Other processes see the entries at once; a crash of this process loses none (the kernel holds them),
        and a power cut loses only entries nothing outside acted on."""
        with deferred_syncs():
            self._grouped += 1
            try:
                yield self
            finally:
                self._grouped -= 1
                if self._grouped == 0:
                    self.commit()

    def commit(self) -> None:
        """Sync what the current group wrote: the files first (an entry never names a file not on disk), then
        the ledger."""
        sync_deferred()
        if self._unsynced:
            os.fsync(self._fd)
            self._unsynced = False

    # -- reading ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """See entries other processes appended since we last looked (no lock needed to read)."""
        with self._thread_lock:
            self._fold_new()

    def subscribe(self, listener: Callable[[Entry], None], *, replay: bool = True, since: int = 0) -> None:
        """Call ``listener`` for every entry after seq ``since``, past (if ``replay``) and future: views fold
        incrementally. A view restored as it stood at a position passes its seq, and folds only what follows."""
        # The lock: no entry may be folded in between replaying the past and listening for the new.
        with self._thread_lock:
            if replay:
                if self.at_end:
                    raise LedgerError("this ledger was opened at its end; its past entries were not read")
                with _gc_paused():  # as when opening: a few objects per entry would trigger full collections
                    if since < self._start_seq:
                        for entry in self._past(frozen=False):
                            if entry.seq > since:
                                listener(entry)
                    for entry in self._read:
                        if entry.seq > since:
                            listener(entry)
            self._listeners.append(listener)

    @property
    def entries(self) -> list[Entry]:
        """The entries this process has read (opened ``at_end``: those after the end at opening). Opened at a
        position, asking for them reads the ones before it from the file, once."""
        with self._thread_lock:
            if self._start_offset:
                with _gc_paused():
                    self._read = [*self._past(), *self._read]
                self._start_seq = self._start_offset = 0
            return self._read

    @property
    def position(self) -> Position:
        """Where the entries read so far end (what a view folded from all of them stands at)."""
        return Position(self._seq, self._offset, self._head, self._first, self.last_checkpoint)

    def _lines(self, start: int, end: int) -> Iterator[bytes]:
        """The lines between two offsets (each ending in a newline there), read a block at a time."""
        offset, rest = start, b""
        while offset < end:
            block = os.pread(self._fd, min(1 << 22, end - offset), offset)
            if not block:
                raise CorruptLedger(f"{self.path} ends before byte {end}")
            offset += len(block)
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            yield from lines

    def _past(self, *, frozen: bool = True) -> Iterator[Entry]:
        """The entries before the position this ledger was opened at, streamed from the file (never all in
        memory): they were verified when the position was saved or when opening, and are checked here only for
        their chain. Not ``frozen``: each is decoded for one listener, which may keep its data as it is."""
        seq, head = 0, GENESIS
        for raw in self._lines(0, self._start_offset):
            seq += 1
            obj = decode_line(raw, seq, frozen=frozen)
            if obj["seq"] != seq or obj["prev"] != head:
                raise CorruptLedger(f"line {seq} (seq {obj['seq']}) does not chain to the entry before it")
            head = obj["hash"]
            yield Entry(obj["seq"], obj["ts"], obj["type"], obj["data"], obj["prev"], head)

    def __len__(self) -> int:
        return self._seq

    def __iter__(self) -> Iterator[Entry]:
        return iter(list(self.entries))

    @property
    def first(self) -> str:
        """The first entry's hash ("" while the ledger is empty or was opened at its end)."""
        return self._first

    @property
    def head(self) -> str:
        return self._head

    def close(self) -> None:
        for fd in (self._fd, self._lock_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fd = self._lock_fd = -1

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def check_file(directory: Path | str) -> str | None:
    """Why the ledger in ``directory`` does not verify (its first bad entry), or None: for a command that
    reads a view of it and never opens it. Costs a hash of the bytes the voucher covers and a re-hash of
    the entries after them (of all entries, when there is no voucher or it no longer holds)."""
    directory = Path(directory)
    path = directory / LEDGER_FILE
    try:
        voucher = json.loads((directory / VERIFIED_FILE).read_bytes())
        offset, seq, expected = int(voucher["offset"]), int(voucher["seq"]), str(voucher["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        offset, seq, expected = 0, 0, hashlib.sha256().hexdigest()
    with open(path, "rb") as fh:
        prefix, remaining = hashlib.sha256(), offset
        while remaining > 0:
            block = fh.read(min(1 << 20, remaining))
            if not block:
                break  # the file is shorter than the prefix vouched for
            prefix.update(block)
            remaining -= len(block)
        if remaining or prefix.hexdigest() != expected:
            fh.seek(0)
            prefix, offset, seq = hashlib.sha256(), 0, 0
        checked = 0
        for raw in fh:
            if not raw.endswith(b"\n"):
                break  # a torn last line: the writer's to recover
            seq += 1
            try:
                obj = decode_line(raw.rstrip(b"\n"), seq)
            except CorruptLedger as exc:
                return str(exc)
            damage = _unsound(obj, seq) if obj["seq"] == seq else f"entry {seq} is out of place"
            if damage:
                return damage
            prefix.update(raw)
            offset += len(raw)
            checked += 1
    if checked >= VOUCH_AFTER:  # as an open does: the next command need not re-hash these
        record = {"seq": seq, "offset": offset, "sha256": prefix.hexdigest()}
        with contextlib.suppress(OSError):
            durable_write(directory / VERIFIED_FILE, json.dumps(record).encode(), overwrite=True)
    return None


def _unsound(entry: Entry | Mapping[str, Any], seq: int) -> str | None:
    """Why an entry read back does not hold (its content re-hashed), or None."""
    get = entry.__getitem__ if isinstance(entry, Mapping) else entry.__getattribute__
    if entry_hash(get("seq"), get("ts"), get("type"), get("data"), get("prev")) != get("hash"):
        return f"entry {seq} does not match its hash (changed after it was written)"
    return None


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- locks and durable files -----------------------------------------------------------------------------------------

def flock_within(fd: int, timeout: float) -> bool:
    """Take an exclusive OS lock on ``fd``, waiting at most ``timeout`` seconds; False if it stayed taken.

    The kernel releases it when the process dies, so a crash never leaves the ledger locked.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
