"""Text normalisation shared by the request parsers.

Two kinds of normalisation, kept apart on purpose:

* `fold` is *length-preserving* (one character in, one character out), so a match found in the folded text
  slices the same span out of the original text.  Parsers match labels and keywords on the folded text and
  take values (names, reasons) from the original, keeping every Lithuanian diacritic the sender wrote.
* `clean` and `fix_ocr_digits` change the text itself (line ends and blanks, OCR letter/digit confusions).
"""
from __future__ import annotations

import re

from ledger.text import fold  # noqa: F401  (the parsers' one fold)

_SPACES = re.compile(r"[ \u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_ODD_SPACE = re.compile(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000]")
# A tab, or a gap of three blanks or more (a table cell or a layout column), becomes one tab.
_COLUMN_GAP = re.compile(r"[ \u00a0]*\t[ \t\u00a0]*| {3,}")


def clean(text: str) -> str:
    """Normalise line ends and blanks; keep line structure and column gaps (as tabs): layouts depend on them."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\u00ad", "")
    # Neither pattern matches a line end, so one pass over the whole text does what one per line would; and
    # each scans the text a character at a time, so it runs only on a text it would change.
    if "\t" in text or "   " in text:
        text = _COLUMN_GAP.sub("\t", text)
    if "  " in text or (not text.isascii() and _ODD_SPACE.search(text)):  # a lone " " stays as it is
        text = _SPACES.sub(" ", text)
    return "\n".join(line.strip(" \t") for line in text.split("\n"))


# OCR reads the digits 0 and 1 as letters inside numbers ("2O26", "l45667788", "2O:OO").  Only tokens that
# are already mostly digits, or shaped like a clock time, are repaired, so words and e-mail addresses stay.
_OCR_TOKEN = re.compile(r"(?<![A-Za-z@_])[0-9OoIl|](?:[0-9OoIl|]|[:.](?=[0-9OoIl|]))+(?![A-Za-z@_])")
_OCR_TIME = re.compile(r"[0-9OoIl|]{1,2}[:.][0-9OoIl|]{2}")
# A token that needs repair holds a digit and a letter read for one, side by side or a ":"/"." apart.
_OCR_MIXED = re.compile(r"[0-9][:.]?[OoIl|]|[OoIl|][:.]?[0-9]")
_OCR_MAP = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})


def fix_ocr_digits(text: str) -> str:
    """Repair O→0 and l/I/|→1 inside number-like tokens (length is preserved).

    A token is repaired when at least half its characters are digits, or when it has the shape of a
    clock time ("2O:OO") and at least one real digit.
    """
    if not _OCR_MIXED.search(text):
        return text  # the common case: nothing to repair, and no token-by-token callback to pay for
    def repair(m: re.Match[str]) -> str:
        token = m.group(0)
        chars = [c for c in token if c not in ":."]
        digits = sum(c.isdigit() for c in chars)
        if digits == len(chars) or digits == 0:
            return token
        if digits * 2 >= len(chars) or _OCR_TIME.fullmatch(token):
            return token.translate(_OCR_MAP)
        return token
    return _OCR_TOKEN.sub(repair, text)


def squash(text: str) -> str:
    """Collapse all whitespace (including newlines) to single spaces and strip."""
    return " ".join(text.split())
