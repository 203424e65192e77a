"""Lithuanian working days: weekends and public holidays (``holidays``, country LT) skipped, Vilnius clock.

Two ways the rules count working days, and they are different on purpose:

* ``working_days_after(start, n)`` — a *length* (1B-1029:14: a consent lasts "ne ilgiau kaip 2 darbo dienos").
  Advancing one working day moves to the same Vilnius clock time on the next working day, so a consent from
  Thursday 09:00 may last until Monday 09:00 (DESIGN.md, "The two-working-day rule, made exact").
* ``working_deadline(start, n)`` — a *term* ("per 2 darbo dienas", 1B-280:9, 14-16). Read as the Civil Code
  reads terms in days (CK 1.119-1.120): counting begins on the day after the event, whatever its hour, and
  the term runs out at the end of its last day. So a term of n working days ends at 23:59:59 Vilnius time on
  the n-th working day after the day of ``start``; with n = 0 it ends the same day.

Vilnius switches to and from summer time early on Sunday mornings, and Sunday is never a working day, so the
"same clock time" on a working day always exists and is never ambiguous.
"""
from __future__ import annotations

import importlib.util
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import holidays

from ledger.clock import VILNIUS

END_OF_DAY = time(23, 59, 59)


@lru_cache(maxsize=1)
def _lithuanian_holidays() -> holidays.HolidayBase:
    # Years are filled in lazily on lookup (expand=True), so one instance serves any date.
    lithuania = _lithuania_module()
    return lithuania.Lithuania() if lithuania is not None else holidays.country_holidays("LT")


def _lithuania_module() -> ModuleType | None:
    """``holidays``' module for Lithuania, loaded by itself. Going through the package (``country_holidays``)
    imports all of its 250 countries first, 0.18 s: most of what a command that answers one request does.
    None if the module is not where this version of ``holidays`` keeps it (the package's own way is used then)."""
    path = Path(holidays.__file__).parent / "countries" / "lithuania.py"
    spec = importlib.util.spec_from_file_location("_itpc_holidays_lt", path) if path.is_file() else None
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module if isinstance(getattr(module, "Lithuania", None), type) else None


def is_working_day(day: date) -> bool:
    """True on Monday to Friday unless the day is a Lithuanian public holiday (24 Dec included since 2020).

    An aware datetime is judged by its Vilnius date, a naive one by its own date.
    """
    if isinstance(day, datetime):
        day = day.astimezone(VILNIUS).date() if day.tzinfo else day.date()
    return day.weekday() < 5 and day not in _lithuanian_holidays()


def _require_aware(start: datetime, n: int) -> None:
    if not isinstance(start, datetime) or start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"an aware datetime is required, got {start!r}")
    if n < 0:
        raise ValueError(f"the number of working days cannot be negative: {n}")


@lru_cache(maxsize=4096)  # each request asks for its own day's; a day's holidays are looked up once a process
def _nth_working_day_after(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_days_after(start: datetime, n: int) -> datetime:
    """The same Vilnius clock time on the n-th working day after ``start``'s Vilnius date.

    A start on a weekend or holiday advances to working days just the same: Saturday 10:00 + 1 → Monday 10:00.
    The result is in Europe/Vilnius.
    """
    _require_aware(start, n)
    local = start.astimezone(VILNIUS)
    day = _nth_working_day_after(local.date(), n)
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=VILNIUS)


def working_deadline(start: datetime, n: int) -> datetime:
    """The end (23:59:59 Vilnius) of the n-th working day after the day of ``start`` (see module docstring)."""
    _require_aware(start, n)
    day = _nth_working_day_after(start.astimezone(VILNIUS).date(), n)
    return datetime.combine(day, END_OF_DAY, tzinfo=VILNIUS)
