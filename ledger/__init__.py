"""The ledger: the append-only record of everything received, decided and sent, and what is folded from it.

The store (``store``: JSON Lines, SHA-256 hash chain, writer lock), the archive of raw bytes (``archive``),
proof (``verify``, ``backup``), the clock (``clock``), text folding (``text``), and the projections folded from
entries (``views``, ``request_records``, ``request_index``, ``afis_users``). It imports only ``config``.
"""
from ledger.store import CorruptLedger, Entry, ImmutableEntry, Ledger, LedgerError, LedgerLocked  # noqa: F401
