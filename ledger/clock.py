"""Time: aware datetimes everywhere, UTC stored, Europe/Vilnius shown; one clock the CLI can set."""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc
VILNIUS = ZoneInfo("Europe/Vilnius")


def parse_instant(text: str) -> datetime:
    """ISO-8601 to an aware datetime; a value without offset is Vilnius time (how people write it here)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=VILNIUS)


def bound(text: str, *, end: bool = False) -> datetime:
    """A --since/--until value: a day (YYYY-MM-DD, Vilnius; as an end, the whole day is included) or an
    instant. Raises ValueError on anything else."""
    text = text.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        start = datetime.combine(day + timedelta(days=1) if end else day, datetime.min.time(), VILNIUS)
        return start
    return parse_instant(text)


def to_utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def shown(moment: datetime) -> str:
    """How a time is shown to people: Vilnius wall clock to the minute."""
    return moment.astimezone(VILNIUS).strftime("%Y-%m-%d %H:%M")


def shown_day(moment: datetime) -> str:
    """The Vilnius calendar date of a moment, as people read it ("2026-11-23")."""
    return moment.astimezone(VILNIUS).strftime("%Y-%m-%d")


class Clock:
    """The system clock, or a clock set by ``--now`` / ``ITPC_NOW`` that starts there and keeps running."""

    def __init__(self, start: datetime | None = None):
        self._start = start.astimezone(UTC) if start else None
        self._began = time.monotonic()

    def __call__(self) -> datetime:
        if self._start is None:
            return datetime.now(UTC)
        return self._start + timedelta(seconds=time.monotonic() - self._began)

    @property
    def is_set(self) -> bool:
        return self._start is not None
