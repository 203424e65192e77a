"""TinyDB as the ledger's query layer: a read-only table over the entries.

Imported only by a process that queries (``Ledger.db`` imports it on first use), so opening the ledger and
appending to it pay nothing for TinyDB.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from ledger.store import Entry, FrozenDict, ImmutableEntry


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


def document(entry: Entry) -> FrozenDict:
    """The entry as its line reads (seq, ts, type, data, prev, hash), sharing the entry's frozen data."""
    return FrozenDict((("seq", entry.seq), ("ts", entry.ts), ("type", entry.type), ("data", entry.data),
                       ("prev", entry.prev), ("hash", entry.hash)))
