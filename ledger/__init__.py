"""The ledger: the append-only record of everything received, decided and sent, and the `itpc` CLI."""
from ledger.store import CorruptLedger, Entry, ImmutableEntry, Ledger, LedgerError, LedgerLocked  # noqa: F401
