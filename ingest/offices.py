"""The customs office directory (config/customs_offices.csv) and finding offices named in free text."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ingest.field_text import fold

_CODE_SHAPE = re.compile(r"[A-Z]{2}[A-Z0-9]{6}")
_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Office codes in text; OCR may read the digits as O / l / I ("LTSAl000").
_CODE_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{4})\s?([0-9OoIl|]{4})(?![A-Za-z0-9])")
_CODE_DIGITS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})
# The last word of most office names ("postas") is declined in prose: "poste", "postą", "posto", "postui".
_DECLINABLE = {"postas": r"post(?:as|e|a|o|ui|u|ai|uose|ams|u)?",
               "skyrius": r"skyri(?:us|uje|u|aus|ui)?",
               "muitine": r"muitin(?:e|es|ei|eje)?"}


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    email: str


class OfficeDirectory:
    """Customs offices by code, and a resolver that finds them in request text by code or by name."""

    def __init__(self, offices: list[Office]):
        self._by_code: dict[str, Office] = {o.code: o for o in offices}
        # One alternation over all names, longest first, so "Kauno oro uosto postas" is not read as a
        # shorter name that it contains.
        patterns = []
        for office in sorted(offices, key=lambda o: len(o.name), reverse=True):
            words = fold(office.name).split()
            parts = [_DECLINABLE.get(w, re.escape(w)) for w in words]
            patterns.append((office.code, r"\s*".join(parts)))
        self._name_codes = [code for code, _ in patterns]
        self._names = re.compile(
            "|".join(f"(?P<o{i}>(?<![a-z]){p}(?![a-z]))" for i, (_, p) in enumerate(patterns))
        ) if patterns else None

    @classmethod
    def load(cls, csv_path: Path) -> "OfficeDirectory":
        """Read `code,name,email` rows (UTF-8, header required); a bad row raises ValueError naming its line."""
        offices: list[Office] = []
        with open(csv_path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None or [h.strip().lower() for h in header[:3]] != ["code", "name", "email"]:
                raise ValueError(f"{csv_path}:1: expected the header 'code,name,email', got {header!r}")
            seen: set[str] = set()
            for row in reader:
                line = reader.line_num
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) != 3:
                    raise ValueError(f"{csv_path}:{line}: expected 3 columns (code,name,email), got {len(row)}")
                code, name, email = (cell.strip() for cell in row)
                if not _CODE_SHAPE.fullmatch(code):
                    raise ValueError(f"{csv_path}:{line}: bad office code {code!r}")
                if code in seen:
                    raise ValueError(f"{csv_path}:{line}: duplicate office code {code}")
                if not name:
                    raise ValueError(f"{csv_path}:{line}: office {code} has no name")
                if not _EMAIL_SHAPE.fullmatch(email):
                    raise ValueError(f"{csv_path}:{line}: office {code} has a bad e-mail {email!r}")
                seen.add(code)
                offices.append(Office(code, name, email))
        return cls(offices)

    def resolve(self, text: str) -> list[str]:
        """Codes of the offices `text` names, by code or by name (case- and diacritics-insensitive); sorted.

        Only offices in the directory count: an unknown code is not an office ITPC can notify.
        """
        found: set[str] = set()
        for m in _CODE_IN_TEXT.finditer(text):
            code = m.group(1).upper() + m.group(2).translate(_CODE_DIGITS)
            if code in self._by_code:
                found.add(code)
        if self._names is not None:
            for m in self._names.finditer(fold(text)):
                found.add(self._name_codes[int(m.lastgroup[1:])])
        return sorted(found)

    def get(self, code: str) -> Office | None:
        return self._by_code.get(code.strip().upper())

    def __iter__(self) -> Iterator[Office]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)
