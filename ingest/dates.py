"""Dates, times and periods as Lithuanian requests write them.

Everything is read as Europe/Vilnius wall-clock time and returned as an aware `datetime`.

Supported forms (any of them may be followed by a time):

* numeric dates: ``2026-11-23``, ``2026.11.23``, ``2026/11/23`` (year first), ``23.11.2026``, ``23/11/2026``,
  ``23-11-2026`` (day first — Lithuanian and European order, never the US month-first order);
* written dates: ``2026 m. lapkričio 23 d.``, ``2026 m. lapkritis 23 d.`` (genitive or nominative month, with
  or without diacritics, optional ``mėn.``), and ``lapkričio 23 d.`` whose year comes from the receipt time;
* times: ``14:30``, ``14.30``, ``8:00``, ``14:30:00``, ``14 val.``, ``14 val. 30 min.``, ``14 h``;
  ``24:00`` means midnight at the end of that day.

Periods (`find_period`): ``nuo A iki B``, ``A – B`` / ``A - B``, ``2026-11-23 09:00–18:00`` (the end takes the
start's date), or separate start / end values (`resolve_period`).  Choices, documented once here:

* an end given as a date alone means the end of that day, 23:59; a start given as a date alone means 00:00;
* an end given as a time alone takes the start's date, and the next day if it would otherwise precede the
  start (an overnight period such as ``22:00–02:00``);
* a start or end with neither date nor a date-bearing partner takes its date from the receipt time, if known;
* a period that is one date alone (``Laikotarpis: 2026-11-23``) is that whole day, 00:00–23:59;
* anything that does not read as a real calendar date or clock time is ignored rather than guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ingest.field_text import fix_ocr_digits, fold
from ledger.clock import VILNIUS

# Month stems as they appear in folded (diacritic-free, lower-case) text, genitive and nominative forms.
_MONTHS: dict[str, int] = {
    "sausio": 1, "sausis": 1, "vasario": 2, "vasaris": 2, "kovo": 3, "kovas": 3,
    "balandzio": 4, "balandis": 4, "geguzes": 5, "geguze": 5, "birzelio": 6, "birzelis": 6,
    "liepos": 7, "liepa": 7, "rugpjucio": 8, "rugpjutis": 8, "rugsejo": 9, "rugsejis": 9,
    "spalio": 10, "spalis": 10, "lapkricio": 11, "lapkritis": 11, "gruodzio": 12, "gruodis": 12,
}
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))

# A time: "14:30", "14.30", "14:30:00", "14 val.", "14 val. 30 min.", "14 h", "14:30 val.".  Hours and minutes
# are matched loosely and checked afterwards, so "2026-11-23 25:00" is unreadable rather than a bare date.
_TIME = (
    r"(?P<{p}h>\d{{1,2}})"
    r"(?:\s?[:.]\s?(?P<{p}m>\d{{2}})(?:[:.](?P<{p}s>[0-5]\d))?(?:\s*(?:val|h)\b\.?)?(?:\s*min\b\.?)?"
    r"|\s*(?:val\b\.?|h\b)(?:\s*(?P<{p}m2>\d{{1,2}})\s*min\b\.?)?)"
)
# What may stand between a date and its time: blanks, a comma, "T", or the day marker "d.".
_GLUE = r"(?:[ \t]*(?:d\.|,|t)?[ \t]*)"

_ISO_DATE = r"(?P<iy>\d{4})\s?(?P<is>[-./])\s?(?P<im>\d{1,2})\s?(?P=is)\s?(?P<id>\d{1,2})(?:\s?d\.)?"
_DMY_DATE = r"(?P<dd>\d{1,2})\s?(?P<ds>[-./])\s?(?P<dm>\d{1,2})\s?(?P=ds)\s?(?P<dy>\d{4})"
_WORD_DATE = (
    rf"(?:(?P<wy>\d{{4}})\s*(?:m\.|m\b|metu)?\s*)?(?P<wm>{_MONTH_ALT})(?:\s*men\.?)?\s*(?P<wd>\d{{1,2}})"
    r"\s*(?:d\.|d\b|dien[a-z]*)?"
)

# One scanner for every moment in a text.  Dates come first in the alternation so that "23.11.2026" is read
# as a date, not as the time 23:11.
_MOMENT = re.compile(
    rf"(?<![\w.])(?<!\d[:/])(?:"
    rf"(?:{_ISO_DATE}|{_DMY_DATE}|{_WORD_DATE})(?:{_GLUE}{_TIME.format(p='t')})?"
    rf"|{_TIME.format(p='o')}"
    rf")(?![\w:/]|\.\d)"
)

_RANGE_GAP = re.compile(r"\s*(?:-|–|—|iki|ik|\.\.\.?|…)\s*[:.]?\s*")
_NUO_BEFORE = re.compile(r"(?:\bnuo|\bpradzia[a-z]*|\bfrom)\W*$")
_END_OF_DAY = time(23, 59)


@dataclass(frozen=True)
class Moment:
    """A date and/or a time found in text, with its span in that text; at least one of the two is set."""
    start: int
    end: int
    day: date | None
    clock: time | None
    next_midnight: bool = False  # "24:00": the end of `day`


def _norm(text: str) -> str:
    # Folding makes month names diacritic-free; OCR repair turns "2O26" into "2026".  Both keep length.
    return fold(fix_ocr_digits(text))


def _year_for(received_at: datetime | None) -> int | None:
    return received_at.astimezone(VILNIUS).year if received_at is not None else None


def _clock(m: re.Match[str], p: str) -> tuple[time | None, bool]:
    h = m.group(p + "h")
    if h is None:
        return None, False
    minute = m.group(p + "m") or m.group(p + "m2") or "0"
    second = m.group(p + "s") or "0"
    hour, mins, secs = int(h), int(minute), int(second)
    if hour == 24:
        return (time(0, 0), True) if mins == 0 and secs == 0 else (None, False)
    if hour > 23 or mins > 59:
        return None, False
    return time(hour, mins, secs), False


def _day(m: re.Match[str], default_year: int | None) -> date | None:
    try:
        if m.group("iy"):
            return date(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
        if m.group("dy"):
            return date(int(m.group("dy")), int(m.group("dm")), int(m.group("dd")))
        if m.group("wm"):
            year = int(m.group("wy")) if m.group("wy") else default_year
            if year is None:
                return None
            return date(year, _MONTHS[m.group("wm")], int(m.group("wd")))
    except ValueError:  # 2026-02-30 and the like: not a date
        return None
    return None


def find_moments(text: str, *, received_at: datetime | None = None) -> list[Moment]:
    """Every date, date+time or time in `text`, in order of appearance (spans index into `text`)."""
    return _moments(_norm(text), received_at)


def _moments(norm: str, received_at: datetime | None) -> list[Moment]:
    year = _year_for(received_at)
    found: list[Moment] = []
    for m in _MOMENT.finditer(norm):
        has_date = bool(m.group("iy") or m.group("dy") or m.group("wm"))
        if has_date:
            day = _day(m, year)
            clock, midnight = _clock(m, "t")
            if day is None:
                continue
            if m.group("th") is not None and clock is None:
                continue  # "2026-11-23 25:00": the whole mention is unreadable
        else:
            day = None
            clock, midnight = _clock(m, "o")
            if clock is None:
                continue
        found.append(Moment(m.start(), m.end(), day, clock, midnight))
    return found


def _at(day: date, clock: time | None, *, end: bool, midnight: bool = False) -> datetime:
    if midnight:
        return datetime.combine(day + timedelta(days=1), time(0, 0), VILNIUS)
    if clock is None:
        clock = _END_OF_DAY if end else time(0, 0)
    return datetime.combine(day, clock, VILNIUS)


def resolve_period(start: Moment | None, end: Moment | None, *,
                   received_at: datetime | None = None) -> tuple[datetime | None, datetime | None]:
    """Turn a start and an end moment into datetimes, filling dates as the module docstring says."""
    fallback = received_at.astimezone(VILNIUS).date() if received_at is not None else None
    start_day = (start.day if start else None) or (end.day if end else None) or fallback
    begin = None
    if start is not None and start_day is not None:
        begin = _at(start_day, start.clock, end=False, midnight=start.next_midnight)
    finish = None
    if end is not None:
        end_day = end.day or (begin.date() if begin is not None else None) or fallback
        if end_day is not None:
            finish = _at(end_day, end.clock, end=True, midnight=end.next_midnight)
            if begin is not None and end.day is None and finish < begin:
                finish += timedelta(days=1)  # "22:00–02:00": the end is on the next day
    return begin, finish


def find_period(text: str, *, received_at: datetime | None = None) -> tuple[datetime | None, datetime | None]:
    """The period a text asks for: ``nuo A iki B``, ``A–B``, or one date alone (that whole day).

    Returns (start, end); either may be None when the text does not say it readably.  Among several
    ranges, one introduced by "nuo" wins, else the first.
    """
    norm = _norm(text)
    moments = _moments(norm, received_at)
    ranges: list[tuple[Moment, Moment, bool]] = []
    for a, b in zip(moments, moments[1:]):
        if _RANGE_GAP.fullmatch(norm[a.end:b.start]):
            ranges.append((a, b, bool(_NUO_BEFORE.search(norm[max(0, a.start - 20):a.start]))))
    if ranges:
        a, b, _ = next((r for r in ranges if r[2]), ranges[0])
        if a.day is None and b.day is None:
            # "2026-11-23 nuo 9 iki 18 val.": the times belong to the date written just before them.
            day = next((m.day for m in reversed(moments) if m.end <= a.start and m.day is not None), None)
            if day is not None:
                a = Moment(a.start, a.end, day, a.clock, a.next_midnight)
        return resolve_period(a, b, received_at=received_at)
    if not moments:
        return None, None
    first = moments[0]
    if len(moments) == 1 and first.day is not None and first.clock is None:
        return resolve_period(first, first, received_at=received_at)  # one whole day
    # An open-ended mention ("nuo 2026-11-23 09:00"): a start, but no end.
    if _NUO_BEFORE.search(norm[max(0, first.start - 20):first.start]) or len(moments) == 1:
        return resolve_period(first, None, received_at=received_at)[0], None
    return None, None


def parse_moment(text: str, *, end: bool = False, anchor: date | None = None,
                 received_at: datetime | None = None) -> datetime | None:
    """The first date/time in `text` as a datetime, or None.

    `end=True` reads a date alone as 23:59 of that day; a time alone takes its date from `anchor`, else from
    the receipt time.
    """
    moments = find_moments(text, received_at=received_at)
    if not moments:
        return None
    mom = moments[0]
    day = mom.day or anchor or (received_at.astimezone(VILNIUS).date() if received_at is not None else None)
    if day is None:
        return None
    return _at(day, mom.clock, end=end, midnight=mom.next_midnight)


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 with the Vilnius offset, minutes precision when seconds are zero: 2026-11-23T09:00:00+02:00."""
    return moment.astimezone(VILNIUS).isoformat() if moment is not None else None
