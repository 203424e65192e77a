"""MDAS and NTKS outages: the rules about them (pure). ``itpc.outages`` records what an officer says.

Rules (1B-1029):
  18  a planned MDAS stop is announced at least one day before it starts;
  32  a planned NTKS stop is announced 30 days before it starts (both counted on the Vilnius calendar: the
      same wall-clock time N days earlier, so a change of summer time moves nothing);
  19  an unplanned MDAS failure changes nothing by itself: a request is decided as usual (7, 8, 9) ...
  20  ... until the failure has lasted more than 2 hours, or from the moment a planned stop is extended: then
      all customs offices are told that the procedure may be applied without a request; once MDAS works
      again, the offices and everyone who reported the failure are told, and the end is published;
  31  NTKS down more than 2 hours: work goes on without NTKS with a consent or on ITPC's word. ITPC's word is
      its notice to the offices after 2 hours of a failure, or its announcement of a planned stop that lasts
      more than 2 hours (32); from then a request needs no consent;
  32  once NTKS works again, the offices and everyone who reported the failure are told (e-mail);
  45  the public page lists outages to come, going on, and ended ones (with their end) for a while.

Ledger shapes (typed in ``ledger.entries``, folded by ``ledger.views.State``): ``outage.declared`` {id,
system, start, end, kind, declared_at[, forced]} with kind "planned" or "unplanned" (an unplanned one has
``end`` None until ``outage.ended`` {id, end} arrives); ``outage.extended`` {id, end, previous_end,
extended_at} moves a planned stop's end later. Times are UTC ISO-8601.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from config.errors import RequestError
from ledger.clock import UTC, VILNIUS, parse_instant, shown, to_utc_iso
from ledger.entries import OutageCancelled, OutageDeclared, OutageEnded, OutageExtended
from ledger.views import RequestView

PLANNED = "planned"
UNPLANNED = "unplanned"


@dataclass(frozen=True)
class NoticeRule:
    days: int      # calendar days on the Vilnius calendar, not N × 24 h
    rule: str
    wording: str   # how the notice period is said in an error message


NOTICE: Mapping[str, NoticeRule] = {
    "MDAS": NoticeRule(1, "1B-1029:18", "at least 1 day"),
    "NTKS": NoticeRule(30, "1B-1029:32", "30 days"),
}
SYSTEMS = tuple(NOTICE)
# "Neatstačius ... sutrikimo ilgiau nei 2 valandas": strictly longer than two hours (1B-1029:20; NTKS 31).
GENERAL_AFTER = timedelta(hours=2)
GENERAL_RULE = {"MDAS": "1B-1029:20", "NTKS": "1B-1029:31"}
END_RULE = {"MDAS": "1B-1029:20", "NTKS": "1B-1029:32"}


class OutageError(RequestError, ValueError):
    """An outage cannot be recorded as asked; the message is one line for the officer."""


@dataclass(frozen=True)
class Extension:
    """A planned stop's end moved to ``end``, recorded at ``at`` (1B-1029:20 "pratęsus MDAS stabdymo laiką")."""
    at: datetime
    end: datetime
    previous_end: datetime


@dataclass(frozen=True)
class Outage:
    """A declared MDAS/NTKS unavailability, planned or unplanned; ``end`` None while a failure lasts.

    ``end`` is the latest end (after any extensions); ``extensions`` say when it moved, in order.
    The one type the rules engine (1B-1029:20, 31), the notices, the tick and the public page share."""
    system: str
    start: datetime
    end: datetime | None
    kind: str = UNPLANNED
    id: str = ""               # empty: the id the ledger gives this system and start (``outage_id``)
    declared_at: datetime | None = None
    extensions: tuple[Extension, ...] = ()

    def __post_init__(self) -> None:
        # In UTC: Python subtracts two datetimes sharing a zone by wall clock, wrong across summer time.
        for name in ("start", "end", "declared_at"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, getattr(self, name).astimezone(UTC))
        if not self.id:
            object.__setattr__(self, "id", outage_id(self.system, self.start))

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> "Outage":
        """From the dict ``State.outages`` holds (the declared data with any recorded end and extensions)."""
        return cls(id=data["id"], system=data["system"], start=parse_instant(data["start"]),
                   end=parse_instant(data["end"]) if data.get("end") else None,
                   kind=data.get("kind") or UNPLANNED,
                   declared_at=parse_instant(data["declared_at"]) if data.get("declared_at") else None,
                   extensions=tuple(Extension(parse_instant(e["extended_at"]), parse_instant(e["end"]),
                                              parse_instant(e["previous_end"]))
                                    for e in data.get("extensions") or ()))

    def ongoing(self, now: datetime) -> bool:
        now = now.astimezone(UTC)
        return self.start <= now and (self.end is None or now < self.end)

    def over(self, now: datetime) -> bool:
        return self.end is not None and self.end <= now

    def window(self) -> str:
        return f"{shown(self.start)} – {shown(self.end) if self.end else '…'}"

    def end_known_at(self, at: datetime) -> datetime | None:
        """The end as it was known at ``at``: extensions recorded later had not moved it yet."""
        moved = [e.end for e in self.extensions if e.at <= at]
        if moved:
            return moved[-1]
        return self.extensions[0].previous_end if self.extensions else self.end


def outages_of(records: Iterable[Mapping[str, Any]]) -> list[Outage]:
    """Outages from ``State.outages.values()``, in start order: what the rules engine, the notices and the page
    all act on. Kinds and systems the rules do not know (no notice period, no point to cite) are left out
    rather than acted on, and so are planned stops called off."""
    found = [Outage.from_record(r) for r in records
             if (r.get("kind") or UNPLANNED) in (PLANNED, UNPLANNED) and r.get("system") in NOTICE
             and not r.get("cancelled")]
    return sorted(found, key=lambda o: (o.start, o.id))


def system_name(text: str) -> str:
    name = (text or "").strip().upper()
    if name not in NOTICE:
        raise OutageError(f"unknown system {text!r} (expected {' or '.join(SYSTEMS)})")
    return name


def outage_id(system: str, start: datetime) -> str:
    """Stable: the same system and start always name the same outage ("MDAS-20261123T0700Z")."""
    return f"{system}-{start.astimezone(UTC).strftime('%Y%m%dT%H%MZ')}"


def calendar_days_before(moment: datetime, days: int) -> datetime:
    """The same Vilnius wall-clock time ``days`` calendar days earlier (DESIGN: "N calendar days"), in UTC.

    Arithmetic on a datetime whose tzinfo is the zone keeps the wall clock; the offset is then the one in force
    on that earlier day, so a change of summer time in between moves nothing."""
    return (moment.astimezone(VILNIUS) - timedelta(days=days)).astimezone(UTC)


def calendar_days_after(moment: datetime, days: int) -> datetime:
    """The same Vilnius wall-clock time ``days`` calendar days later, in UTC."""
    return calendar_days_before(moment, -days)


# -- pure rules: what may be recorded ------------------------------------------------------------------------

def announce_by(system: str, start: datetime) -> datetime:
    """The latest moment a planned stop of ``system`` starting at ``start`` may be announced (18, 32)."""
    return calendar_days_before(start, NOTICE[system].days)


def notice_shortfall(system: str, start: datetime, now: datetime) -> str | None:
    """Why announcing a planned stop of ``system`` at ``now`` is too late, or None when the notice suffices."""
    rule = NOTICE[system]
    latest = announce_by(system, start)
    if now.astimezone(UTC) <= latest:
        return None
    return (f"a planned {system} stop must be announced {rule.wording} before it starts ({rule.rule}), "
            f"by {shown(latest)}; {_duration(start.astimezone(UTC) - now.astimezone(UTC))} given — "
            f"use --force --reason TEXT to record it anyway")


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
    _refuse_overlap(existing, system, start, end)
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


def extendable(existing: Sequence[Outage], system: str, now: datetime) -> Outage:
    """The planned stop of ``system`` an extension at ``now`` moves: the one going on, else the next one."""
    system = system_name(system)
    candidates = [o for o in existing if o.system == system and o.kind == PLANNED and not o.over(now)]
    if not candidates:
        raise OutageError(f"no planned {system} stop going on or to come at {shown(now)} to extend "
                          f"(a failure is recorded with itpc outage start {system})")
    return min(candidates, key=lambda o: (o.start, o.id))


def extend(existing: Sequence[Outage], outage: Outage, end: datetime, now: datetime) -> OutageExtended:
    """The ``outage.extended`` data moving a planned stop's end to ``end`` (1B-1029:20: point 20 at once)."""
    if outage.kind != PLANNED or outage.end is None:
        raise OutageError(f"{outage.id} is not a planned stop; only a planned stop's end can be extended")
    if outage.over(now):
        raise OutageError(f"{outage.id} ended at {shown(outage.end)}; record a failure with itpc outage start")
    if end <= outage.end:
        raise OutageError(f"--to ({shown(end)}) must be later than the stop's end ({shown(outage.end)})")
    _refuse_overlap([o for o in existing if o.id != outage.id], outage.system, outage.start, end)
    return {"id": outage.id, "end": to_utc_iso(end), "previous_end": to_utc_iso(outage.end),
            "extended_at": to_utc_iso(now)}


def cancel(existing: Sequence[Outage], outage_id_: str, now: datetime, *, reason: str, by: str) -> OutageCancelled:
    """The ``outage.cancelled`` data calling off a planned stop that has not begun."""
    outage = next((o for o in existing if o.id == outage_id_), None)
    if outage is None:
        known = ", ".join(o.id for o in existing if o.kind == PLANNED and o.start > now) or "none"
        raise OutageError(f"no outage {outage_id_} to cancel (planned stops to come: {known})")
    if outage.kind != PLANNED:
        raise OutageError(f"{outage.id} is a failure, not a planned stop; record its end with itpc outage end")
    if outage.start <= now:
        raise OutageError(f"{outage.id} began at {shown(outage.start)}; a stop under way is ended, not cancelled "
                          f"(itpc outage end {outage.system})")
    if not reason.strip():
        raise OutageError("--reason: say why the stop will not happen (the offices are told)")
    return {"id": outage.id, "reason": " ".join(reason.split()), "by": by, "cancelled_at": to_utc_iso(now)}


def _refuse_overlap(existing: Sequence[Outage], system: str, start: datetime, end: datetime) -> None:
    for other in existing:
        if other.system == system and other.start < end and (other.end is None or start < other.end):
            raise OutageError(f"overlaps {other.system} outage {other.id} ({other.window()})")


# -- pure rules: what an outage means at an instant -----------------------------------------------------------

def without_request(outage: Outage, at: datetime) -> bool:
    """Whether at ``at`` this outage lets the procedure be applied without a request (1B-1029:20; NTKS 31).

    MDAS: an unplanned failure more than 2 hours old (before that, 19: a request is decided as usual), or a
    planned stop from the moment it was extended. NTKS: down more than 2 hours, or a planned stop announced
    (or extended, from then) to last more than 2 hours — ITPC's word of 31."""
    at = at.astimezone(UTC)
    if not outage.ongoing(at):
        return False
    lasted = at - outage.start > GENERAL_AFTER
    if outage.system == "MDAS":
        return lasted if outage.kind == UNPLANNED else any(e.at <= at for e in outage.extensions)
    if outage.kind == UNPLANNED:
        return lasted
    known = outage.end_known_at(at)
    return lasted or (known is not None and known - outage.start > GENERAL_AFTER)


def without_request_rules(outage: Outage) -> tuple[str, ...]:
    """The points a "no consent needed" answer cites for this outage: 20 for MDAS; 31 for NTKS (and 32, the
    advance announcement, for a planned NTKS stop)."""
    if outage.system == "MDAS":
        return ("1B-1029:20",)
    return ("1B-1029:31", "1B-1029:32") if outage.kind == PLANNED else ("1B-1029:31",)


def without_request_since(outage: Outage) -> datetime | None:
    """The first moment ``without_request`` holds (for a failure: the 2 hours, strictly after), or None if the
    outage never let the procedure go without a request. For the page and the end notice."""
    after_two_hours = outage.start + GENERAL_AFTER
    if outage.kind == UNPLANNED:
        since = after_two_hours
    elif outage.system == "MDAS":
        since = max(outage.start, outage.extensions[0].at) if outage.extensions else None
    else:
        ends = [(outage.start, outage.end_known_at(outage.start))] + [(e.at, e.end) for e in outage.extensions]
        told = [max(outage.start, at) for at, end in ends if end is not None and end - outage.start > GENERAL_AFTER]
        since = min(told + [after_two_hours])
    if since is None or (outage.end is not None and since >= outage.end):
        return None
    return since


def general_notice_due(outage: Outage, now: datetime) -> bool:
    """An unplanned failure still unrepaired more than two hours after it began (1B-1029:20, 31).

    Only while it lasts: once it is over, telling offices that the procedure now applies would mislead;
    the end notice says what they need. (A planned stop's offices hear it in the extension notice.)"""
    return outage.kind == UNPLANNED and without_request(outage, now)


def extension_notice_due(outage: Outage, now: datetime) -> Extension | None:
    """The latest extension of a planned stop still going on or to come: the offices are told of it (20)."""
    if outage.kind != PLANNED or not outage.extensions or outage.over(now):
        return None
    return outage.extensions[-1]


def kept_until(outage: Outage, keep_days: int) -> datetime | None:
    """Until when an ended outage stays on the page, in the feed and due for its end notices: ``keep_days``
    calendar days after its end."""
    return calendar_days_after(outage.end, keep_days) if outage.end is not None else None


def shown_after_end(outage: Outage, now: datetime, keep_days: int) -> bool:
    return outage.over(now) and now < kept_until(outage, keep_days)


def end_notice_due(outage: Outage, now: datetime, keep_days: int) -> bool:
    """A failure or planned stop over, told to the offices and reporters (20, 32); one that ended longer ago
    than the keep-time (before this was recorded, or a tick long missed) is news no more."""
    return shown_after_end(outage, now, keep_days)


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


def listed(outages: Iterable[Outage], now: datetime, keep_days: int = 0) -> list[Outage]:
    """What the public page shows (1B-1029:45): outages to come and going on, and those that ended less than
    ``keep_days`` calendar days ago, with their end (20, 32: the end of the procedure is published)."""
    return [o for o in outages if not o.over(now) or shown_after_end(o, now, keep_days)]


def _duration(delta: timedelta) -> str:
    if delta <= timedelta(0):
        return "none"
    days, rest = divmod(int(delta.total_seconds()), 86400)
    hours = rest // 3600
    return f"{days} d {hours} h" if days else f"{hours} h {rest % 3600 // 60} min"
