"""Re-hash a ledger file end to end and name the first entry that does not hold."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ledger.store import GENESIS, CorruptLedger, decode_line, encode_line, entry_hash


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    head: str
    bad_seq: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.entries} entries, head {self.head}"
        return f"bad entry at seq {self.bad_seq}: {self.reason}"


def verify_file(path: Path) -> Verdict:
    """Check every line: well-formed, numbered in order, chained to the one before, hash matching."""
    prev = GENESIS
    count = 0
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.endswith(b"\n"):
                return Verdict(False, count, prev, lineno, "torn last line (no newline): a crash mid-write")
            try:
                obj = decode_line(raw, lineno)
            except CorruptLedger as exc:
                return Verdict(False, count, prev, lineno, str(exc))
            if obj["seq"] != lineno:
                return Verdict(False, count, prev, lineno,
                               f"seq {obj['seq']!r} found where {lineno} belongs (an entry removed, inserted or moved)")
            if obj["prev"] != prev:
                return Verdict(False, count, prev, lineno, "prev does not match the hash of the entry before it")
            digest = entry_hash(obj["seq"], obj["ts"], obj["type"], obj["data"], obj["prev"])
            if digest != obj["hash"]:
                return Verdict(False, count, prev, lineno, "content does not match its hash (the entry was changed)")
            if raw != encode_line(obj):
                # Same values, other bytes (e.g. an escape's hex digit upper-cased): not what the writer wrote.
                return Verdict(False, count, prev, lineno, "line is not byte-for-byte as the ledger writes it")
            prev = digest
            count += 1
    return Verdict(True, count, prev)
