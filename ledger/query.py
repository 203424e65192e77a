"""TinyDB as the ledger's query layer: a read-only table over the entries, and the conditions
`itpc ledger query` takes.

``database(ledger)`` builds the table on the first query and keeps it current as a subscriber of the ledger;
the store never imports this module, so opening the ledger and appending to it pay nothing for TinyDB.

A condition is ``FIELD OP VALUE``, parsed here and never evaluated as code:

* FIELD: ``seq``, ``ts``, ``type``, ``prev``, ``hash``, or a path into the entry's data, ``data.KEY[.KEY...]``
  (keys are letters, digits and ``_``). An entry without the field never matches.
* OP: ``==`` ``!=`` ``<`` ``<=`` ``>`` ``>=``, or ``~`` (regular-expression search in a text value).
* VALUE: a number, ``true``, ``false``, ``null``, a JSON string in double quotes, or a bare word (text).
  Values compare only with values of the same kind: ``1`` never equals ``true`` nor ``"1"``; ``<`` and its
  kin order numbers with numbers and texts with texts (the UTC timestamps in ``ts`` order as texts).
"""
from __future__ import annotations

import json
import re
import weakref
from typing import Any, Callable, Iterable, Mapping, Sequence

from tinydb import Query, TinyDB
from tinydb.queries import QueryInstance
from tinydb.storages import Storage
from tinydb.table import Document, Table

from config.errors import LedgerError
from ledger.store import FIELDS, Entry, FrozenDict, ImmutableEntry, Ledger


class QueryError(LedgerError, ValueError):
    """A condition that cannot be read; the message quotes it and says what is expected, in one line."""


# --- TinyDB glue: a table that appends and a storage that refuses rewrites ------------------------------

class FrozenDocument(Document):
    """What TinyDB hands out: read-only, because its query cache returns the same objects to every caller."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise ImmutableEntry("ledger entries are read-only; append a correcting entry instead")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]
    __ior__ = _refuse  # type: ignore[assignment]


class AppendOnlyTable(Table):
    """TinyDB table whose only write is an O(1) append through the ledger; reads use the live documents."""

    document_class = FrozenDocument

    def _read_table(self) -> dict[str, Mapping]:  # no copy: the documents are frozen
        return self._storage.documents

    def insert(self, document: Mapping) -> int:
        raise ImmutableEntry("use Ledger.append to add an entry; it chains and hashes it")

    def insert_multiple(self, documents):  # type: ignore[override]
        raise ImmutableEntry("use Ledger.append to add entries")

    def _refuse(self, *args: Any, **kwargs: Any):
        raise ImmutableEntry("the ledger is append-only: entries are never updated or removed")

    update = update_multiple = upsert = remove = truncate = _refuse  # type: ignore[assignment]

    def _update_table(self, updater: Callable) -> None:
        raise ImmutableEntry("the ledger is append-only: entries are never updated or removed")


class IndexStorage(Storage):
    """TinyDB storage over documents held in memory; ``write`` never happens."""

    def __init__(self, documents: dict[str, Mapping]):
        self.documents = documents

    def read(self) -> dict[str, dict[str, Mapping]]:
        return {"_default": self.documents}

    def write(self, data: dict) -> None:
        raise ImmutableEntry("the ledger is append-only: TinyDB may not rewrite it")

    def close(self) -> None:
        pass


class LedgerDB(TinyDB):
    """TinyDB over a ledger's entries, keyed by str(seq) as TinyDB keys its documents (doc_id = seq)."""

    table_class = AppendOnlyTable

    @classmethod
    def over(cls, entries: Iterable[Entry]) -> "LedgerDB":
        return cls(storage=IndexStorage, documents={str(e.seq): document(e) for e in entries})

    def add(self, entry: Entry) -> None:
        """Take in an entry the ledger has just read or appended: O(1), and the query cache is emptied so
        that no cached answer misses it."""
        self.storage.documents[str(entry.seq)] = document(entry)
        self.table(self.default_table_name).clear_cache()


_DATABASES: "weakref.WeakKeyDictionary[Ledger, LedgerDB]" = weakref.WeakKeyDictionary()


def database(ledger: Ledger) -> LedgerDB:
    """TinyDB over the entries this ledger has read (``Query()`` conditions; ``doc_id`` is ``seq``), built on
    first use and kept up to date by every entry read or appended after that."""
    db = _DATABASES.get(ledger)
    if db is None:
        db = _DATABASES[ledger] = LedgerDB.over(())
        ledger.subscribe(db.add)  # the past, then every entry this process reads or appends
    return db


def document(entry: Entry) -> FrozenDict:
    """The entry as its line reads (seq, ts, type, data, prev, hash), sharing the entry's frozen data."""
    return FrozenDict((("seq", entry.seq), ("ts", entry.ts), ("type", entry.type), ("data", entry.data),
                       ("prev", entry.prev), ("hash", entry.hash)))


# --- conditions -----------------------------------------------------------------------------------------------

OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "~")  # two-character ones first: "<=" is not "<" then "="
_CONDITION = re.compile(r"\s*(?P<field>[^\s=!<>~]*)\s*(?P<op>==|!=|<=|>=|<|>|~)\s*(?P<value>.*?)\s*", re.DOTALL)
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOP = tuple(f for f in FIELDS if f != "data")
EXPECTED = ("expected FIELD OP VALUE, FIELD one of " + ", ".join(_TOP) + " or data.KEY[.KEY...], "
            "OP one of " + " ".join(OPERATORS))


def where(text: str) -> QueryInstance:
    """The TinyDB condition for one ``FIELD OP VALUE``; QueryError when it is not one."""
    match = _CONDITION.fullmatch(text)
    if match is None:
        raise QueryError(f"--where {text!r}: {EXPECTED}")
    field, op, raw = match.group("field", "op", "value")
    path = _path(text, field)
    if not raw:
        raise QueryError(f"--where {text!r}: no value after {op}")
    query = Query()
    for key in path:
        query = query[key]  # item access only: a key such as "test" or "__class__" is a key, never an attribute
    if op == "~":
        return query.search(_pattern(text, raw))
    return query.test(_compare, op, _value(text, raw))


def matching(types: Sequence[str] = (), conditions: Sequence[str] = ()) -> QueryInstance | None:
    """Entries of any of ``types`` (when given) that meet every condition; None: no condition at all."""
    parts = [where(c) for c in conditions]
    if types:
        parts.insert(0, Query().type.one_of(list(types)))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined &= part
    return combined


def _path(text: str, field: str) -> list[str]:
    keys = field.split(".")
    if not field or not all(_KEY.fullmatch(k) for k in keys):
        raise QueryError(f"--where {text!r}: {field or 'no field'!r} is not a field; {EXPECTED}")
    if keys[0] == "data" and len(keys) > 1 or keys[0] in _TOP and len(keys) == 1:
        return keys
    raise QueryError(f"--where {text!r}: unknown field {field!r}; {EXPECTED}")


def _value(text: str, raw: str) -> Any:
    if raw[0] in "[{":
        raise QueryError(f"--where {text!r}: compare with a number, true, false, null or a text, not {raw!r}")
    if raw[0] == '"':
        try:
            return json.loads(raw)  # starts with a quote: a JSON string, whole, or nothing
        except ValueError:
            raise QueryError(f"--where {text!r}: {raw!r} is not one string in double quotes") from None
    try:
        return json.loads(raw, parse_constant=_no_constant)  # numbers, true, false, null
    except ValueError:
        return raw  # a bare word is text: `data.outcome == refusal`


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON: read them as text


def _pattern(text: str, raw: str) -> re.Pattern[str]:
    source = _value(text, raw) if raw[0] == '"' else raw
    try:
        return re.compile(source)
    except re.error as exc:
        raise QueryError(f"--where {text!r}: bad regular expression ({exc})") from None


def _kind(value: Any) -> str:
    # JSON kinds: bool is not a number here, though Python's True == 1.
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _compare(value: Any, op: str, wanted: Any) -> bool:
    same = _kind(value) == _kind(wanted)
    if op == "==":
        return same and value == wanted
    if op == "!=":
        return not (same and value == wanted)
    if not same or _kind(value) not in ("number", "str"):
        return False
    if op == "<":
        return value < wanted
    if op == "<=":
        return value <= wanted
    if op == ">":
        return value > wanted
    return value >= wanted
