"""Is the reason a trader gives objective (1B-1029:12)? Word lists ITPC can tune, classified by meaning.

The lists live in ``config/reasons.toml``. Matching ignores case and Lithuanian diacritics (texts arrive typed
on keyboards without them, or from OCR), and a stem matches only at the start of a word, so "serg" finds
"serga" but not the inside of another word. A stem may be several words ("nėra interneto"); each must start
a word, in turn ("negal prisijung" finds "negalime prisijungti").

What the words mean decides (DESIGN.md "Refusals"):
* a failure — a word of the ``objective`` list (sugedo, gedimas, nutrūko, ...) or a verb of ``functioning``
  under a negation (neveikia, nebeveikia, tebeneveikia, nepasileidžia, nepavyksta prisijungti, ...);
* a reason within the person's control that is not a failure — a word of the ``not_objective`` list
  (atostogauja, serga, nemoka, neapmokytas, patogiau, per brangu, ...). "Nedirba" is both a verb of
  functioning and what a person away does: it is a failure unless its clause is about a person (names one
  of ``people`` or speaks in the first person, "nedirbame") and no system (``things``).
A reason that says only a failure is "objective", one that says only the other is "not_objective"; one that
says both ("sugedo serveris, o IT specialistas atostogauja") or neither ("dėl vidinių priežasčių") is
"unclear" and goes to an officer, because the rule then needs a judgement that word lists cannot make.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from config.errors import ConfigError
from config.settings import read_toml
from ledger.text import fold_nfkd

OBJECTIVE = "objective"
NOT_OBJECTIVE = "not_objective"
UNCLEAR = "unclear"
MIN_STEM = 3  # a shorter stem would match far too many words


class ReasonListError(ConfigError, ValueError):
    """The reason list file is missing, unreadable or malformed; the message names the file and the key."""


OPTIONAL_LISTS = ("functioning", "person_verbs", "people", "things")  # a file without them still loads


@dataclass(frozen=True)
class ReasonLists:
    objective: tuple[str, ...]
    not_objective: tuple[str, ...]
    functioning: tuple[str, ...] = ()
    person_verbs: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    things: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> "ReasonLists":
        data = read_toml(path, what="reason lists", error=ReasonListError)
        return cls(objective=_stems(data, "objective", path), not_objective=_stems(data, "not_objective", path),
                   **{key: _stems(data, key, path, required=False) for key in OPTIONAL_LISTS})


def _stems(data: dict, key: str, path: Path, *, required: bool = True) -> tuple[str, ...]:
    value = data.get(key, None if required else [])
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ReasonListError(f"{path}: {key} must be a list of strings")
    stems = tuple(s.strip() for s in value if s.strip())
    short = [s for s in stems if len(fold_nfkd(s)) < MIN_STEM]
    if short:
        raise ReasonListError(f"{path}: {key}: stems shorter than {MIN_STEM} letters match too much: {short}")
    return stems


def _alternatives(stems: Iterable[str]) -> str:
    """One regex alternative per folded stem, longest first; each word of a stem starts a word in turn."""
    folded = sorted({fold_nfkd(s) for s in stems}, key=len, reverse=True)
    return "|".join(r"\w*\s+".join(re.escape(part) for part in stem.split()) for stem in folded)


@lru_cache(maxsize=64)
def _pattern(stems: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile(rf"(?<!\w)(?:{_alternatives(stems)})") if stems else None


@lru_cache(maxsize=16)
def _negated(stems: tuple[str, ...]) -> re.Pattern[str] | None:
    """A negated verb of functioning, the whole word: "neveikia", "nebeveikia", "tebeneveikia"."""
    return re.compile(rf"(?<!\w)(?:tebe)?ne(?:be)?(?:{_alternatives(stems)})\w*") if stems else None


def _hits(text: str, stems: tuple[str, ...]) -> bool:
    pattern = _pattern(stems)
    return pattern is not None and pattern.search(text) is not None


# Clauses for "who does not work": punctuation and the conjunctions that start another statement.
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]\n–—]+|\s-\s|(?<!\w)(?:o|bet|taciau|nes|todel|kadangi|nors)(?!\w)")
_FIRST_PERSON = re.compile(r"(?:u|ame|am|ome|om|ime)$")  # "nedirbu", "nedirbame", "nedirbsime"


def _negated_verbs(folded: str, lists: ReasonLists) -> tuple[bool, bool]:
    """(a failure, a person away) said by negated verbs of functioning in the folded text."""
    negated = _negated(lists.functioning)
    failure = away = False
    if negated is None:
        return failure, away
    person_verb = _pattern(lists.person_verbs)
    for clause in _CLAUSE_BREAK.split(folded):
        for match in negated.finditer(clause):
            word = match.group(0)
            verb = re.sub(r"^(?:tebe)?ne(?:be)?", "", word)
            about_person = (person_verb is not None and person_verb.match(verb) is not None
                            and not _hits(clause, lists.things)
                            and (_hits(clause, lists.people) or _FIRST_PERSON.search(word) is not None))
            away = away or about_person
            failure = failure or not about_person
    return failure, away


def classify_reasons(text: str | None, lists: ReasonLists) -> str:
    """"objective" | "not_objective" | "unclear" for the reason a request gives (see module docstring)."""
    if not text or not text.strip():
        return UNCLEAR
    folded = fold_nfkd(text)
    failure, away = _negated_verbs(folded, lists)
    failure = failure or _hits(folded, lists.objective)
    personal = away or _hits(folded, lists.not_objective)
    if failure and not personal:
        return OBJECTIVE
    if personal and not failure:
        return NOT_OBJECTIVE
    return UNCLEAR
