"""Text folding for matching: one copy of each fold, used by the parsers, the rules and the request view.

`fold` is *length-preserving* (one character in, one character out), so a match found in the folded text
slices the same span out of the original text.  Parsers match labels and keywords on the folded text and
take values (names, reasons) from the original, keeping every Lithuanian diacritic the sender wrote.
`fold_nfkd` is the reason lists' word fold (not length-preserving); `code_key` compares codes (EORI, numbers).
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

# Diacritics that Lithuanian (and the neighbours' names we see in mail) use, mapped to their base letter.
# A table instead of NFD decomposition keeps `fold` one character to one character.
_FOLD_TABLE = str.maketrans(
    "ąčęėįšųūžĄČĘĖĮŠŲŪŽäöüõåéèêáàóòôíìúùçñłńśźżÄÖÜÕÅÉÈÊÁÀÓÒÔÍÌÚÙÇÑŁŃŚŹŻ",
    "aceeisuuzACEEISUUZaouoaeeeaaoooiiuucnlnszzAOUOAEEEAAOOOIIUUCNLNSZZ",
)


# A parser folds the same text many times (a message's body by each detector, the same labels in every
# message), and a table translate is slow: short texts' folds are kept. Bounded in number and size.
FOLDS_KEPT = 256
FOLD_KEPT_CHARS = 8 * 1024


def fold(text: str) -> str:
    """Lower-case `text` and drop diacritics, one character for one character (spans stay valid)."""
    if len(text) > FOLD_KEPT_CHARS:
        return _fold(text)
    return _kept_fold(text)


def _fold(text: str) -> str:
    if text.isascii():  # the table only maps letters outside ASCII
        return text.lower()
    folded = text.translate(_FOLD_TABLE).lower()
    if len(folded) == len(text):
        return folded
    # A few characters (e.g. 'İ') lower-case to two; fall back to a per-character fold to keep spans.
    return "".join(_fold_char(c) for c in text)


_kept_fold = lru_cache(maxsize=FOLDS_KEPT)(_fold)


def _fold_char(c: str) -> str:
    low = c.translate(_FOLD_TABLE).lower()
    if len(low) == 1:
        return low
    base = unicodedata.normalize("NFD", c)[0].lower()
    return base if len(base) == 1 else c


def fold_nfkd(text: str) -> str:
    """Case-fold and drop every combining mark after NFKD: "Nutrūko" → "nutruko". Not length-preserving
    ("ß" → "ss", "ﬁ" → "fi"), and letters without a decomposition keep their form ("ł" stays "ł"), so it
    is not `fold`: only for matching whole words against word lists (the reason lists, 1B-1029:12), where
    no span is taken back out of the original text."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def code_key(value: Any) -> str:
    """A code (EORI, consent number) as two spellings of it compare: blanks removed, upper case
    ("lt 302 777 111" → "LT302777111"). No validation: the parsers check what comes in (``ingest.fields``);
    this only makes a stored value, a registry row and what an officer types meet."""
    return "".join(str(value or "").split()).upper()
