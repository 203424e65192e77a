"""MDAS and NTKS outages: the rules about them (pure). ``itpc.outages`` records what an officer says.

Rules (1B-1029):
  18  a planned MDAS stop is announced at least one day before it starts;
  32  a planned NTKS stop is announced 30 days before it starts;
  20  an unplanned MDAS failure not repaired for more than 2 hours: all customs offices are told that the
      procedure may be applied without a request (for NTKS, 31: work goes on without NTKS on ITPC's word);
      once it works again, the offices and everyone who reported the failure are told (20, 32).

Ledger shapes (typed in ``ledger.entries``, folded by ``ledger.views.State``): ``outage.declared`` {id,
system, start, end, kind, declared_at[, forced]} with kind "planned" or "unplanned" (an unplanned one has
``end`` None until ``outage.ended`` {id, end} arrives). Times are UTC ISO-8601.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from config.errors import RequestError
from ledger.clock import UTC, parse_instant, shown, to_utc_iso
from ledger.entries import OutageDeclared, OutageEnded
from ledger.views import RequestView

PLANNED = "planned"
UNPLANNED = "unplanned"


@dataclass(frozen=True)
class NoticeRule:
    ahead: timedelta
    rule: str
    wording: str  # how the notice period is said in an error message


NOTICE: Mapping[str, NoticeRule] = {
    "MDAS": NoticeRule(timedelta(days=1), "1B-1029:18", "at least 1 day"),
    "NTKS": NoticeRule(timedelta(days=30), "1B-1029:32", "30 days"),
}
SYSTEMS = tuple(NOTICE)
# "Neatstačius ... sutrikimo ilgiau nei 2 valandas": strictly longer than two hours (1B-1029:20; NTKS 31).
GENERAL_AFTER = timedelta(hours=2)
GENERAL_RULE = {"MDAS": "1B-1029:20", "NTKS": "1B-1029:31"}
END_RULE = {"MDAS": "1B-1029:20", "NTKS": "1B-1029:32"}


class OutageError(RequestError, ValueError):
    """An outage cannot be recorded as asked; the message is one line for the officer."""


@dataclass(frozen=True)
class Outage:
    """A declared MDAS/NTKS unavailability, planned or unplanned; ``end`` None while a failure lasts.

    The one type the rules engine (1B-1029:20), the notices, the tick and the public page share."""
    system: str
    start: datetime
    end: datetime | None
    kind: str = UNPLANNED
    id: str = ""               # empty: the id the ledger gives this system and start (``outage_id``)
    declared_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", outage_id(self.system, self.start))

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> "Outage":
        """From the dict ``State.outages`` holds (the declared data with any recorded end)."""
        return cls(id=data["id"], system=data["system"], start=parse_instant(data["start"]),
                   end=parse_instant(data["end"]) if data.get("end") else None,
                   kind=data.get("kind") or UNPLANNED,
                   declared_at=parse_instant(data["declared_at"]) if data.get("declared_at") else None)

    def ongoing(self, now: datetime) -> bool:
        return self.start <= now and (self.end is None or now < self.end)

    def over(self, now: datetime) -> bool:
        return self.end is not None and self.end <= now

    def window(self) -> str:
        return f"{shown(self.start)} – {shown(self.end) if self.end else '…'}"


def outages_of(records: Iterable[Mapping[str, Any]]) -> list[Outage]:
    """Outages from ``State.outages.values()``, in start order: what the rules engine, the notices and the page
    all act on. Kinds and systems the rules do not know (no notice period, no point to cite) are left out
    rather than acted on."""
    found = [Outage.from_record(r) for r in records
             if (r.get("kind") or UNPLANNED) in (PLANNED, UNPLANNED) and r.get("system") in NOTICE]
    return sorted(found, key=lambda o: (o.start, o.id))


def system_name(text: str) -> str:
    name = (text or "").strip().upper()
    if name not in NOTICE:
        raise OutageError(f"unknown system {text!r} (expected {' or '.join(SYSTEMS)})")
    return name


def outage_id(system: str, start: datetime) -> str:
    """Stable: the same system and start always name the same outage ("MDAS-20261123T0700Z")."""
    return f"{system}-{start.astimezone(UTC).strftime('%Y%m%dT%H%MZ')}"


# -- pure rules ---------------------------------------------------------------------------------------------

def notice_shortfall(system: str, start: datetime, now: datetime) -> str | None:
    """Why announcing a planned stop of ``system`` at ``now`` is too late, or None when the notice suffices."""
    rule = NOTICE[system]
    given = start - now
    if given >= rule.ahead:
        return None
    return (f"a planned {system} stop must be announced {rule.wording} before it starts ({rule.rule}); "
            f"{_duration(given)} given — use --force --reason TEXT to record it anyway")


def plan(existing: Sequence[Outage], system: str, start: datetime, end: datetime, now: datetime, *,
         force: bool = False, reason: str | None = None) -> OutageDeclared:
    """The ``outage.declared`` data for a planned stop; OutageError when the rules or the ledger forbid it."""
    system = system_name(system)
    if end <= start:
        raise OutageError(f"--to ({shown(end)}) must be after --from ({shown(start)})")
    if start < now and not force:
        raise OutageError(f"--from ({shown(start)}) is in the past; use `itpc outage start` for a failure")
    if force and not (reason or "").strip():
        raise OutageError("--force needs --reason TEXT: why the notice period of the rules is not kept")
    late = notice_shortfall(system, start, now)
    if late and not force:
        raise OutageError(late)
    for other in existing:
        if other.system == system and other.start < end and (other.end is None or start < other.end):
            raise OutageError(f"overlaps {other.system} outage {other.id} ({other.window()})")
    data: OutageDeclared = {"id": outage_id(system, start), "system": system, "start": to_utc_iso(start),
                            "end": to_utc_iso(end), "kind": PLANNED, "declared_at": to_utc_iso(now)}
    if late:
        data["forced"] = {"reason": reason.strip(), "shortfall": late.split(";")[0]}
    return data


def begin(existing: Sequence[Outage], system: str, at: datetime, now: datetime) -> OutageDeclared:
    """The ``outage.declared`` data for an unplanned failure starting ``at``."""
    system = system_name(system)
    if at > now:
        raise OutageError(f"--at ({shown(at)}) is in the future; a failure is recorded once it happens")
    for other in existing:
        if other.system == system and other.kind == UNPLANNED and other.end is None:
            raise OutageError(f"{system} outage {other.id} has been ongoing since {shown(other.start)}; "
                              f"end it first (itpc outage end {system})")
    return {"id": outage_id(system, at), "system": system, "start": to_utc_iso(at), "end": None,
            "kind": UNPLANNED, "declared_at": to_utc_iso(now)}


def finish(existing: Sequence[Outage], system: str, at: datetime, now: datetime) -> OutageEnded:
    """The ``outage.ended`` data for the ongoing unplanned failure of ``system``."""
    system = system_name(system)
    open_ = [o for o in existing if o.system == system and o.kind == UNPLANNED and o.end is None]
    if not open_:
        raise OutageError(f"no ongoing unplanned {system} outage to end (itpc outage start {system} records one)")
    outage = open_[-1]
    if at > now:
        raise OutageError(f"--at ({shown(at)}) is in the future; record the end once the system works again")
    if at < outage.start:
        raise OutageError(f"--at ({shown(at)}) is before the outage began ({shown(outage.start)})")
    return {"id": outage.id, "end": to_utc_iso(at)}


def general_notice_due(outage: Outage, now: datetime) -> bool:
    """An unplanned failure still unrepaired more than two hours after it began (1B-1029:20, 31).

    Only while it lasts: once it is over, telling offices that the procedure now applies would mislead;
    the end notice says what they need."""
    return outage.kind == UNPLANNED and outage.ongoing(now) and now - outage.start > GENERAL_AFTER


def end_notice_due(outage: Outage, now: datetime) -> bool:
    return outage.kind == UNPLANNED and outage.over(now)


def reporters(requests: Iterable[RequestView], outage: Outage) -> list[RequestView]:
    """Continuity requests received while the outage lasted that name its system: who reported the failure."""
    found = []
    for request in requests:
        fields = request.registered.get("fields") or {}
        if request.kind != "continuity" or request.registered.get("auto_generated"):
            continue
        if outage.system not in (fields.get("systems") or []):
            continue
        if outage.start <= request.received and (outage.end is None or request.received <= outage.end):
            found.append(request)
    return sorted(found, key=lambda r: (r.received, r.number))


def listed(outages: Iterable[Outage], now: datetime) -> list[Outage]:
    """What the public page shows: outages going on now and those still to come (1B-1029:45)."""
    return [o for o in outages if not o.over(now)]


def _duration(delta: timedelta) -> str:
    if delta <= timedelta(0):
        return "none"
    days, rest = divmod(int(delta.total_seconds()), 86400)
    hours = rest // 3600
    return f"{days} d {hours} h" if days else f"{hours} h {rest % 3600 // 60} min"
