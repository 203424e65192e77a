"""The optional sender registry: which addresses and fax numbers may ask for consents for an EORI.

CSV with columns ``eori,addresses`` where ``addresses`` lists e-mail addresses and fax numbers separated by
spaces or semicolons. A forged request (unknown sender for its EORI) must go to an officer, not obtain a
Sutikimas automatically, and a Sutikimas goes automatically only to addresses and faxes registered for its EORI.
A fax number is compared by its digits (and a leading +), however it is spaced or dashed.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ledger.text import code_key


@dataclass(frozen=True)
class TraderRegistry:
    known: dict[str, frozenset[str]]

    @classmethod
    def load(cls, path: Path) -> "TraderRegistry":
        known: dict[str, set[str]] = {}
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or {"eori", "addresses"} - set(reader.fieldnames):
                raise ValueError(f"{path}: expected the columns eori,addresses")
            for lineno, row in enumerate(reader, start=2):
                eori = code_key(row.get("eori"))
                if not eori:
                    raise ValueError(f"{path}:{lineno}: empty eori")
                known.setdefault(eori, set()).update(_key(a) for a in re.split(r"[;\s]+", row["addresses"] or "") if a)
        return cls({k: frozenset(v) for k, v in known.items()})

    def knows(self, eori: str | None, addresses: set[str]) -> bool:
        """True when the EORI is registered and every address the request came from or names is known."""
        if not eori or eori not in self.known:
            return False
        return bool(addresses) and not self.unregistered(eori, addresses)

    def unregistered(self, eori: str | None, addresses: set[str]) -> list[str]:
        """The addresses and fax numbers among ``addresses`` not registered for ``eori`` (all, for an unknown EORI)."""
        registered = self.known.get(eori or "", frozenset())
        return sorted(a for a in addresses if _key(a) not in registered)


def _key(address: str) -> str:
    """An e-mail address lower-case; a fax number as its digits, with the + of an international one."""
    address = address.strip().lower()
    return address if "@" in address else re.sub(r"(?!^\+)\D", "", address)
