"""Is the reason a trader gives objective (1B-1029:12)? Stem lists ITPC can tune, and a transparent vote.

The lists live in ``config/reasons.toml``. Matching ignores case and Lithuanian diacritics (texts arrive typed
on keyboards without them, or from OCR), and a stem matches only at the start of a word, so "serg" finds
"serga" but not the inside of another word. A stem may be several words ("nėra interneto").

The vote: each word of the text that starts a hit counts once for its side. The objective list holds words that
name a *failure* of the person's own systems (sugedo, neveikia, nutrūko, ...), not the systems' mere names: a
reason such as "deklarantė atostogauja, o kitas darbuotojas nemoka naudotis programa" mentions the program but
says nothing broke, and it is not objective. When both sides are hit, the side with more hits wins; a tie
(e.g. "sugedo serveris, o IT specialistas atostogauja") is "unclear" and goes to an officer, because the rule
needs a judgement there that stems cannot make. No hit at all is "unclear" too.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from config.errors import ConfigError
from ledger.text import fold_nfkd

OBJECTIVE = "objective"
NOT_OBJECTIVE = "not_objective"
UNCLEAR = "unclear"
MIN_STEM = 3  # a shorter stem would match far too many words


class ReasonListError(ConfigError, ValueError):
    """The reason list file is missing, unreadable or malformed; the message names the file and the key."""


@dataclass(frozen=True)
class ReasonLists:
    objective: tuple[str, ...]
    not_objective: tuple[str, ...]

    @classmethod
    def load(cls, path: Path) -> "ReasonLists":
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise ReasonListError(f"{path}: cannot read reason lists ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ReasonListError(f"{path}: not valid TOML ({exc})") from None
        return cls(objective=_stems(data, "objective", path), not_objective=_stems(data, "not_objective", path))


def _stems(data: dict, key: str, path: Path) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ReasonListError(f"{path}: {key} must be a list of strings")
    stems = tuple(s.strip() for s in value if s.strip())
    short = [s for s in stems if len(fold_nfkd(s)) < MIN_STEM]
    if short:
        raise ReasonListError(f"{path}: {key}: stems shorter than {MIN_STEM} letters match too much: {short}")
    return stems


@lru_cache(maxsize=64)
def _pattern(stems: tuple[str, ...]) -> re.Pattern[str] | None:
    folded = sorted({fold_nfkd(s) for s in stems}, key=len, reverse=True)
    if not folded:
        return None
    alternatives = "|".join(r"\s+".join(re.escape(part) for part in stem.split()) for stem in folded)
    return re.compile(rf"(?<!\w)(?:{alternatives})")


def _hit_words(text: str, stems: tuple[str, ...]) -> set[int]:
    """Start offsets of the words where a stem matches (a word counts once, however many stems fit it)."""
    pattern = _pattern(stems)
    if pattern is None:
        return set()
    hits: set[int] = set()
    pos = 0
    while (match := pattern.search(text, pos)) is not None:
        hits.add(match.start())
        pos = match.start() + 1  # overlapping stems at other word starts still count
    return hits


def classify_reasons(text: str | None, lists: ReasonLists) -> str:
    """"objective" | "not_objective" | "unclear" for the reason a request gives (see module docstring)."""
    if not text or not text.strip():
        return UNCLEAR
    folded = fold_nfkd(text)
    objective = len(_hit_words(folded, lists.objective))
    not_objective = len(_hit_words(folded, lists.not_objective))
    if objective > not_objective:
        return OBJECTIVE
    if not_objective > objective:
        return NOT_OBJECTIVE
    return UNCLEAR
